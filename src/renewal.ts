/**
 * When a stored token is due for renewal. GitHub never reveals a secret's value, only when it was last
 * written, and Synkzone documents no way to list or revoke tokens, so the secret's `updated_at` plus the
 * configured validity is the best estimate of when the stored token expires.
 */
export function renewalDueAt(updatedAt: Date, validitySeconds: number, renewBeforeSeconds: number): Date {
  return new Date(updatedAt.getTime() + (validitySeconds - renewBeforeSeconds) * 1000);
}
