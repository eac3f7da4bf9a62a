// Leak detection for action runs. The runner masks only the exact values registered with ::add-mask::,
// so a secret that reaches the log in ANOTHER form is visible to everyone who can read the job log.
// The password travels to Synkzone as a JSON character array, which is the likeliest such form (an
// error message or debug dump that includes the request body), so those forms are checked explicitly.
// Reports name the secret by its position and the form, never by value: a failing test must not itself
// print the secret.
import type { ActionRun } from './run-action.js';

interface SecretForm {
  name: string;
  text: string;
}

function namedForms(secret: string): SecretForm[] {
  const chars = secret.split('');
  const array = JSON.stringify(chars);
  const spaced = chars.map((char) => JSON.stringify(char)).join(', ');
  const candidates: SecretForm[] = [
    { name: 'raw', text: secret },
    { name: 'JSON string form', text: JSON.stringify(secret).slice(1, -1) },
    { name: 'char array form', text: array },
    { name: 'char array form with spaces', text: `[${spaced}]` },
    { name: 'char array inner text', text: array.slice(1, -1) },
    { name: 'char array inner text with spaces', text: spaced }
  ];
  // JSON.stringify writes lone surrogates (an emoji split into UTF-16 code units) as lower-case \udXXX;
  // Java and other serializers write upper-case hex. Check both spellings.
  const upper = candidates
    .filter((form) => /\\u[0-9a-f]{4}/.test(form.text))
    .map((form) => ({
      name: `${form.name} (upper-case escapes)`,
      text: form.text.replace(/\\u([0-9a-f]{4})/g, (_, hex: string) => `\\u${hex.toUpperCase()}`)
    }));
  const seen = new Set<string>();
  return [...candidates, ...upper].filter((form) => {
    if (form.text === '' || seen.has(form.text)) return false;
    seen.add(form.text);
    return true;
  });
}

/** Every form the secret could leak in (raw, JSON-escaped, character-array variants), without duplicates. */
export function secretForms(secret: string): string[] {
  return namedForms(secret).map((form) => form.text);
}

/** Descriptions such as "secret #2 (char array form)" of every form of every secret found in text. */
export function findLeaks(text: string, secrets: string[]): string[] {
  const found: string[] = [];
  secrets.forEach((secret, index) => {
    // An empty secret would "leak" everywhere ('[]' and '' match any text): that is a test bug.
    if (secret === '') throw new Error(`findLeaks: secret #${index + 1} is empty`);
    for (const form of namedForms(secret)) {
      if (text.includes(form.text)) found.push(`secret #${index + 1} (${form.name})`);
    }
  });
  return found;
}

/** Throws when any secret, in any form, is visible in the job log or the step summary. */
export function assertNoLeaks(run: Pick<ActionRun, 'visibleLog' | 'summary'>, secrets: string[]): void {
  const problems = [
    ...findLeaks(run.visibleLog, secrets).map((leak) => `${leak} in the visible job log`),
    ...findLeaks(run.summary, secrets).map((leak) => `${leak} in the step summary`)
  ];
  if (problems.length > 0) throw new Error(`Secrets leaked:\n- ${problems.join('\n- ')}`);
}
