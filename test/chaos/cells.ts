// The fault matrix as data: every request the action makes × every fault, each with ONE expected
// outcome. matrix.test.ts runs every cell on the bundled action; scripts/fault-table.ts renders the
// same cells, in words, as the README's "Troubleshooting by fault" table; soak.ts draws its random
// faults from the same fault builders.
//
// The expectations are derived from the retry policy written down in issue #2 ("Behaviour" §7-8) and
// issue #5 (GitHub rate limits), NOT read back from src/: a cell that fails is a defect in the action
// (or a gap in the spec), never a reason to change the cell.
//
//   - GETs (and the secret PUT, which replaces a value wholesale) are retried on network errors,
//     429 and 5xx, up to max-attempts.
//   - POSTs (sign-in, token creation) are retried only where the server certainly did not act:
//     connection refused, 429, 502, 503, 504. A 401/403 on sign-in is never retried.
//   - Retry-After is honoured (up to 60 s; beyond that the action stops and says so).
//   - GitHub rate limits (403/429 with retry-after, or x-ratelimit-remaining: 0 + x-ratelimit-reset)
//     are waited out without using up attempts, within a total budget shown in the log (300 s).
//   - Every failure is one ::error:: line: the step, the HTTP status where there is one, and a fix.
import type { Fault } from '../support/faults.js';

/** Attempts per request in every cell (`max-attempts`). */
export const MAX_ATTEMPTS = 3;
/** `request-timeout` in seconds for cells whose fault is a hang; other cells use NORMAL_TIMEOUT_S. */
export const HANG_TIMEOUT_S = 1;
export const NORMAL_TIMEOUT_S = 10;
export const SECRET_NAME = 'SCIM_TOKEN';
export const REPOSITORY = 'octo-org/octo-repo';
export const ENVIRONMENT = 'production';
/** `token-name` in every run: an error about a token Synkzone may hold names it. */
export const TOKEN_NAME = 'chaos-scim-token';
/** A value that sits inside unknown or malformed answers: it must never reach the log or summary. */
export const CANARY = 'CANARY-5e1f0c9d-a-value-the-action-must-never-print';

export type Step = 'Renewal check' | 'Sign-in' | 'Token creation' | 'Verification' | 'Secret storage';
export const STEPS: readonly Step[] = ['Renewal check', 'Sign-in', 'Token creation', 'Verification', 'Secret storage'];

export type RouteId = 'read-secret' | 'logon' | 'tokens' | 'users' | 'public-key' | 'write-secret';
export type Host = 'synkzone' | 'github';

export interface RouteSpec {
  id: RouteId;
  host: Host;
  method: 'GET' | 'POST' | 'PUT';
  /** Path as a user reads it in the docs. */
  path: string;
  step: Step;
  /** Safe to repeat whatever happened: a read, or the secret PUT (it replaces the value wholesale). */
  idempotent: boolean;
  /** The request before this one on the same host: its answer can close the server so this one is refused. */
  previous?: RouteId;
  /** The request carries a body (so an error answer can echo it, password array included). */
  hasBody: boolean;
  /** Heading in the README table. */
  title: string;
}

/** In the order the README lists them (the order of the brief); the run order is in the titles. */
export const ROUTES: readonly RouteSpec[] = [
  {
    id: 'read-secret',
    host: 'github',
    method: 'GET',
    path: '/repos/{owner}/{repo}/actions/secrets/{name}',
    step: 'Renewal check',
    idempotent: true,
    hasBody: false,
    title: "Renewal check: the secret's metadata (only with `renew-before`)"
  },
  {
    id: 'logon',
    host: 'synkzone',
    method: 'POST',
    path: '/api/access/logon',
    step: 'Sign-in',
    idempotent: false,
    hasBody: true,
    title: 'Sign-in'
  },
  {
    id: 'tokens',
    host: 'synkzone',
    method: 'POST',
    path: '/api/tokens',
    step: 'Token creation',
    idempotent: false,
    previous: 'logon',
    hasBody: true,
    title: 'Token creation'
  },
  {
    id: 'users',
    host: 'synkzone',
    method: 'GET',
    path: '/api/users',
    step: 'Verification',
    idempotent: true,
    previous: 'tokens',
    hasBody: false,
    title: 'Verification'
  },
  {
    id: 'public-key',
    host: 'github',
    method: 'GET',
    path: '/repos/{owner}/{repo}/actions/secrets/public-key',
    step: 'Secret storage',
    idempotent: true,
    previous: 'read-secret',
    hasBody: false,
    title: "Secret storage: the target's public key (fetched while signing in)"
  },
  {
    id: 'write-secret',
    host: 'github',
    method: 'PUT',
    path: '/repos/{owner}/{repo}/actions/secrets/{name}',
    step: 'Secret storage',
    idempotent: true,
    previous: 'public-key',
    hasBody: true,
    title: 'Secret storage: writing the sealed secret'
  }
];

export function route(id: RouteId): RouteSpec {
  return ROUTES.find((candidate) => candidate.id === id)!;
}

export type FaultId =
  | 'refused'
  | 'reset'
  | 'timeout'
  | 'redirect'
  | '400'
  | '401'
  | '403'
  | '404'
  | '422'
  | '429'
  | '429-retry-after'
  | '429-retry-after-long'
  | '500'
  | '502'
  | '503'
  | '504'
  | 'malformed-json'
  | 'unknown-json'
  | 'empty-body'
  | 'rate-limit-403-reset'
  | 'rate-limit-429-reset'
  | 'rate-limit-403-retry-after'
  | 'rate-limit-429-retry-after'
  | 'rate-limit-403-reset-far';

/** The columns of the matrix: every request gets every one of these. */
export const MATRIX_FAULTS: readonly FaultId[] = [
  'refused',
  'reset',
  'timeout',
  'redirect',
  '400',
  '401',
  '403',
  '404',
  '422',
  '429',
  '429-retry-after',
  '429-retry-after-long',
  '500',
  '502',
  '503',
  '504',
  'malformed-json',
  'unknown-json',
  'empty-body'
];

export const RATE_LIMIT_FAULTS: readonly FaultId[] = [
  'rate-limit-403-reset',
  'rate-limit-429-reset',
  'rate-limit-403-retry-after',
  'rate-limit-429-retry-after',
  'rate-limit-403-reset-far'
];

export const FAULT_LABELS: Record<FaultId, string> = {
  refused: 'connection refused',
  reset: 'connection reset before the answer',
  timeout: 'no answer within `request-timeout`',
  redirect: 'redirect (307)',
  '400': '400',
  '401': '401',
  '403': '403',
  '404': '404',
  '422': '422',
  '429': '429 without `Retry-After`',
  '429-retry-after': '429 with `Retry-After: 1`',
  '429-retry-after-long': '429 with `Retry-After: 3600`',
  '500': '500',
  '502': '502',
  '503': '503',
  '504': '504',
  'malformed-json': 'malformed JSON (HTTP 200)',
  'unknown-json': 'JSON of a shape it does not know (HTTP 200)',
  'empty-body': 'empty body (HTTP 200)',
  'rate-limit-403-reset': '403 with `x-ratelimit-remaining: 0`, reset in 1 s',
  'rate-limit-429-reset': '429 with `x-ratelimit-remaining: 0`, reset in 1 s',
  'rate-limit-403-retry-after': '403 with `retry-after: 1`',
  'rate-limit-429-retry-after': '429 with `retry-after: 1`',
  'rate-limit-403-reset-far': '403 with `x-ratelimit-remaining: 0`, reset in an hour'
};

/** HTTP status a fault answers with, when it answers at all. */
export function faultStatus(fault: FaultId): number | undefined {
  if (fault === 'redirect') return 307;
  if (/^\d{3}$/.test(fault)) return Number(fault);
  if (fault.startsWith('429')) return 429;
  if (fault.startsWith('rate-limit-')) return Number(fault.slice('rate-limit-'.length, 'rate-limit-'.length + 3));
  if (fault === 'malformed-json' || fault === 'unknown-json' || fault === 'empty-body') return 200;
  return undefined;
}

export interface FaultContext {
  /** Date.now() when the run starts (rate-limit reset times are absolute). */
  now: number;
  /** The server acted (token created, secret stored) before the fault hit: the answer is lost. */
  afterEffect?: boolean;
}

/**
 * The stand-in fault for a fault id on a route. 'refused' is not a stand-in fault (it is a closed port,
 * or close-after on the previous request of the host): see refusedPlan().
 *
 * Error answers of requests with a body ECHO the request, like a server that quotes its input: the
 * password's character array is then in the answer, and must not reach the log.
 */
export function buildFault(id: Exclude<FaultId, 'refused'>, on: RouteSpec, context: FaultContext): Fault {
  const afterEffect = context.afterEffect === true ? { afterEffect: true } : {};
  const resetAt = (seconds: number): string => String(Math.ceil(context.now / 1000) + seconds);
  switch (id) {
    case 'reset':
      return { kind: 'reset', ...afterEffect };
    case 'timeout':
      return { kind: 'hang', ...afterEffect };
    case 'redirect':
      return { kind: 'status', status: 307, headers: { location: 'http://127.0.0.1:9/elsewhere' }, ...afterEffect };
    case '429-retry-after':
      return { kind: 'status', status: 429, headers: { 'retry-after': '1' }, echoRequest: on.hasBody, ...afterEffect };
    case '429-retry-after-long':
      return { kind: 'status', status: 429, headers: { 'retry-after': '3600' }, echoRequest: on.hasBody, ...afterEffect };
    case 'malformed-json':
      // JSON.parse's error message quotes its input: the canary shows if that message gets through.
      return { kind: 'body', status: 200, body: `{"sessionId": "${CANARY}", "token": "${CANARY}", "key": ` };
    case 'unknown-json':
      // Sign-in and token creation: the request echoed back at 200 (fields username/password or
      // scope/tokenName/validity/password): the error must name those fields, never their values.
      return on.hasBody && on.host === 'synkzone'
        ? { kind: 'status', status: 200, echoRequest: true, body: '' }
        : { kind: 'body', status: 200, body: JSON.stringify({ result: { credential: CANARY }, unexpected: true }) };
    case 'empty-body':
      return { kind: 'body', status: 200, body: '' };
    case 'rate-limit-403-reset':
    case 'rate-limit-429-reset':
      return {
        kind: 'status',
        status: faultStatus(id)!,
        headers: { 'x-ratelimit-limit': '5000', 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': resetAt(1) },
        body: JSON.stringify({ message: 'API rate limit exceeded' })
      };
    case 'rate-limit-403-retry-after':
    case 'rate-limit-429-retry-after':
      return {
        kind: 'status',
        status: faultStatus(id)!,
        headers: { 'retry-after': '1' },
        body: JSON.stringify({ message: 'You have exceeded a secondary rate limit' })
      };
    case 'rate-limit-403-reset-far':
      return {
        kind: 'status',
        status: 403,
        headers: { 'x-ratelimit-limit': '5000', 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': resetAt(3600) },
        body: JSON.stringify({ message: 'API rate limit exceeded' })
      };
    default:
      return { kind: 'status', status: Number(id), echoRequest: on.hasBody, ...afterEffect };
  }
}

/** How a refused connection to `on` is made: the host's port closed, or the previous request closing the server. */
export function refusedPlan(on: RouteSpec): { closedHost: Host } | { closeAfter: RouteId } {
  return on.previous ? { closeAfter: on.previous } : { closedHost: on.host };
}

export interface Expectation {
  exitCode: 0 | 1;
  /** Requests that reached the route's server, or (refused) connection attempts counted from the log. */
  attempts: number;
  /** On failure: the step the single ::error:: line starts with. */
  step?: Step;
  /** On failure: the HTTP status the error line names. */
  status?: number;
  /** On failure: fragments the error line contains (what happened, and the fix). */
  errorFragments: string[];
  /** Fragments the visible log contains (e.g. the rate-limit wait). */
  logFragments: string[];
  /** Retry-After / a rate limit honoured: at least this long between two requests of the route. */
  minGapMs?: number;
  /** POST /api/tokens requests that reached Synkzone. */
  tokenPosts: number;
  /** Tokens Synkzone created. */
  tokensCreated: 0 | 1;
  /**
   * The seeded secret afterwards: 'previous' (untouched), 'new' (the verified token, equal to the
   * `token` output), or 'reported-2xx' (GitHub's write answered 2xx with a body the stand-in invented
   * without storing: the action must report it written; the stand-in holds the previous value).
   */
  secret: 'previous' | 'new' | 'reported-2xx';
}

/** The cell in words, for the README. */
export interface UserWords {
  does: string;
  sees: string;
  todo: string;
}

export interface Cell {
  /** "tokens × 503", "users × reset ×1", ... */
  id: string;
  group: 'matrix' | 'recovery' | 'rate-limit' | 'orphan' | 'environment';
  /** The secret's target: a repository secret unless 'environment' (environment ENVIRONMENT). */
  target?: 'environment';
  route: RouteId;
  fault: FaultId;
  /** Requests of the route the fault hits (Infinity: all of them). */
  times: number;
  afterEffect?: boolean;
  /** `request-timeout` in seconds. */
  requestTimeout: number;
  expect: Expectation;
  /** Rendered into the README (persistent faults only). */
  words?: UserWords;
}

const M = MAX_ATTEMPTS;
const NOT_STORED = 'was created and verified in Synkzone but NOT stored';
const NOT_OUTPUT = 'was created in Synkzone but is not output or stored';
const REACHABLE_TODO = 'Check that the runner reaches the host (firewall; proxy: `HTTPS_PROXY`, `NO_PROXY`), then run again.';
const GITHUB_PERMISSION = 'Secrets: Read and write';

/** What happens when `fault` hits every request of `on`: the persistent outcome. */
interface Persistent {
  /** retry: up to max-attempts; once: never repeated; wait: a rate limit, waited out without using attempts. */
  repeat: 'retry' | 'once' | 'wait';
  /** undefined: the run still succeeds. */
  failure?: { fragments: string[]; status?: number; sees: string; todo: string };
  success?: { secret: Expectation['secret']; does: string; sees: string; todo: string };
  logFragments?: string[];
}

function persistent(on: RouteSpec, fault: FaultId, environment: boolean): Persistent {
  const p = persistentOutcome(on, fault, environment);
  const failure = p.failure;
  if (failure && !failure.fragments.some((fragment) => fragment.includes('created'))) {
    // Issue #5: "a pile of orphaned tokens" is a defect, so every failure after Synkzone may hold a new
    // token says so, in the step's own words: token creation whose answer was lost names the token to
    // look for; verification says the token exists but is not output or stored (as it does for a status).
    if (on.id === 'tokens' && (fault === 'reset' || fault === 'timeout')) failure.fragments.push(`'${TOKEN_NAME}'`);
    if (on.id === 'users') failure.fragments.push(NOT_OUTPUT);
  }
  return p;
}

function persistentOutcome(on: RouteSpec, fault: FaultId, environment: boolean): Persistent {
  const status = faultStatus(fault);
  const synkzone = on.host === 'synkzone';
  const where = `${on.method} <host>${on.path.replace(/\{(\w+)\}/g, (_, name: string) => name.toUpperCase())}`;
  const attemptsNote = `after ${M} attempts`;
  const network = (what: string, inWords: string = what): Persistent =>
    on.idempotent
      ? {
          repeat: 'retry',
          failure: { fragments: [what, attemptsNote], sees: `${where}: ${inWords} (${attemptsNote})`, todo: REACHABLE_TODO }
        }
      : {
          repeat: 'once',
          failure: {
            fragments: [what, 'not retried: the server may have acted on the request'],
            sees: `${where}: ${inWords} (not retried: the server may have acted on the request)`,
            todo:
              on.id === 'tokens'
                ? 'Check the network path to Synkzone; a token may have been created: look for it in Synkzone before running again.'
                : 'Check the network path to Synkzone, then run again.'
          }
        };

  switch (fault) {
    case 'refused':
      return {
        repeat: 'retry',
        failure: {
          fragments: ['connection refused', attemptsNote, 'Check that the host is reachable'],
          sees: `${where}: connection refused (${attemptsNote})`,
          todo: REACHABLE_TODO
        }
      };
    case 'reset':
      return network('the connection was closed before the answer arrived');
    case 'timeout':
      return network(`no answer within ${HANG_TIMEOUT_S} s (request-timeout)`, 'no answer within N s (request-timeout)');
    case 'redirect':
      return {
        repeat: 'once',
        failure: {
          fragments: ['redirect (HTTP 307)', 'Check the URL'],
          status: 307,
          sees: `${where} answered with a redirect (HTTP 307), which the action does not follow`,
          todo: synkzone
            ? 'Set `api-url` to the final address of the Synkzone API (credentials are never sent to a redirect target).'
            : 'Set `GITHUB_API_URL` (GitHub Enterprise Server) to the final API address.'
        }
      };
    case 'malformed-json':
    case 'empty-body':
    case 'unknown-json':
      return bodyFault(on, fault);
    default:
      break;
  }

  // An HTTP status.
  const s = status!;
  if (!synkzone) {
    if (fault === '429-retry-after' || fault.startsWith('rate-limit-')) {
      if (fault === 'rate-limit-403-reset-far') {
        return {
          repeat: 'once',
          failure: {
            fragments: ['rate limit is exhausted (HTTP 403)', 'Run again after the reset'],
            status: 403,
            sees: 'the GitHub API rate limit is exhausted (HTTP 403) and resets in … s, beyond the 300 s this action waits in all',
            todo: 'Run again after the reset, or spread the jobs out (`max-parallel` in a matrix).'
          }
        };
      }
      return {
        repeat: 'wait',
        logFragments: ['rate limit', 'waiting'],
        success: {
          secret: 'new',
          does: 'Waits it out (logged, at most 300 s per run in all) and retries without using up an attempt',
          sees: `\`… GitHub API rate limit reached (HTTP ${s}); waiting 1 s (1 s of at most 300 s in this run).\`, then success`,
          todo: 'Nothing. With many jobs writing secrets at once, `max-parallel` keeps the waits short.'
        }
      };
    }
    if (fault === '429-retry-after-long') {
      return {
        repeat: 'once',
        failure: {
          fragments: ['rate limit is exhausted (HTTP 429)', 'Run again after the reset'],
          status: 429,
          sees: 'the GitHub API rate limit is exhausted (HTTP 429) and resets in 3600 s, beyond the 300 s this action waits in all',
          todo: 'Run again after the reset, or spread the jobs out (`max-parallel` in a matrix).'
        }
      };
    }
  }
  const retryable = s === 429 || (on.idempotent ? s >= 500 : [502, 503, 504].includes(s));
  if (synkzone && fault === '429-retry-after-long') {
    return {
      repeat: 'once',
      logFragments: ['longer than the action waits'],
      failure: {
        fragments: ['HTTP 429'],
        status: 429,
        sees: `Synkzone answered HTTP 429 … (the log says the server asks to wait 3600 s, longer than the action waits)`,
        todo: 'Synkzone is rate limiting: run again later.'
      }
    };
  }
  const repeat: Persistent['repeat'] = retryable ? 'retry' : 'once';

  if (synkzone) {
    const answered = `Synkzone answered HTTP ${s}${retryable ? ' after the retries that were safe' : ''}`;
    switch (on.id) {
      case 'logon':
        if (s === 401 || s === 403) {
          return {
            repeat,
            failure: {
              fragments: [`HTTP ${s}`, "Check 'username' and 'password'", 'not retried'],
              status: s,
              sees: `Synkzone refused the credentials (HTTP ${s}) … (not retried, so that a wrong password cannot lock the account)`,
              todo: 'Check `username` and `password` (the account must be a Synkzone administrator).'
            }
          };
        }
        return {
          repeat,
          failure: {
            fragments: [`HTTP ${s}`, 'Check api-url / organization'],
            status: s,
            sees: answered,
            todo: 'Check `api-url` / `organization` and that the Synkzone API is up, then run again.'
          }
        };
      case 'tokens': {
        const byStatus: Record<number, [string, string]> = {
          400: ["Check 'token-name' and 'validity'", 'Check `token-name` and `validity` (Synkzone may cap the validity).'],
          401: ['check the account', 'Run again; if it persists, check the administrator account.'],
          403: ['administrator', '`username` must be an administrator of the Synkzone organization.']
        };
        // 429 and 502-504 mean Synkzone did not act (that is why they were retried): no token exists.
        const [fragment, todo] =
          byStatus[s] ??
          (retryable
            ? ['did not create a token', 'Run again later (Synkzone was overloaded or down; no token was made).']
            : ['whether a token named', 'Look in Synkzone for a token of that name created anyway, then run again.']);
        return { repeat, failure: { fragments: [`HTTP ${s}`, fragment], status: s, sees: answered, todo } };
      }
      case 'users':
        return {
          repeat,
          failure: {
            fragments: [`HTTP ${s}`, NOT_OUTPUT, s === 401 || s === 403 ? 'SCIM scope' : 'Run again later'],
            status: s,
            sees: `${answered}. The token … ${NOT_OUTPUT}.`,
            todo:
              s === 401 || s === 403
                ? 'Check that the SCIM module/scope is enabled for the Synkzone organization.'
                : 'Run again later (the unverified token is not stored).'
          }
        };
      default:
        throw new Error(`not a Synkzone route: ${on.id}`);
    }
  }

  // GitHub.
  const doing = { 'read-secret': 'reading the metadata of', 'public-key': 'fetching the public key for', 'write-secret': 'writing' }[
    on.id as 'read-secret' | 'public-key' | 'write-secret'
  ];
  const stored = on.id === 'write-secret' ? [NOT_STORED] : [];
  const storedWords = on.id === 'write-secret' ? ` The token … ${NOT_STORED}.` : '';
  const answered = `GitHub answered HTTP ${s} to ${doing} the repository secret …`;
  if (s === 404 && on.id === 'read-secret') {
    return {
      repeat: 'once',
      success: {
        secret: 'new',
        does: 'Takes the secret as missing, so a renewal is due: makes and stores a new token',
        sees: 'success (a new token)',
        todo: 'Nothing.'
      }
    };
  }
  if (s === 401) {
    return {
      repeat,
      failure: {
        fragments: [`HTTP 401`, "'github-token' was not accepted", ...stored],
        status: s,
        sees: `${answered}: 'github-token' was not accepted.${storedWords}`,
        todo: 'Give a current `github-token` (it is invalid or expired).'
      }
    };
  }
  if (s === 403) {
    return {
      repeat,
      failure: {
        fragments: [
          `HTTP 403`,
          'lacks the permission',
          GITHUB_PERMISSION,
          ...(environment ? ['Environments: Read and write'] : []),
          'GITHUB_TOKEN cannot write secrets',
          ...stored
        ],
        status: s,
        sees: `${answered}: 'github-token' lacks the permission. Give a fine-grained PAT with … 'Secrets: Read and write' …${storedWords}`,
        todo: "Give `github-token` the permission: fine-grained PAT 'Secrets: Read and write' (plus 'Environments' for environment secrets), GitHub App `secrets: write`. The workflow's `GITHUB_TOKEN` cannot write secrets."
      }
    };
  }
  if (s === 404 && environment) {
    return {
      repeat,
      failure: {
        fragments: ['HTTP 404', `environment '${ENVIRONMENT}' does not exist`, 'Create the environment', ...stored],
        status: s,
        sees: `${answered}: environment '${ENVIRONMENT}' does not exist in … Create the environment …${storedWords}`,
        todo: 'Create the environment (Settings → Environments) or fix `secret-environment`.'
      }
    };
  }
  if (s === 404) {
    return {
      repeat,
      failure: {
        fragments: ['HTTP 404', "was not found, or 'github-token' cannot see it", ...stored],
        status: s,
        sees: `${answered}: repository … was not found, or 'github-token' cannot see it.${storedWords}`,
        todo: 'Check `secret-repository` / `secret-environment` and that `github-token` can see the repository.'
      }
    };
  }
  return {
    repeat,
    failure: {
      fragments: [`HTTP ${s}`, 'githubstatus.com', ...stored],
      status: s,
      sees: `${answered}. Run again; if it persists, check https://www.githubstatus.com.${storedWords}`,
      todo: 'Run again later; check https://www.githubstatus.com.'
    }
  };
}

function bodyFault(on: RouteSpec, fault: 'malformed-json' | 'empty-body' | 'unknown-json'): Persistent {
  switch (on.id) {
    case 'logon':
    case 'tokens': {
      const what = on.id === 'logon' ? 'session id' : 'token';
      if (fault === 'unknown-json') {
        const fields = on.id === 'logon' ? 'username, password' : 'scope, tokenName, validity, password';
        return {
          repeat: 'once',
          failure: {
            fragments: ['HTTP 200', `had no ${what} the action recognises`, `had the fields ${fields}`],
            status: 200,
            sees: `Synkzone's answer (HTTP 200) had no ${what} the action recognises: … the answer had the fields ${fields}`,
            todo: "Report the field names to the action's maintainers (the values are never printed)."
          }
        };
      }
      return {
        repeat: 'once',
        failure: {
          fragments: ['HTTP 200 with a body that is not JSON', 'Check that api-url points at the Synkzone API'],
          status: 200,
          sees: `Synkzone answered HTTP 200 with a body that is not JSON, so no ${what} could be read`,
          todo:
            on.id === 'tokens'
              ? 'Check that `api-url` points at the Synkzone API; a token may have been created: look for it in Synkzone.'
              : 'Check that `api-url` points at the Synkzone API (not a proxy or login page).'
        }
      };
    }
    case 'users':
      if (fault === 'unknown-json') {
        return {
          repeat: 'once',
          success: {
            secret: 'new',
            does: 'Accepts it: any JSON answer with 200 proves the token works (`user-count` is set only for a list)',
            sees: 'success, without `user-count`',
            todo: 'Nothing.'
          }
        };
      }
      return {
        repeat: 'once',
        failure: {
          fragments: ['not JSON', 'could not be confirmed', NOT_OUTPUT],
          status: 200,
          sees: `GET /api/users answered HTTP 200 with a body that is not JSON, so the token could not be confirmed. … ${NOT_OUTPUT}.`,
          todo: 'Check that `api-url` points at the Synkzone API, then run again.'
        }
      };
    case 'read-secret':
      return {
        repeat: 'once',
        failure: {
          fragments: ['no valid updated_at', "Remove 'renew-before'"],
          sees: 'GitHub gave no valid updated_at for the repository secret …',
          todo: 'Check `GITHUB_API_URL`; remove `renew-before` to renew regardless.'
        }
      };
    case 'public-key':
      return {
        repeat: 'once',
        failure: {
          fragments: ['has no key', 'GITHUB_API_URL'],
          sees: "GitHub's public key answer for the repository secret … has no key",
          todo: 'Check that `GITHUB_API_URL` points at the GitHub API.'
        }
      };
    case 'write-secret':
      return {
        repeat: 'once',
        success: {
          secret: 'reported-2xx',
          does: 'Takes the 2xx as written (the body of a write answer is not needed)',
          sees: 'success, `secret-written: true`',
          todo: 'Nothing.'
        }
      };
  }
}

/** The route's stage in the run: which requests happen before a failure here stops it. */
function tokenActivity(
  on: RouteId,
  failed: boolean,
  postsAtRoute: number,
  afterEffect: boolean
): { tokenPosts: number; tokensCreated: 0 | 1 } {
  switch (on) {
    case 'read-secret':
    case 'logon':
    case 'public-key':
      // A failure here stops the run before the token exists (the public key is awaited before creation).
      return failed ? { tokenPosts: 0, tokensCreated: 0 } : { tokenPosts: 1, tokensCreated: 1 };
    case 'tokens':
      return { tokenPosts: postsAtRoute, tokensCreated: failed ? (afterEffect ? 1 : 0) : 1 };
    default:
      return { tokenPosts: 1, tokensCreated: 1 };
  }
}

export function deriveCell(
  routeId: RouteId,
  fault: FaultId,
  options: { times?: number; afterEffect?: boolean; group?: Cell['group']; target?: 'environment' } = {}
): Cell {
  const on = route(routeId);
  const times = options.times ?? Infinity;
  const afterEffect = options.afterEffect === true;
  const p = persistent(on, fault, options.target === 'environment');
  if (on.id === 'write-secret' && p.failure && !p.failure.fragments.includes(NOT_STORED)) {
    // Every failed write says that the token exists in Synkzone but was not stored (issue #2, Behaviour 5).
    p.failure.fragments.push(NOT_STORED);
  }
  const requestTimeout = fault === 'timeout' ? HANG_TIMEOUT_S : NORMAL_TIMEOUT_S;

  // How many requests the route gets, and whether the fault outlasts them.
  let attempts: number;
  let failed: boolean;
  if (p.repeat === 'wait') {
    // Each rate-limited answer is waited out; only a finite plan ends (the budget is 300 s).
    if (!Number.isFinite(times)) throw new Error(`${routeId} × ${fault}: a persistent rate limit takes 300 s; give times`);
    attempts = times + 1;
    failed = false;
  } else if (p.repeat === 'retry') {
    attempts = Math.min(M, times + 1);
    failed = times >= M && p.failure !== undefined;
  } else {
    attempts = 1;
    failed = p.failure !== undefined;
  }

  // A refused POST never reaches Synkzone, so it is not a request there.
  const postsAtRoute = fault === 'refused' ? 0 : attempts;
  const activity = tokenActivity(routeId, failed, postsAtRoute, afterEffect);
  const expect: Expectation = failed
    ? {
        exitCode: 1,
        attempts,
        step: on.step,
        ...(p.failure!.status !== undefined && { status: p.failure!.status }),
        errorFragments: p.failure!.fragments,
        logFragments: p.logFragments ?? [],
        ...activity,
        secret: 'previous'
      }
    : {
        exitCode: 0,
        attempts,
        errorFragments: [],
        logFragments: p.logFragments ?? (attempts > 1 ? ['retrying'] : []),
        ...activity,
        secret: p.success?.secret ?? 'new'
      };

  // Retry-After and rate limits are honoured: the repeat waits at least the second asked for.
  const waits = fault === '429-retry-after' || (fault.startsWith('rate-limit-') && fault !== 'rate-limit-403-reset-far');
  if (waits && attempts > 1) expect.minGapMs = 950;

  const group = options.group ?? (Number.isFinite(times) ? 'recovery' : 'matrix');
  const suffix = [Number.isFinite(times) ? `×${times}` : '', afterEffect ? 'after the server acted' : ''].filter(Boolean).join(' ');
  const cell: Cell = {
    id: `${routeId} × ${fault}${suffix ? ` ${suffix}` : ''}${options.target ? ` (${options.target} secret)` : ''}`,
    group,
    ...(options.target && { target: options.target }),
    route: routeId,
    fault,
    times,
    requestTimeout,
    expect
  };
  if (afterEffect) cell.afterEffect = true;
  if (group === 'matrix' || group === 'rate-limit') cell.words = words(on, fault, p, failed);
  return cell;
}

function words(on: RouteSpec, fault: FaultId, p: Persistent, failed: boolean): UserWords {
  if (!failed) {
    const s = p.success ?? { does: 'Retries; a later answer succeeds', sees: 'success', todo: 'Nothing.' };
    return { does: s.does, sees: s.sees, todo: s.todo };
  }
  const f = p.failure!;
  let does: string;
  if (fault === '429-retry-after-long') {
    does =
      on.host === 'synkzone'
        ? 'Fails at once: the wait asked for is longer than the action waits (60 s)'
        : 'Fails at once: the wait is beyond the 300 s the action waits for rate limits in a run';
  } else if (fault === 'rate-limit-403-reset-far') {
    does = 'Fails at once: the reset is beyond the 300 s the action waits for rate limits in a run';
  } else if (p.repeat === 'retry') {
    does =
      fault === 'refused' && !on.idempotent
        ? `Retries up to \`max-attempts\` (a refused connection never reached Synkzone, so repeating is safe), then fails`
        : `Retries up to \`max-attempts\`${fault === '429-retry-after' ? ', waiting as `Retry-After` asks' : ' with backoff'}, then fails`;
  } else if (on.id === 'logon' && (fault === '401' || fault === '403')) {
    does = 'Fails at once: never retried, so a wrong password cannot lock the account';
  } else if (on.id === 'tokens' && (fault === 'reset' || fault === 'timeout' || fault === '500')) {
    does = 'Fails without retrying: Synkzone may have made the token, and a repeat could make a second one';
  } else if (on.id === 'logon' && (fault === 'reset' || fault === 'timeout' || fault === '500')) {
    does = 'Fails without retrying: the sign-in may have reached Synkzone (repeated sign-ins can lock the account)';
  } else {
    does = 'Fails at once (a repeat would get the same answer)';
  }
  if (on.id === 'users') does += '; the unverified token is neither output nor stored';
  if (on.id === 'write-secret') does += '; the verified token is not stored, the previous secret stays';
  if (on.id === 'read-secret' || on.id === 'logon' || on.id === 'public-key') does += '; no token is made';
  return { does, sees: `\`${on.step} failed: ${f.sees}\``, todo: f.todo };
}

/** The matrix: every request × every fault, persistent. */
function matrixCells(): Cell[] {
  const cells: Cell[] = [];
  for (const on of ROUTES) {
    for (const fault of MATRIX_FAULTS) {
      // A persistent Retry-After: 1 from GitHub is a rate limit the action waits out for up to 300 s:
      // hit three times instead (three waits, more requests than max-attempts, then success).
      const times = on.host === 'github' && fault === '429-retry-after' ? 3 : Infinity;
      cells.push(deriveCell(on.id, fault, { times, group: 'matrix' }));
    }
  }
  return cells;
}

/** Faults that hit once: a retry recovers and the run succeeds. */
const RECOVERY: Array<[RouteId, FaultId]> = [
  ['read-secret', '503'],
  ['read-secret', 'reset'],
  ['logon', '503'],
  ['logon', '429-retry-after'],
  ['tokens', '502'],
  ['tokens', '429'],
  ['tokens', '504'],
  ['users', 'reset'],
  ['users', 'timeout'],
  ['users', '500'],
  ['public-key', 'reset'],
  ['public-key', '500'],
  ['write-secret', '500'],
  ['write-secret', 'timeout'],
  ['write-secret', 'reset']
];

/** An environment secret: a missing environment is named, a refusal names the Environments permission too. */
const ENVIRONMENT_CELLS: Array<[RouteId, FaultId]> = [
  ['read-secret', '403'],
  ['public-key', '404'],
  ['public-key', '403'],
  ['write-secret', '403']
];

/** The worst case for token creation: Synkzone made the token, then the answer was lost. */
const ORPHAN: FaultId[] = ['reset', 'timeout', '500'];

export const CELLS: readonly Cell[] = [
  ...matrixCells(),
  ...ROUTES.filter((on) => on.host === 'github').flatMap((on) =>
    RATE_LIMIT_FAULTS.map((fault) =>
      deriveCell(on.id, fault, { times: fault === 'rate-limit-403-reset-far' ? Infinity : 1, group: 'rate-limit' })
    )
  ),
  ...RECOVERY.map(([on, fault]) => deriveCell(on, fault, { times: 1, group: 'recovery' })),
  ...ORPHAN.map((fault) => deriveCell('tokens', fault, { afterEffect: true, group: 'orphan' })),
  ...ENVIRONMENT_CELLS.map(([on, fault]) => deriveCell(on, fault, { group: 'environment', target: 'environment' }))
];
