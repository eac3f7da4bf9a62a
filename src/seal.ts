/**
 * Seals a value for the GitHub secrets API: libsodium's crypto_box_seal with the target's public key,
 * base64 (ORIGINAL variant) both ways, as https://docs.github.com/en/rest/guides/encrypting-secrets-for-the-rest-api
 * describes. libsodium is loaded only by runs that store a secret: it is the largest part of the bundle.
 */
export type Sealer = (plaintext: string, publicKeyBase64: string) => string;

export async function loadSealer(): Promise<Sealer> {
  const { default: sodium } = await import('libsodium-wrappers');
  await sodium.ready;
  return (plaintext, publicKeyBase64) => {
    const key = sodium.from_base64(publicKeyBase64, sodium.base64_variants.ORIGINAL);
    const sealed = sodium.crypto_box_seal(sodium.from_string(plaintext), key);
    return sodium.to_base64(sealed, sodium.base64_variants.ORIGINAL);
  };
}
