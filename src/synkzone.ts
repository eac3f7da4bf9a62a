/**
 * The Synkzone API calls, as the Synkzone SCIM documentation ("Tokens") gives them:
 * sign in, create a token with the pre-defined SCIM scope, verify it.
 * Reference: shared/reference/000_aec52079d564b12f.txt and synkzone-api-notes.md.
 */
import { ActionError, type Step } from './errors.js';
import { isRetryableStatus, type HttpClient, type HttpResponse, type RetryMode } from './http.js';

/** The pre-defined scope that limits a token to user management (the SCIM module's needs). */
export const SCIM_SCOPE = { clients: ['SynkzoneSSI'], name: 'SCIM' } as const;

export interface SynkzoneClient {
  http: HttpClient;
  apiUrl: string;
  /** core.setSecret: called on every credential the moment it is parsed. */
  mask(value: string): void;
}

/**
 * The password as Synkzone wants it: one string per character, read on the server (Java) as a `char[]`,
 * so one element per UTF-16 code unit. `split('')` splits an emoji into its two surrogates, as a
 * `char[]` holds it; `[...password]` would keep it whole and the password would not match.
 */
export function passwordChars(password: string): string[] {
  return password.split('');
}

/** POST /api/access/logon → the session id, masked before it is returned. */
export async function signIn(client: SynkzoneClient, username: string, password: string): Promise<string> {
  const response = await client.http.request({
    method: 'POST',
    url: `${client.apiUrl}/api/access/logon`,
    headers: { 'content-type': 'application/json', accept: 'application/json' },
    body: JSON.stringify({ username, password: passwordChars(password) }),
    step: 'Sign-in',
    retry: 'unsafe'
  });
  if (response.status === 401 || response.status === 403) {
    throw new ActionError(
      'Sign-in',
      `Synkzone refused the credentials (HTTP ${response.status}). Check 'username' and 'password' (not retried, so that a wrong password cannot lock the account).`,
      response.status
    );
  }
  expectSuccess('Sign-in', 'unsafe', response, 'Check api-url / organization and that the Synkzone API is up, then run again.');
  const sessionId = pickCredential('Sign-in', response, ['sessionId', 'session', 'id'], 'session id');
  client.mask(sessionId);
  return sessionId;
}

export interface TokenRequest {
  tokenName: string;
  validitySeconds: number;
  password: string;
}

/**
 * POST /api/tokens → the new token, masked before it is returned. The token is shown in this answer
 * and never again, so this request is never repeated once Synkzone may have acted on it.
 */
export async function createScimToken(client: SynkzoneClient, sessionId: string, request: TokenRequest): Promise<string> {
  const unreadable = `Synkzone may have created a token named '${request.tokenName}' that nobody can read: remove it in Synkzone before running again.`;
  const response = await client.http
    .request({
      method: 'POST',
      url: `${client.apiUrl}/api/tokens`,
      // The session id goes raw, without a scheme, as the Synkzone documentation shows.
      headers: { 'content-type': 'application/json', accept: 'application/json', authorization: sessionId },
      body: JSON.stringify({
        scope: SCIM_SCOPE,
        tokenName: request.tokenName,
        validity: request.validitySeconds,
        password: passwordChars(request.password)
      }),
      step: 'Token creation',
      retry: 'unsafe'
    })
    .catch((error: unknown) => {
      // The request may have been carried out even though its answer was lost.
      throw error instanceof ActionError && error.reachedServer ? error.withNote(unreadable) : error;
    });
  const unavailable = 'Synkzone is busy or unavailable, and did not create a token; run again later.';
  const advice: Record<number, string> = {
    429: unavailable,
    502: unavailable,
    503: unavailable,
    504: unavailable,
    400: "Synkzone rejected the request. Check 'token-name' and 'validity' (Synkzone may cap validity), then run again.",
    401: 'Synkzone did not accept the session or the password. Run again; if it persists, check the account.',
    403: "The account is not allowed to create tokens. 'username' must be an administrator of the Synkzone organization."
  };
  expectSuccess(
    'Token creation',
    'unsafe',
    response,
    advice[response.status] ?? `Check in Synkzone whether a token named '${request.tokenName}' was created anyway before running again.`
  );
  const token = pickCredential('Token creation', response, ['token', 'value', 'apiToken'], 'token', unreadable);
  client.mask(token);
  return token;
}

export interface Verification {
  /** Users listed by the verification request, when its answer is a list. */
  userCount?: number;
}

/** GET /api/users with the new token: proves it works before it is output or stored. */
export async function verifyToken(client: SynkzoneClient, token: string, tokenName: string): Promise<Verification> {
  const notStored = `The token '${tokenName}' was created in Synkzone but is not output or stored.`;
  const response = await client.http
    .request({
      method: 'GET',
      url: `${client.apiUrl}/api/users`,
      headers: { accept: 'application/json', authorization: `Bearer ${token}` },
      step: 'Verification',
      retry: 'idempotent'
    })
    .catch((error: unknown) => {
      throw error instanceof ActionError ? error.withNote(notStored) : error;
    });
  expectSuccess(
    'Verification',
    'idempotent',
    response,
    `${notStored} ${response.status === 401 || response.status === 403 ? 'Synkzone did not accept it for listing users; check that the SCIM scope is enabled for the organization.' : 'Run again later.'}`
  );
  let body: unknown;
  try {
    body = JSON.parse(response.text);
  } catch {
    throw new ActionError(
      'Verification',
      `GET /api/users answered HTTP ${response.status} with a body that is not JSON, so the token could not be confirmed. ${notStored} Check that api-url points at the Synkzone API.`,
      response.status
    );
  }
  return Array.isArray(body) ? { userCount: body.length } : {};
}

function expectSuccess(step: Step, retry: RetryMode, response: HttpResponse, advice: string): void {
  if (response.status >= 200 && response.status < 300) return;
  const retried = isRetryableStatus(retry, response.status) ? ' after the retries that were safe' : '';
  throw new ActionError(step, `Synkzone answered HTTP ${response.status}${retried}. ${advice}`, response.status);
}

/**
 * The field names that hold the session id and the token are not documented publicly, so accept the
 * plausible shapes: a bare JSON string, or an object with one of `fields` holding a string. When none
 * matches, name the fields the answer did have (never their values).
 */
export function extractCredential(body: unknown, fields: readonly string[]): string | undefined {
  if (isCredential(body)) return body;
  if (body && typeof body === 'object' && !Array.isArray(body)) {
    for (const field of fields) {
      const value = (body as Record<string, unknown>)[field];
      if (isCredential(value)) return value;
    }
  }
  return undefined;
}

function isCredential(value: unknown): value is string {
  // A credential is one printable line; anything else could not be masked or sent as a header.
  return typeof value === 'string' && /^[\x21-\x7e]{1,4096}$/.test(value);
}

function pickCredential(step: Step, response: HttpResponse, fields: readonly string[], what: string, note?: string): string {
  const noteText = note ? ` ${note}` : '';
  let body: unknown;
  try {
    body = JSON.parse(response.text);
  } catch {
    throw new ActionError(
      step,
      `Synkzone answered HTTP ${response.status} with a body that is not JSON, so no ${what} could be read.${noteText} Check that api-url points at the Synkzone API.`,
      response.status
    );
  }
  const credential = extractCredential(body, fields);
  if (credential !== undefined) return credential;
  throw new ActionError(
    step,
    `Synkzone's answer (HTTP ${response.status}) had no ${what} the action recognises: expected a JSON string or one of the fields ${fields.join(', ')}; the answer ${describeShape(body)}.${noteText} Report the field names to the action's maintainers.`,
    response.status
  );
}

/** The shape of an unrecognised answer: its type and field names, never values. */
export function describeShape(body: unknown): string {
  if (body === null) return 'was null';
  if (Array.isArray(body)) return `was a list of ${body.length}`;
  if (typeof body !== 'object') return `was a JSON ${typeof body}`;
  const names = Object.keys(body).map((name) => name.replace(/[^\w.-]/g, '?').slice(0, 40));
  if (names.length === 0) return 'was an empty object';
  return `had the fields ${names.slice(0, 20).join(', ')}${names.length > 20 ? ', …' : ''}`;
}
