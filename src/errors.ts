/**
 * The one error type of the action. Everything that can go wrong is thrown as an ActionError deep down
 * and caught once, in index.ts, where its message becomes the single `core.setFailed` line.
 *
 * The message is written for the user: which step failed, the HTTP status where there is one, and what
 * to do. It must never contain a credential or a response body (a server may echo the password's
 * character array, which the runner's masking cannot catch).
 */
export type Step = 'Inputs' | 'Renewal check' | 'Sign-in' | 'Token creation' | 'Verification' | 'Secret storage';

export class ActionError extends Error {
  override readonly name = 'ActionError';

  constructor(
    readonly step: Step,
    /** What happened and what to do; one line, no secrets. */
    readonly detail: string,
    readonly status?: number,
    options?: {
      cause?: unknown;
      /** For a failed request: false when it certainly never reached the server (nothing was done there). */
      reachedServer?: boolean;
    }
  ) {
    super(`${step} failed: ${detail}`, options);
    this.reachedServer = options?.reachedServer ?? true;
  }

  readonly reachedServer: boolean;

  /** The same failure with what it means for the run added, e.g. that a created token was not stored. */
  withNote(note: string): ActionError {
    return new ActionError(this.step, `${this.detail} ${note}`, this.status, { cause: this, reachedServer: this.reachedServer });
  }
}

/** An input error: names the input as the user wrote it in `with:` and the fix. */
export function inputError(input: string, problem: string): ActionError {
  return new ActionError('Inputs', `input '${input}' ${problem}`);
}
