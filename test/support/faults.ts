// Per-request fault injection shared by the Synkzone and GitHub stand-ins, plus the small HTTP harness
// both stand-ins run on. The harness lives here (not in each stand-in) because every fault kind is a
// socket-level behaviour (answer late, never answer, drop the connection, stop listening) that must
// behave identically for both servers, and because close() has to be able to tear down sockets that a
// fault left hanging, so tests and benchmarks never leak open handles.
import http, { type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

/** What a stand-in does with one request instead of (or on top of) its real handler. */
export type Fault =
  /**
   * Answer with this status instead of the real handler. echoRequest puts the raw request body into the
   * response body (after `body`, if given), like a server that echoes input (e.g. the password array).
   * afterEffect: run the real handler first (create the token / store the secret), then answer this.
   */
  | {
      kind: 'status';
      status: number;
      body?: string;
      headers?: Record<string, string>;
      echoRequest?: boolean;
      afterEffect?: boolean;
    }
  /** Answer (default 200) with this raw body: malformed JSON, an unknown JSON shape, '' (empty). */
  | { kind: 'body'; body: string; status?: number; contentType?: string }
  /** Wait, then handle normally. */
  | { kind: 'delay'; ms: number }
  /** Never answer; the socket stays open until the client gives up or the server closes. */
  | { kind: 'hang'; afterEffect?: boolean }
  /** Destroy the socket (TCP RST) without sending a single response byte. */
  | { kind: 'reset'; afterEffect?: boolean }
  /** Handle normally, then stop listening and drop idle sockets: every later connection is refused. */
  | { kind: 'close-after' };

export interface FaultRule {
  route: string;
  fault: Fault;
  /** How many requests of the route this rule hits; default 1, Infinity for always. */
  times?: number;
}

/**
 * An ordered list of fault rules. The first rule that matches a route and has uses left wins, so a test
 * can script "first attempt 503, second attempt reset, then normal" by adding rules in that order.
 */
export class FaultPlan {
  private readonly rules: Array<{ route: string; fault: Fault; remaining: number }> = [];

  add(rule: FaultRule): this {
    const times = rule.times ?? 1;
    if (!(times >= 1)) throw new Error(`FaultRule.times must be >= 1 (got ${times})`);
    this.rules.push({ route: rule.route, fault: rule.fault, remaining: times });
    return this;
  }

  /** The fault for this request of `route`, consuming one use of its rule; undefined when none. */
  take(route: string): Fault | undefined {
    const index = this.rules.findIndex((rule) => rule.route === route);
    if (index < 0) return undefined;
    const rule = this.rules[index]!;
    rule.remaining -= 1; // Infinity - 1 stays Infinity
    if (rule.remaining <= 0) this.rules.splice(index, 1);
    return rule.fault;
  }

  /** Uses left (for one route, or all); lets a test assert that every planned fault was hit. */
  pending(route?: string): number {
    return this.rules.filter((rule) => route === undefined || rule.route === route).reduce((sum, rule) => sum + rule.remaining, 0);
  }

  clear(): void {
    this.rules.length = 0;
  }
}

/** One request as a stand-in received it (before any fault or delay). */
export interface RecordedRequest {
  /** Route name ('logon', 'tokens', 'public-key', ...) or 'unknown'. */
  route: string;
  method: string;
  /** Path and query exactly as sent. */
  path: string;
  headers: IncomingHttpHeaders;
  /** Raw body text (UTF-8 decoded). */
  body: string;
  /** Date.now() when the request was complete. */
  at: number;
}

/** What a handler sees: the recorded request plus the decoded path without the query. */
export interface StandinRequest extends RecordedRequest {
  pathname: string;
}

export interface StandinAnswer {
  status: number;
  /** Omitted: no body (e.g. 204). */
  body?: string;
  headers?: Record<string, string>;
}

export interface StandinRoute {
  route: string;
  /** The real behaviour, including side effects (creating a token, storing a secret). */
  handle(request: StandinRequest): StandinAnswer | Promise<StandinAnswer>;
}

export interface ServeOptions {
  /** Maps a request to a route; undefined → `notFound` (no faults apply to unknown routes). */
  resolve(method: string, pathname: string): StandinRoute | undefined;
  notFound(request: StandinRequest): StandinAnswer;
  faults: FaultPlan;
  requests: RecordedRequest[];
  /** Added before every request (benchmarks model network/server latency). */
  delayMs?: number;
}

export interface FaultyServer {
  url: string;
  close(): Promise<void>;
}

/** JSON answer helper used by both stand-ins. */
export function jsonAnswer(status: number, value: unknown, headers?: Record<string, string>): StandinAnswer {
  return {
    status,
    body: JSON.stringify(value),
    headers: { 'content-type': 'application/json; charset=utf-8', ...headers }
  };
}

// Stand-ins never need large bodies; a cap keeps a runaway client from exhausting test memory.
const MAX_BODY_BYTES = 1024 * 1024;

/** Start an HTTP server on 127.0.0.1 (random port) that routes requests and applies planned faults. */
export async function serveWithFaults(options: ServeOptions): Promise<FaultyServer> {
  const sockets = new Set<Socket>();
  const sleepers = new Set<{ timer: NodeJS.Timeout; resolve: () => void }>();
  let closing = false;
  let serverClosed: Promise<void> | undefined;

  // A sleep that close() can cut short, so a pending delay never keeps the process (or jest) alive.
  const sleep = (ms: number): Promise<void> =>
    new Promise((resolve) => {
      if (ms <= 0 || closing) return resolve();
      const sleeper = {
        timer: setTimeout(() => {
          sleepers.delete(sleeper);
          resolve();
        }, ms),
        resolve
      };
      sleepers.add(sleeper);
    });

  const server = http.createServer((req, res) => {
    handleRequest(req, res).catch((error: unknown) => {
      // A bug in a stand-in must surface as a loud 500, never as a silently hanging test.
      if (!res.headersSent && !res.destroyed) {
        send(res, jsonAnswer(500, { error: `stand-in failure: ${(error as Error).message}` }));
      }
    });
  });

  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });

  // Stop accepting connections (later connects get ECONNREFUSED). Idempotent: close-after and close()
  // may both ask for it.
  const stopListening = (): Promise<void> => {
    serverClosed ??= new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeIdleConnections();
    return serverClosed;
  };

  async function handleRequest(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const body = await readBody(req);
    const method = req.method ?? 'GET';
    const rawPath = req.url ?? '/';
    const pathname = new URL(rawPath, 'http://standin.invalid').pathname;
    const route = options.resolve(method, pathname);
    const recorded: RecordedRequest = {
      route: route?.route ?? 'unknown',
      method,
      path: rawPath,
      headers: req.headers,
      body: body ?? '',
      at: Date.now()
    };
    options.requests.push(recorded);
    const request: StandinRequest = { ...recorded, pathname };

    if (body === undefined) return send(res, jsonAnswer(413, { error: 'Request body too large' }));
    await sleep(options.delayMs ?? 0);
    if (closing) return;
    if (!route) return send(res, options.notFound(request));

    const fault = options.faults.take(route.route);
    switch (fault?.kind) {
      case undefined:
        return send(res, await route.handle(request));
      case 'delay':
        await sleep(fault.ms);
        if (closing) return;
        return send(res, await route.handle(request));
      case 'body':
        return send(res, {
          status: fault.status ?? 200,
          body: fault.body,
          headers: { 'content-type': fault.contentType ?? 'application/json; charset=utf-8' }
        });
      case 'status': {
        if (fault.afterEffect) await route.handle(request);
        const text = fault.echoRequest
          ? (fault.body ?? '') + request.body
          : (fault.body ?? JSON.stringify({ error: `injected status ${fault.status}` }));
        return send(res, {
          status: fault.status,
          body: text,
          headers: { 'content-type': 'application/json; charset=utf-8', ...fault.headers }
        });
      }
      case 'hang':
        // The answer is lost: with afterEffect the server did the work first (the worst case for a
        // non-idempotent call). Nothing is written; close() destroys the socket.
        if (fault.afterEffect) await route.handle(request);
        return;
      case 'reset':
        if (fault.afterEffect) await route.handle(request);
        resetSocket(req.socket);
        return;
      case 'close-after': {
        const answer = await route.handle(request);
        // Connection: close so the client does not keep this socket for a later request; that later
        // request must open a new connection and be refused.
        send(res, { ...answer, headers: { ...answer.headers, connection: 'close' } });
        void stopListening();
        return;
      }
    }
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    async close(): Promise<void> {
      closing = true;
      for (const sleeper of sleepers) {
        clearTimeout(sleeper.timer);
        sleeper.resolve();
      }
      sleepers.clear();
      const closed = stopListening();
      // Hanging and keep-alive sockets would otherwise hold server.close() open forever.
      server.closeAllConnections();
      for (const socket of sockets) socket.destroy();
      await closed;
    }
  };
}

function send(res: ServerResponse, answer: StandinAnswer): void {
  if (res.destroyed || res.headersSent) return;
  const headers: Record<string, string | number> = { ...answer.headers };
  if (answer.body !== undefined) headers['content-length'] = Buffer.byteLength(answer.body);
  res.writeHead(answer.status, headers);
  res.end(answer.body);
}

// A real RST (ECONNRESET at the client) when the platform offers it, otherwise a plain close.
function resetSocket(socket: Socket): void {
  const withReset = socket as Socket & { resetAndDestroy?: () => Socket };
  if (typeof withReset.resetAndDestroy === 'function') withReset.resetAndDestroy();
  else socket.destroy();
}

/** The whole body as UTF-8 text, or undefined when it exceeds MAX_BODY_BYTES. */
function readBody(req: IncomingMessage): Promise<string | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let tooLarge = false;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) tooLarge = true;
      else chunks.push(chunk);
    });
    req.on('end', () => resolve(tooLarge ? undefined : Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}
