/**
 * The one HTTP helper, for Synkzone and the GitHub API alike (Octokit uses it through `asFetch`).
 *
 * - undici with keep-alive, so each host costs one connection per run.
 * - HTTPS_PROXY / HTTP_PROXY / NO_PROXY honoured (EnvHttpProxyAgent), as users behind corporate proxies need;
 *   loopback hosts are always reached directly.
 * - A timeout per attempt (`request-timeout`), covering the answer's body too.
 * - No redirects: a 3xx is an error, so credentials are never resent to another place.
 * - Retries with exponential backoff and jitter up to `max-attempts`, only where a retry is safe:
 *   reads on network errors, 429 and 5xx; non-idempotent writes (sign-in, token creation) only where
 *   the server certainly did not act: the connection was never made, 429, 502, 503 or 504. So a 401/403
 *   on sign-in is never retried (retrying a wrong password can lock the account). `Retry-After` is honoured.
 * - GitHub rate limits (403/429 with `retry-after`, or `x-ratelimit-remaining: 0`) are waited out within
 *   a visible total budget, as @octokit/plugin-throttling does, without using up attempts.
 * - Never logs a request or response body or header: a body may echo the password's character array,
 *   which the runner's masking cannot catch.
 */
import { Agent, EnvHttpProxyAgent, request as undiciRequest, type Dispatcher } from 'undici';
import { ActionError, type Step } from './errors.js';
import { isLoopback } from './inputs.js';

export type RetryMode = 'idempotent' | 'unsafe';

export interface RequestSpec {
  method: 'GET' | 'POST' | 'PUT' | 'DELETE' | 'PATCH';
  url: string;
  headers?: Record<string, string>;
  body?: string;
  /** The step a failure is reported under. */
  step: Step;
  /** 'unsafe' for requests that must not be repeated once the server may have acted on them. */
  retry: RetryMode;
  /** Wait out GitHub's primary and secondary rate limits. */
  githubRateLimits?: boolean;
}

export interface HttpResponse {
  status: number;
  headers: Record<string, string>;
  text: string;
}

export interface HttpLog {
  info(message: string): void;
  debug(message: string): void;
}

export interface HttpOptions {
  maxAttempts: number;
  timeoutMs: number;
  log: HttpLog;
  sleep?: (ms: number) => Promise<void>;
  random?: () => number;
}

/** Longest single `Retry-After` the action waits; beyond it, running again later is the better advice. */
const MAX_RETRY_AFTER_MS = 60_000;
/** Total time one run may spend waiting out GitHub rate limits (visible in the log). */
export const RATE_LIMIT_BUDGET_MS = 300_000;
const BACKOFF_BASE_MS = 500;
const BACKOFF_CAP_MS = 10_000;

/** Codes that mean the request never reached the server, so even a non-idempotent one may be repeated. */
const NOT_CONNECTED = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'UND_ERR_CONNECT_TIMEOUT']);

interface Failure {
  /** Why the attempt failed, for the log and the error. */
  reason: string;
  /** The request certainly did not reach the server. */
  notConnected: boolean;
}

export class HttpClient {
  private readonly viaEnvironment: Dispatcher;
  private readonly direct: Dispatcher;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly random: () => number;
  private rateLimitWaitedMs = 0;

  constructor(private readonly options: HttpOptions) {
    // One kept-alive connection per host: without the cap, undici may open a second connection when the
    // next request starts a moment before the previous one has released its socket. Requests to the same
    // host queue on that connection; the few GitHub reads made during sign-in are cheap.
    const agentOptions = { keepAliveTimeout: 10_000, connections: 1 };
    this.viaEnvironment = new EnvHttpProxyAgent(agentOptions);
    // Loopback never goes through a proxy: the proxy's 127.0.0.1 is not this machine, and a plain-http
    // local API would hand the password to the proxy in clear.
    this.direct = new Agent(agentOptions);
    this.sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
    this.random = options.random ?? Math.random;
  }

  async request(spec: RequestSpec): Promise<HttpResponse> {
    const { maxAttempts } = this.options;
    const where = describe(spec);
    for (let attempt = 1; ; attempt++) {
      const outcome = await this.attempt(spec);
      let waitMs: number | undefined;
      let problem: string;

      if ('status' in outcome) {
        const { status, headers } = outcome;
        if (status >= 300 && status < 400) {
          // Following a redirect would resend the password or a token to wherever it points.
          throw new ActionError(
            spec.step,
            `${where} answered with a redirect (HTTP ${status}), which the action does not follow so that credentials are never sent elsewhere. Check the URL: use the final address.`,
            status
          );
        }
        const rateLimitWaitMs = spec.githubRateLimits ? githubRateLimitWait(status, headers) : undefined;
        if (rateLimitWaitMs !== undefined) {
          if (this.rateLimitWaitedMs + rateLimitWaitMs > RATE_LIMIT_BUDGET_MS) {
            throw new ActionError(
              spec.step,
              `${where}: the GitHub API rate limit is exhausted (HTTP ${status}) and resets in ${seconds(rateLimitWaitMs)}, beyond the ${seconds(RATE_LIMIT_BUDGET_MS)} this action waits in all. Run again after the reset, or spread the jobs out (max-parallel).`,
              status
            );
          }
          this.rateLimitWaitedMs += rateLimitWaitMs;
          this.options.log.info(
            `${where}: GitHub API rate limit reached (HTTP ${status}); waiting ${seconds(rateLimitWaitMs)} (${seconds(this.rateLimitWaitedMs)} of at most ${seconds(RATE_LIMIT_BUDGET_MS)} in this run).`
          );
          await this.sleep(rateLimitWaitMs);
          attempt--;
          continue;
        }
        if (status < 400) return outcome;
        if (!isRetryableStatus(spec.retry, status)) return outcome;
        problem = `HTTP ${status}`;
        waitMs = retryAfterMs(headers['retry-after']);
        if (waitMs !== undefined && waitMs > MAX_RETRY_AFTER_MS) {
          if (attempt < maxAttempts) {
            this.options.log.info(`${where}: HTTP ${status}; the server asks to wait ${seconds(waitMs)}, longer than the action waits.`);
          }
          return outcome;
        }
        if (attempt >= maxAttempts) return outcome;
      } else {
        const retryable = spec.retry === 'idempotent' || outcome.notConnected;
        problem = outcome.reason;
        if (!retryable || attempt >= maxAttempts) {
          throw new ActionError(spec.step, `${where}: ${outcome.reason}${retryAdvice(attempt, retryable)}`, undefined, {
            reachedServer: !outcome.notConnected
          });
        }
      }

      const delay = waitMs ?? this.backoff(attempt);
      this.options.log.info(`${where}: ${problem}; retrying in ${seconds(delay)} (attempt ${attempt + 1} of ${maxAttempts}).`);
      await this.sleep(delay);
    }
  }

  /** A `fetch` for Octokit, so GitHub calls share the proxy, timeout, redirect and retry policy. */
  asFetch(step: Step): typeof fetch {
    return (async (input: string | URL | Request, init?: RequestInit) => {
      const method = (init?.method ?? 'GET').toUpperCase() as RequestSpec['method'];
      const response = await this.request({
        method,
        url: String(input),
        headers: init?.headers as Record<string, string> | undefined,
        body: typeof init?.body === 'string' ? init.body : undefined,
        step,
        // A secret write (PUT) replaces the value wholesale, so repeating it is harmless.
        retry: method === 'POST' || method === 'PATCH' ? 'unsafe' : 'idempotent',
        githubRateLimits: true
      });
      const noBody = [101, 204, 205, 304].includes(response.status);
      return new Response(noBody ? null : response.text, { status: response.status, headers: response.headers });
    }) as typeof fetch;
  }

  /** Closes kept-alive connections so the process can exit at once. */
  async close(): Promise<void> {
    await Promise.all([this.viaEnvironment.destroy(), this.direct.destroy()]);
  }

  private async attempt(spec: RequestSpec): Promise<HttpResponse | Failure> {
    const started = Date.now();
    const { timeoutMs } = this.options;
    const signal = AbortSignal.timeout(timeoutMs);
    try {
      const response = await undiciRequest(spec.url, {
        method: spec.method,
        headers: spec.headers,
        body: spec.body,
        dispatcher: isLoopback(new URL(spec.url).hostname) ? this.direct : this.viaEnvironment,
        signal
      });
      const text = await response.body.text();
      this.options.log.debug(`${spec.method} ${redactQuery(spec.url)} → HTTP ${response.statusCode} in ${Date.now() - started} ms`);
      return { status: response.statusCode, headers: flattenHeaders(response.headers), text };
    } catch (error) {
      const failure = signal.aborted
        ? { reason: `no answer within ${seconds(timeoutMs)} (request-timeout)`, notConnected: false }
        : classifyNetworkError(error);
      this.options.log.debug(`${spec.method} ${redactQuery(spec.url)} → ${failure.reason} after ${Date.now() - started} ms`);
      return failure;
    }
  }

  /** Exponential backoff with jitter, so many jobs that failed together do not retry together. */
  private backoff(attempt: number): number {
    const ceiling = Math.min(BACKOFF_CAP_MS, BACKOFF_BASE_MS * 2 ** (attempt - 1));
    return Math.round(ceiling / 2 + (ceiling / 2) * this.random());
  }
}

/**
 * Whether an answer with this status is worth another attempt: 429 always; 5xx for requests that may be
 * repeated; for the others only 502-504, where a gateway says the server did not act.
 */
export function isRetryableStatus(retry: RetryMode, status: number): boolean {
  return status === 429 || (retry === 'idempotent' ? status >= 500 : [502, 503, 504].includes(status));
}

function classifyNetworkError(error: unknown): Failure {
  const code = errorCode(error);
  if (code === 'ECONNREFUSED') return { reason: 'connection refused', notConnected: true };
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return { reason: 'the host name could not be resolved', notConnected: true };
  if (code && NOT_CONNECTED.has(code)) return { reason: `could not connect (${code})`, notConnected: true };
  if (code === 'ECONNRESET' || code === 'UND_ERR_SOCKET' || code === 'EPIPE') {
    return { reason: 'the connection was closed before the answer arrived', notConnected: false };
  }
  if (code?.startsWith('ERR_TLS') || code?.includes('CERT') || code === 'UND_ERR_PRX_TLS') {
    return { reason: `TLS failed (${code}); check the certificate or the proxy`, notConnected: false };
  }
  return { reason: `network error (${code ?? (error as { name?: string })?.name ?? 'unknown'})`, notConnected: false };
}

/** The most specific error code along the cause chain (duck-typed: errors may come from another realm). */
function errorCode(error: unknown): string | undefined {
  for (
    let e = error as { code?: unknown; cause?: unknown } | undefined, depth = 0;
    e && typeof e === 'object' && depth < 5;
    e = e.cause as typeof e, depth++
  ) {
    if (typeof e.code === 'string' && e.code !== 'UND_ERR') return e.code;
  }
  return undefined;
}

function retryAdvice(attempt: number, retryable: boolean): string {
  if (retryable)
    return ` (after ${attempt} attempt${attempt === 1 ? '' : 's'}). Check that the host is reachable from the runner (proxy settings: HTTPS_PROXY, NO_PROXY) and run again.`;
  return ' (not retried: the server may have acted on the request). Check the network path to the host and run again.';
}

/** GitHub's rate-limit signals: https://docs.github.com/en/rest/using-the-rest-api/rate-limits-for-the-rest-api */
function githubRateLimitWait(status: number, headers: Record<string, string>): number | undefined {
  if (status !== 403 && status !== 429) return undefined;
  const retryAfter = retryAfterMs(headers['retry-after']);
  if (retryAfter !== undefined) return Math.max(retryAfter, 1000);
  if (headers['x-ratelimit-remaining'] === '0' && headers['x-ratelimit-reset']) {
    const resetMs = Number(headers['x-ratelimit-reset']) * 1000;
    if (Number.isFinite(resetMs)) return Math.max(resetMs - Date.now(), 0) + 1000;
  }
  return undefined;
}

/** `Retry-After` as seconds or an HTTP date (RFC 9110 §10.2.3). */
function retryAfterMs(value: string | undefined): number | undefined {
  if (!value) return undefined;
  if (/^\d+$/.test(value.trim())) return Number(value.trim()) * 1000;
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(date - Date.now(), 0);
}

function flattenHeaders(headers: Record<string, string | string[] | undefined>): Record<string, string> {
  const flat: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value !== undefined) flat[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : value;
  }
  return flat;
}

function describe(spec: RequestSpec): string {
  const url = new URL(spec.url);
  return `${spec.method} ${url.host}${url.pathname}`;
}

function redactQuery(url: string): string {
  return url.replace(/\?.*$/, '');
}

function seconds(ms: number): string {
  return `${Number((ms / 1000).toFixed(1))} s`;
}
