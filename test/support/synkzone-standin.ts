// A Synkzone API stand-in: a real HTTP server that ENFORCES the documented contract
// (/work/shared/reference: sign in, create a SCIM-scoped token, verify it with GET /api/users), so a
// test passes only when the action sends exactly what the real API expects. Where the public docs are
// silent (response field names, error bodies) the stand-in is configurable, so tests can cover every
// plausible shape rather than the one we happened to guess.
//
// Error bodies are small fixed JSON messages that never contain request data: a leak found in a test
// must come from the action, not from the stand-in (unless a fault deliberately echoes the request).
import { randomBytes } from 'node:crypto';
import {
  FaultPlan,
  jsonAnswer,
  serveWithFaults,
  type RecordedRequest,
  type StandinAnswer,
  type StandinRequest,
  type StandinRoute
} from './faults.js';

export interface SynkzoneUser {
  username: string;
  password: string;
  admin: boolean;
}

export interface SynkzoneStandinOptions {
  /** Default: one administrator 'admin' whose password has an emoji (two UTF-16 code units). */
  users?: SynkzoneUser[];
  /** Sign-in answer: {"sessionId": ...} / {"session": ...} / {"id": ...} / a bare JSON string. */
  logonShape?: 'sessionId' | 'session' | 'id' | 'string';
  /** Token-creation answer: {"token": ...} / {"value": ...} / {"apiToken": ...} / a bare JSON string. */
  tokenShape?: 'token' | 'value' | 'apiToken' | 'string';
  /** GET /api/users answer: a JSON array (default) or {"users": [...]} (not a list). */
  usersShape?: 'array' | 'object';
  /** Users listed by GET /api/users; default 3. */
  userCount?: number;
  /** Added to every request. */
  delayMs?: number;
}

export interface CreatedToken {
  token: string;
  tokenName: string;
  validity: number;
  scope: { clients: string[]; name: string };
  createdAt: Date;
  username: string;
}

export interface SynkzoneStandin {
  url: string;
  /** Routes: 'logon' | 'tokens' | 'users'. */
  faults: FaultPlan;
  requests: RecordedRequest[];
  tokens: CreatedToken[];
  sessions: string[];
  close(): Promise<void>;
}

export const DEFAULT_SYNKZONE_USERS: readonly SynkzoneUser[] = [{ username: 'admin', password: 'correct horse 😀 battery', admin: true }];

const ROUTES: Record<string, { route: 'logon' | 'tokens' | 'users'; method: string }> = {
  '/api/access/logon': { route: 'logon', method: 'POST' },
  '/api/tokens': { route: 'tokens', method: 'POST' },
  '/api/users': { route: 'users', method: 'GET' }
};

export async function startSynkzoneStandin(options: SynkzoneStandinOptions = {}): Promise<SynkzoneStandin> {
  const users = options.users ?? DEFAULT_SYNKZONE_USERS.map((user) => ({ ...user }));
  const faults = new FaultPlan();
  const requests: RecordedRequest[] = [];
  const tokens: CreatedToken[] = [];
  const sessions: string[] = [];
  const sessionUsers = new Map<string, SynkzoneUser>();

  function logon(request: StandinRequest): StandinAnswer {
    const body = readJsonBody(request);
    if ('answer' in body) return body.answer;
    const value = body.value;
    if (!isObject(value) || !hasExactKeys(value, ['password', 'username'])) {
      return error(400, 'Expected {"username": string, "password": [characters]}');
    }
    const password = charArray(value.password);
    if (typeof value.username !== 'string' || value.username === '' || password === undefined) {
      return error(400, 'Expected {"username": string, "password": [characters]}');
    }
    const user = users.find((candidate) => candidate.username === value.username);
    if (!user || user.password !== password) return error(401, 'Invalid username or password');
    const session = randomBytes(16).toString('hex');
    sessions.push(session);
    sessionUsers.set(session, user);
    return shaped(options.logonShape ?? 'sessionId', session);
  }

  function createToken(request: StandinRequest): StandinAnswer {
    // The session id is the whole header value; "Bearer <session>" is not a session id.
    const user = sessionUsers.get(request.headers.authorization ?? '');
    if (!user) return error(401, 'Not signed in');
    if (!user.admin) return error(403, 'Administrator rights required');
    const body = readJsonBody(request);
    if ('answer' in body) return body.answer;
    const value = body.value;
    if (!isObject(value) || !hasExactKeys(value, ['password', 'scope', 'tokenName', 'validity'])) {
      return error(400, 'Expected {"scope", "tokenName", "validity", "password"}');
    }
    const scope = value.scope;
    if (
      !isObject(scope) ||
      !hasExactKeys(scope, ['clients', 'name']) ||
      !Array.isArray(scope.clients) ||
      scope.clients.length !== 1 ||
      scope.clients[0] !== 'SynkzoneSSI' ||
      scope.name !== 'SCIM'
    ) {
      return error(400, 'Unknown token scope');
    }
    if (typeof value.tokenName !== 'string' || value.tokenName.trim() === '') {
      return error(400, 'tokenName must be a non-empty string');
    }
    // Seconds as a JSON integer: 1.5, "90", 0 and negative numbers are all bad requests.
    if (typeof value.validity !== 'number' || !Number.isSafeInteger(value.validity) || value.validity <= 0) {
      return error(400, 'validity must be a positive whole number of seconds');
    }
    const password = charArray(value.password);
    if (password === undefined) return error(400, 'password must be an array of characters');
    if (password !== user.password) return error(401, 'Invalid password');
    const token = `P-${randomBytes(32).toString('hex').toUpperCase()}`;
    tokens.push({
      token,
      tokenName: value.tokenName,
      validity: value.validity,
      scope: { clients: ['SynkzoneSSI'], name: 'SCIM' },
      createdAt: new Date(),
      username: user.username
    });
    return shaped(options.tokenShape ?? 'token', token);
  }

  function listUsers(request: StandinRequest): StandinAnswer {
    const match = /^Bearer (\S+)$/i.exec(request.headers.authorization ?? '');
    const created = match ? tokens.find((candidate) => candidate.token === match[1]) : undefined;
    const expired = created ? created.createdAt.getTime() + created.validity * 1000 < Date.now() : true;
    if (!created || expired) {
      return error(401, 'Invalid or expired token', { 'www-authenticate': 'Bearer' });
    }
    const list = Array.from({ length: options.userCount ?? 3 }, (_, index) => ({
      id: `u-${index + 1}`,
      userName: `user${index + 1}@example.com`,
      displayName: `User ${index + 1}`,
      active: true
    }));
    return jsonAnswer(200, (options.usersShape ?? 'array') === 'array' ? list : { users: list });
  }

  const handlers = { logon, tokens: createToken, users: listUsers };

  const server = await serveWithFaults({
    faults,
    requests,
    delayMs: options.delayMs,
    resolve(method, pathname): StandinRoute | undefined {
      const known = ROUTES[pathname];
      if (!known) return undefined;
      if (method !== known.method) {
        // The path exists, so a real server answers 405 (still a route, so faults can target it).
        return { route: known.route, handle: () => error(405, 'Method not allowed', { allow: known.method }) };
      }
      return { route: known.route, handle: handlers[known.route] };
    },
    notFound: () => error(404, 'Not found')
  });

  return { url: server.url, faults, requests, tokens, sessions, close: () => server.close() };
}

function error(status: number, message: string, headers?: Record<string, string>): StandinAnswer {
  return jsonAnswer(status, { error: message }, headers);
}

function shaped(shape: string, value: string): StandinAnswer {
  return jsonAnswer(200, shape === 'string' ? value : { [shape]: value });
}

/** The JSON body of a request that must be application/json, or the error answer to give instead. */
function readJsonBody(request: StandinRequest): { value: unknown } | { answer: StandinAnswer } {
  const contentType = (request.headers['content-type'] ?? '').toLowerCase();
  // A JAX-RS server (Synkzone is Java-based) refuses a body it cannot map with 415, not 400.
  if (!/^application\/json\s*(;|$)/.test(contentType)) {
    return { answer: error(415, 'Content-Type must be application/json') };
  }
  try {
    return { value: JSON.parse(request.body) as unknown };
  } catch {
    return { answer: error(400, 'Request body is not valid JSON') };
  }
}

/**
 * The password of a Java char[]: an array with one element per UTF-16 code unit, i.e. exactly
 * `password.split('')`. An element of length 2 (what `[...password]` makes of an emoji) is a bad request.
 */
function charArray(value: unknown): string | undefined {
  if (!Array.isArray(value)) return undefined;
  if (!value.every((element) => typeof element === 'string' && element.length === 1)) return undefined;
  return (value as string[]).join('');
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function hasExactKeys(value: Record<string, unknown>, keys: string[]): boolean {
  const actual = Object.keys(value).sort();
  return actual.length === keys.length && actual.every((key, index) => key === [...keys].sort()[index]);
}
