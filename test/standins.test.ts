// Proves the stand-ins enforce the contracts they stand in for, using plain fetch: if a stand-in
// accepted a wrong request, every action test built on it would prove nothing.
import { afterEach, describe, expect, it } from '@jest/globals';
import sodium from 'libsodium-wrappers';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { FaultPlan } from './support/faults.js';
import { startGitHubStandin, type GitHubStandin, type GitHubStandinOptions } from './support/github-standin.js';
import { assertNoLeaks, findLeaks, secretForms } from './support/leaks.js';
import { parseOutputFile, runAction } from './support/run-action.js';
import {
  DEFAULT_SYNKZONE_USERS,
  startSynkzoneStandin,
  type SynkzoneStandin,
  type SynkzoneStandinOptions
} from './support/synkzone-standin.js';

const PASSWORD = DEFAULT_SYNKZONE_USERS[0]!.password;
const SCOPE = { clients: ['SynkzoneSSI'], name: 'SCIM' };
const TOKEN_PATTERN = /^P-[0-9A-F]{64}$/;

// Every stand-in a test starts is closed afterwards, even when the test fails.
const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  await Promise.all(cleanups.splice(0).map((cleanup) => cleanup()));
});

async function synkzone(options?: SynkzoneStandinOptions): Promise<SynkzoneStandin> {
  const standin = await startSynkzoneStandin(options);
  cleanups.push(() => standin.close());
  return standin;
}

async function github(options?: GitHubStandinOptions): Promise<GitHubStandin> {
  const standin = await startGitHubStandin(options);
  cleanups.push(() => standin.close());
  return standin;
}

function post(url: string, body: unknown, headers: Record<string, string> = {}, signal?: AbortSignal): Promise<Response> {
  return fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
    signal
  });
}

const logonBody = (password = PASSWORD, username = 'admin') => ({ username, password: password.split('') });
const tokenBody = (overrides: Record<string, unknown> = {}) => ({
  scope: SCOPE,
  tokenName: 'scim-octo-org-octo-repo-1234567890',
  validity: 7776000,
  password: PASSWORD.split(''),
  ...overrides
});

async function signIn(standin: SynkzoneStandin): Promise<string> {
  const response = await post(`${standin.url}/api/access/logon`, logonBody());
  expect(response.status).toBe(200);
  return standin.sessions[standin.sessions.length - 1]!;
}

async function createToken(standin: SynkzoneStandin): Promise<string> {
  const session = await signIn(standin);
  const response = await post(`${standin.url}/api/tokens`, tokenBody(), { authorization: session });
  expect(response.status).toBe(200);
  return standin.tokens[standin.tokens.length - 1]!.token;
}

/** The low-level error code behind a failed fetch (ECONNREFUSED, ECONNRESET, UND_ERR_SOCKET, ...). */
async function fetchErrorCode(promise: Promise<Response>): Promise<string> {
  try {
    await promise;
  } catch (error) {
    const cause = (error as { cause?: { code?: string } }).cause;
    return cause?.code ?? (error as Error).name;
  }
  throw new Error('expected the request to fail');
}

describe('Synkzone stand-in: sign in', () => {
  it.each([
    ['sessionId', (body: unknown) => (body as { sessionId: string }).sessionId],
    ['session', (body: unknown) => (body as { session: string }).session],
    ['id', (body: unknown) => (body as { id: string }).id],
    ['string', (body: unknown) => body as string]
  ] as const)('answers a correct sign-in (emoji password as UTF-16 units) in the %s shape', async (shape, pick) => {
    const standin = await synkzone({ logonShape: shape });
    const response = await post(`${standin.url}/api/access/logon`, logonBody());
    expect(response.status).toBe(200);
    const session = pick(await response.json());
    expect(session).toMatch(/^[0-9a-f]{32}$/);
    expect(standin.sessions).toEqual([session]);
  });

  it('the emoji password really is sent as two lone-surrogate elements', () => {
    expect(JSON.stringify(logonBody().password)).toContain('"\\ud83d","\\ude00"');
  });

  it('refuses a password given as a plain string with 400', async () => {
    const standin = await synkzone();
    const response = await post(`${standin.url}/api/access/logon`, { username: 'admin', password: PASSWORD });
    expect(response.status).toBe(400);
    const text = await response.text();
    expect(JSON.parse(text)).toHaveProperty('error');
    expect(findLeaks(text, [PASSWORD])).toEqual([]);
  });

  it('refuses a password split by code points ([...password]) with 400', async () => {
    const standin = await synkzone();
    const response = await post(`${standin.url}/api/access/logon`, { username: 'admin', password: [...PASSWORD] });
    expect(response.status).toBe(400);
  });

  it('refuses missing fields, extra fields, bad JSON and a non-JSON content type', async () => {
    const standin = await synkzone();
    const url = `${standin.url}/api/access/logon`;
    expect((await post(url, { password: PASSWORD.split('') })).status).toBe(400);
    expect((await post(url, { ...logonBody(), remember: true })).status).toBe(400);
    expect((await post(url, '{"username": "admin", ')).status).toBe(400);
    const plain = await fetch(url, { method: 'POST', body: JSON.stringify(logonBody()), headers: { 'content-type': 'text/plain' } });
    expect(plain.status).toBe(415);
    expect(standin.sessions).toEqual([]);
  });

  it('answers a wrong password or unknown user with 401', async () => {
    const standin = await synkzone();
    expect((await post(`${standin.url}/api/access/logon`, logonBody('wrong'))).status).toBe(401);
    expect((await post(`${standin.url}/api/access/logon`, logonBody(PASSWORD, 'nobody'))).status).toBe(401);
    expect(standin.sessions).toEqual([]);
  });

  it('answers 404 for an unknown route and 405 for a wrong method', async () => {
    const standin = await synkzone();
    expect((await fetch(`${standin.url}/api/nothing`)).status).toBe(404);
    const wrongMethod = await fetch(`${standin.url}/api/access/logon`);
    expect(wrongMethod.status).toBe(405);
    expect(wrongMethod.headers.get('allow')).toBe('POST');
    expect(standin.requests.map((request) => request.route)).toEqual(['unknown', 'logon']);
  });
});

describe('Synkzone stand-in: create a token', () => {
  it.each(['token', 'value', 'apiToken', 'string'] as const)('creates a P- token, answered in the %s shape', async (shape) => {
    const standin = await synkzone({ tokenShape: shape });
    const session = await signIn(standin);
    const response = await post(`${standin.url}/api/tokens`, tokenBody(), { authorization: session });
    expect(response.status).toBe(200);
    const body = (await response.json()) as unknown;
    const token = shape === 'string' ? body : (body as Record<string, unknown>)[shape];
    expect(token).toMatch(TOKEN_PATTERN);
    expect(standin.tokens).toEqual([
      expect.objectContaining({
        token,
        tokenName: 'scim-octo-org-octo-repo-1234567890',
        validity: 7776000,
        scope: SCOPE,
        username: 'admin'
      })
    ]);
  });

  it('refuses "Bearer <session>" and unknown sessions with 401', async () => {
    const standin = await synkzone();
    const session = await signIn(standin);
    const url = `${standin.url}/api/tokens`;
    expect((await post(url, tokenBody(), { authorization: `Bearer ${session}` })).status).toBe(401);
    expect((await post(url, tokenBody(), { authorization: 'f'.repeat(32) })).status).toBe(401);
    expect((await post(url, tokenBody())).status).toBe(401);
    expect(standin.tokens).toEqual([]);
  });

  it.each([
    ['a wrong scope name', { scope: { clients: ['SynkzoneSSI'], name: 'Admin' } }],
    ['an extra scope key', { scope: { ...SCOPE, zones: [] } }],
    ['a missing scope key', { scope: { name: 'SCIM' } }],
    ['validity 1.5', { validity: 1.5 }],
    ['validity "90"', { validity: '90' }],
    ['validity 0', { validity: 0 }],
    ['an empty tokenName', { tokenName: '' }],
    ['a plain-string password', { password: PASSWORD }],
    ['an extra top-level key', { description: 'x' }]
  ])('refuses %s with 400', async (_label, overrides) => {
    const standin = await synkzone();
    const session = await signIn(standin);
    const response = await post(`${standin.url}/api/tokens`, tokenBody(overrides), { authorization: session });
    expect(response.status).toBe(400);
    expect(standin.tokens).toEqual([]);
  });

  it('refuses a wrong confirmation password with 401', async () => {
    const standin = await synkzone();
    const session = await signIn(standin);
    const response = await post(`${standin.url}/api/tokens`, tokenBody({ password: 'nope'.split('') }), { authorization: session });
    expect(response.status).toBe(401);
  });

  it('refuses a signed-in user who is not an administrator with 403', async () => {
    const standin = await synkzone({ users: [{ username: 'clerk', password: 'pw', admin: false }] });
    await post(`${standin.url}/api/access/logon`, { username: 'clerk', password: ['p', 'w'] });
    const response = await post(`${standin.url}/api/tokens`, tokenBody({ password: ['p', 'w'] }), { authorization: standin.sessions[0]! });
    expect(response.status).toBe(403);
    expect(standin.tokens).toEqual([]);
  });
});

describe('Synkzone stand-in: verify with GET /api/users', () => {
  it('lists users for a created token', async () => {
    const standin = await synkzone({ userCount: 5 });
    const token = await createToken(standin);
    const response = await fetch(`${standin.url}/api/users`, { headers: { authorization: `Bearer ${token}` } });
    expect(response.status).toBe(200);
    const users = (await response.json()) as Array<{ userName: string }>;
    expect(users).toHaveLength(5);
    expect(users[0]!.userName).toBe('user1@example.com');
  });

  it('answers the object shape when configured', async () => {
    const standin = await synkzone({ usersShape: 'object' });
    const token = await createToken(standin);
    const response = await fetch(`${standin.url}/api/users`, { headers: { authorization: `Bearer ${token}` } });
    expect(await response.json()).toEqual({ users: expect.any(Array) });
  });

  it('refuses a raw token, a session id and an unknown token with 401', async () => {
    const standin = await synkzone();
    const token = await createToken(standin);
    const url = `${standin.url}/api/users`;
    expect((await fetch(url, { headers: { authorization: token } })).status).toBe(401);
    expect((await fetch(url, { headers: { authorization: `Bearer ${standin.sessions[0]}` } })).status).toBe(401);
    expect((await fetch(url, { headers: { authorization: `Bearer P-${'0'.repeat(64)}` } })).status).toBe(401);
  });
});

describe('FaultPlan', () => {
  it('hands out faults in order, counting times, per route', () => {
    const plan = new FaultPlan()
      .add({ route: 'logon', fault: { kind: 'status', status: 503 }, times: 2 })
      .add({ route: 'logon', fault: { kind: 'reset' } })
      .add({ route: 'users', fault: { kind: 'hang' }, times: Infinity });
    expect(plan.take('tokens')).toBeUndefined();
    expect(plan.take('logon')?.kind).toBe('status');
    expect(plan.take('logon')?.kind).toBe('status');
    expect(plan.take('logon')?.kind).toBe('reset');
    expect(plan.take('logon')).toBeUndefined();
    for (let i = 0; i < 5; i += 1) expect(plan.take('users')?.kind).toBe('hang');
    expect(plan.pending('users')).toBe(Infinity);
    plan.clear();
    expect(plan.take('users')).toBeUndefined();
  });
});

describe('fault injection (on the Synkzone stand-in)', () => {
  it('status: answers the given status and headers instead of acting', async () => {
    const standin = await synkzone();
    standin.faults.add({ route: 'logon', fault: { kind: 'status', status: 503, headers: { 'retry-after': '1' } } });
    const first = await post(`${standin.url}/api/access/logon`, logonBody());
    expect(first.status).toBe(503);
    expect(first.headers.get('retry-after')).toBe('1');
    expect(standin.sessions).toEqual([]);
    expect((await post(`${standin.url}/api/access/logon`, logonBody())).status).toBe(200);
  });

  it('status with echoRequest: the answer contains the request body (the password char array)', async () => {
    const standin = await synkzone();
    standin.faults.add({ route: 'logon', fault: { kind: 'status', status: 400, body: 'bad request: ', echoRequest: true } });
    const text = await (await post(`${standin.url}/api/access/logon`, logonBody())).text();
    expect(text.startsWith('bad request: {')).toBe(true);
    expect(findLeaks(text, [PASSWORD])).toContain('secret #1 (char array form)');
  });

  it('body: answers a raw body such as malformed JSON', async () => {
    const standin = await synkzone();
    standin.faults.add({ route: 'tokens', fault: { kind: 'body', body: '{"token": ' } });
    standin.faults.add({ route: 'tokens', fault: { kind: 'body', body: '', status: 201, contentType: 'text/plain' } });
    const session = await signIn(standin);
    const first = await post(`${standin.url}/api/tokens`, tokenBody(), { authorization: session });
    expect([first.status, await first.text()]).toEqual([200, '{"token": ']);
    const second = await post(`${standin.url}/api/tokens`, tokenBody(), { authorization: session });
    expect([second.status, second.headers.get('content-type'), await second.text()]).toEqual([201, 'text/plain', '']);
    expect(standin.tokens).toEqual([]);
  });

  it('delay: answers normally after the delay (and delayMs adds to every request)', async () => {
    const standin = await synkzone({ delayMs: 50 });
    standin.faults.add({ route: 'logon', fault: { kind: 'delay', ms: 200 } });
    const started = Date.now();
    expect((await post(`${standin.url}/api/access/logon`, logonBody())).status).toBe(200);
    expect(Date.now() - started).toBeGreaterThanOrEqual(240);
  });

  it('hang: never answers, so a client timeout fires', async () => {
    const standin = await synkzone();
    standin.faults.add({ route: 'logon', fault: { kind: 'hang' } });
    const code = await fetchErrorCode(post(`${standin.url}/api/access/logon`, logonBody(), {}, AbortSignal.timeout(200)));
    expect(code).toBe('TimeoutError');
    expect(standin.sessions).toEqual([]);
  });

  it('reset: the connection drops without an answer', async () => {
    const standin = await synkzone();
    standin.faults.add({ route: 'logon', fault: { kind: 'reset' } });
    const code = await fetchErrorCode(post(`${standin.url}/api/access/logon`, logonBody()));
    expect(['ECONNRESET', 'UND_ERR_SOCKET']).toContain(code);
    expect(standin.sessions).toEqual([]);
  });

  it('close-after: the request is answered, later connections are refused', async () => {
    const standin = await synkzone();
    standin.faults.add({ route: 'logon', fault: { kind: 'close-after' } });
    expect((await post(`${standin.url}/api/access/logon`, logonBody())).status).toBe(200);
    expect(await fetchErrorCode(post(`${standin.url}/api/access/logon`, logonBody()))).toBe('ECONNREFUSED');
  });

  it('afterEffect: the token is created although the answer is lost (reset, hang, 502)', async () => {
    const standin = await synkzone();
    const session = await signIn(standin);
    const url = `${standin.url}/api/tokens`;
    standin.faults
      .add({ route: 'tokens', fault: { kind: 'reset', afterEffect: true } })
      .add({ route: 'tokens', fault: { kind: 'hang', afterEffect: true } })
      .add({ route: 'tokens', fault: { kind: 'status', status: 502, afterEffect: true } })
      .add({ route: 'tokens', fault: { kind: 'reset' } });
    await fetchErrorCode(post(url, tokenBody(), { authorization: session }));
    expect(standin.tokens).toHaveLength(1);
    await fetchErrorCode(post(url, tokenBody(), { authorization: session }, AbortSignal.timeout(200)));
    expect(standin.tokens).toHaveLength(2);
    expect((await post(url, tokenBody(), { authorization: session })).status).toBe(502);
    expect(standin.tokens).toHaveLength(3);
    await fetchErrorCode(post(url, tokenBody(), { authorization: session }));
    expect(standin.tokens).toHaveLength(3); // without afterEffect the server did not act
    expect(standin.tokens.every((token) => TOKEN_PATTERN.test(token.token))).toBe(true);
  });

  it('close() returns promptly while a request hangs', async () => {
    const standin = await startSynkzoneStandin();
    standin.faults.add({ route: 'logon', fault: { kind: 'hang' } });
    const pending = post(`${standin.url}/api/access/logon`, logonBody()).catch((error: unknown) => error);
    while (standin.requests.length === 0) await new Promise((resolve) => setTimeout(resolve, 10));
    const started = Date.now();
    await standin.close();
    expect(Date.now() - started).toBeLessThan(1000);
    // fetch's TypeError comes from another realm than jest's, so check its shape, not its class.
    expect(await pending).toMatchObject({ name: 'TypeError', message: 'fetch failed' });
  });
});

describe('GitHub stand-in', () => {
  const auth = { authorization: 'token ghp_standin_writer' };

  async function putSealed(
    standin: GitHubStandin,
    base: string,
    name: string,
    plaintext: string,
    extra: Record<string, unknown> = {},
    headers: Record<string, string> = auth
  ): Promise<Response> {
    await sodium.ready;
    const keyResponse = await fetch(`${standin.url}${base}/secrets/public-key`, { headers });
    expect(keyResponse.status).toBe(200);
    const { key_id, key } = (await keyResponse.json()) as { key_id: string; key: string };
    const publicKey = sodium.from_base64(key, sodium.base64_variants.ORIGINAL);
    const sealed = sodium.crypto_box_seal(sodium.from_string(plaintext), publicKey);
    return fetch(`${standin.url}${base}/secrets/${name}`, {
      method: 'PUT',
      headers: { ...headers, 'content-type': 'application/json' },
      body: JSON.stringify({ encrypted_value: sodium.to_base64(sealed, sodium.base64_variants.ORIGINAL), key_id, ...extra })
    });
  }

  it('opens a sealed repository secret and stores its plaintext (201 created, 204 updated)', async () => {
    const standin = await github();
    const base = '/repos/octo-org/octo-repo/actions';
    expect((await putSealed(standin, base, 'SYNKZONE_SCIM_TOKEN', 'P-ONE 😀')).status).toBe(201);
    expect(standin.secret({ repository: 'octo-org/octo-repo' }, 'SYNKZONE_SCIM_TOKEN')?.plaintext).toBe('P-ONE 😀');
    expect((await putSealed(standin, base, 'SYNKZONE_SCIM_TOKEN', 'P-TWO')).status).toBe(204);
    expect(standin.secret({ repository: 'octo-org/octo-repo' }, 'synkzone_scim_token')?.plaintext).toBe('P-TWO');
    const metadata = await fetch(`${standin.url}${base}/secrets/SYNKZONE_SCIM_TOKEN`, { headers: auth });
    expect(await metadata.json()).toEqual({
      name: 'SYNKZONE_SCIM_TOKEN',
      created_at: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/),
      updated_at: expect.stringMatching(/Z$/)
    });
    expect((await fetch(`${standin.url}${base}/secrets/MISSING`, { headers: auth })).status).toBe(404);
    expect(standin.openFailures).toBe(0);
    expect(standin.requests.map((request) => request.route)).toEqual([
      'public-key',
      'write-secret',
      'public-key',
      'write-secret',
      'read-secret',
      'read-secret'
    ]);
  });

  it('refuses a wrong key_id or a box that does not open with 422, counting openFailures', async () => {
    const standin = await github();
    const base = '/repos/octo-org/octo-repo/actions';
    expect((await putSealed(standin, base, 'TOKEN', 'x', { key_id: '1' })).status).toBe(422);
    const keyId = ((await (await fetch(`${standin.url}${base}/secrets/public-key`, { headers: auth })).json()) as { key_id: string })
      .key_id;
    const garbage = await fetch(`${standin.url}${base}/secrets/TOKEN`, {
      method: 'PUT',
      headers: auth,
      body: JSON.stringify({ encrypted_value: Buffer.from('not a sealed box at all, not at all').toString('base64'), key_id: keyId })
    });
    expect(garbage.status).toBe(422);
    expect(standin.openFailures).toBe(2);
    expect(standin.secret({ repository: 'octo-org/octo-repo' }, 'TOKEN')).toBeUndefined();
  });

  it('refuses a box sealed for a key that has since rotated', async () => {
    const standin = await github();
    await sodium.ready;
    const base = `${standin.url}/repos/octo-org/octo-repo/actions/secrets`;
    const old = (await (await fetch(`${base}/public-key`, { headers: auth })).json()) as { key_id: string; key: string };
    standin.rotateKey({ repository: 'octo-org/octo-repo' });
    const sealed = sodium.crypto_box_seal('x', sodium.from_base64(old.key, sodium.base64_variants.ORIGINAL));
    const response = await fetch(`${base}/TOKEN`, {
      method: 'PUT',
      headers: auth,
      body: JSON.stringify({ encrypted_value: sodium.to_base64(sealed, sodium.base64_variants.ORIGINAL), key_id: old.key_id })
    });
    expect(response.status).toBe(422);
  });

  it('stores environment secrets and answers 404 for a missing environment', async () => {
    const standin = await github();
    expect((await putSealed(standin, '/repos/octo-org/octo-repo/environments/production', 'TOKEN', 'env-value')).status).toBe(201);
    expect(standin.secret({ repository: 'octo-org/octo-repo', environment: 'production' }, 'TOKEN')?.plaintext).toBe('env-value');
    expect(standin.secret({ repository: 'octo-org/octo-repo' }, 'TOKEN')).toBeUndefined();
    const missing = await fetch(`${standin.url}/repos/octo-org/octo-repo/environments/staging/secrets/public-key`, { headers: auth });
    expect(missing.status).toBe(404);
    expect(await missing.json()).toMatchObject({ message: 'Not Found' });
  });

  it('answers 403 for a missing permission, 401 for an unknown token, and accepts Bearer', async () => {
    const standin = await github({
      grants: [{ token: 'ghp_repo_only', secrets: true }, { token: 'ghp_nothing' }]
    });
    const envKey = `${standin.url}/repos/octo-org/octo-repo/environments/production/secrets/public-key`;
    const repoKey = `${standin.url}/repos/octo-org/octo-repo/actions/secrets/public-key`;
    const orgKey = `${standin.url}/orgs/octo-org/actions/secrets/public-key`;
    const forbidden = await fetch(envKey, { headers: { authorization: 'token ghp_repo_only' } });
    expect(forbidden.status).toBe(403);
    expect(await forbidden.json()).toMatchObject({ message: 'Resource not accessible by personal access token' });
    expect((await fetch(orgKey, { headers: { authorization: 'token ghp_repo_only' } })).status).toBe(403);
    expect((await fetch(repoKey, { headers: { authorization: 'Bearer ghp_repo_only' } })).status).toBe(200);
    expect((await fetch(repoKey, { headers: { authorization: 'token ghp_nothing' } })).status).toBe(403);
    expect((await fetch(`${standin.url}/repos/octo-org/octo-repo`, { headers: { authorization: 'token ghp_nothing' } })).status).toBe(200);
    const unknown = await fetch(repoKey, { headers: { authorization: 'token ghp_unknown' } });
    expect([unknown.status, ((await unknown.json()) as { message: string }).message]).toEqual([401, 'Bad credentials']);
    expect((await fetch(repoKey)).status).toBe(401);
  });

  it('resolves repositories to ids and answers 404 for unknown ones and unknown routes', async () => {
    const standin = await github({ repositories: [{ fullName: 'octo-org/octo-repo', id: 42 }, { fullName: 'octo-org/other' }] });
    const repo = await fetch(`${standin.url}/repos/octo-org/octo-repo`, { headers: auth });
    expect(await repo.json()).toEqual({
      id: 42,
      name: 'octo-repo',
      full_name: 'octo-org/octo-repo',
      private: true,
      owner: { login: 'octo-org' }
    });
    expect((await fetch(`${standin.url}/repos/octo-org/missing`, { headers: auth })).status).toBe(404);
    expect((await fetch(`${standin.url}/repos/octo-org/other/actions/variables`, { headers: auth })).status).toBe(404);
    expect((await fetch(`${standin.url}/orgs/other-org/actions/secrets/public-key`, { headers: auth })).status).toBe(404);
  });

  it('stores an organization secret with selected repository ids, and validates visibility', async () => {
    const standin = await github({
      repositories: [
        { fullName: 'octo-org/octo-repo', id: 11 },
        { fullName: 'octo-org/scim', id: 12 },
        { fullName: 'else/where', id: 13 }
      ]
    });
    const base = '/orgs/octo-org/actions';
    expect((await putSealed(standin, base, 'TOKEN', 'org-value', { visibility: 'selected' })).status).toBe(422);
    expect((await putSealed(standin, base, 'TOKEN', 'org-value', { visibility: 'public' })).status).toBe(422);
    expect((await putSealed(standin, base, 'TOKEN', 'org-value')).status).toBe(422);
    expect((await putSealed(standin, base, 'TOKEN', 'org-value', { visibility: 'selected', selected_repository_ids: [13] })).status).toBe(
      422
    );
    expect(
      (await putSealed(standin, base, 'TOKEN', 'org-value', { visibility: 'selected', selected_repository_ids: [11, 12] })).status
    ).toBe(201);
    expect(standin.secret({ organization: 'octo-org' }, 'TOKEN')).toMatchObject({
      plaintext: 'org-value',
      visibility: 'selected',
      selectedRepositoryIds: [11, 12]
    });
    const metadata = (await (await fetch(`${standin.url}${base}/secrets/TOKEN`, { headers: auth })).json()) as Record<string, unknown>;
    expect(metadata).toMatchObject({ name: 'TOKEN', visibility: 'selected' });
    expect(metadata.selected_repositories_url).toBe(`${standin.url}/orgs/octo-org/actions/secrets/TOKEN/repositories`);
  });

  it('returns metadata of a seeded secret', async () => {
    const standin = await github();
    const updatedAt = new Date('2025-01-02T03:04:05.678Z');
    standin.seedSecret({ repository: 'octo-org/octo-repo' }, 'SYNKZONE_SCIM_TOKEN', { plaintext: 'P-OLD', updatedAt });
    const response = await fetch(`${standin.url}/repos/octo-org/octo-repo/actions/secrets/SYNKZONE_SCIM_TOKEN`, { headers: auth });
    expect(await response.json()).toEqual({
      name: 'SYNKZONE_SCIM_TOKEN',
      created_at: '2025-01-02T03:04:05Z',
      updated_at: '2025-01-02T03:04:05Z'
    });
  });

  it('applies rate-limit faults (status with headers) and then answers normally', async () => {
    const standin = await github();
    const reset = String(Math.floor(Date.now() / 1000) + 60);
    standin.faults.add({
      route: 'public-key',
      fault: {
        kind: 'status',
        status: 403,
        headers: { 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': reset },
        body: '{"message":"API rate limit exceeded"}'
      }
    });
    const url = `${standin.url}/repos/octo-org/octo-repo/actions/secrets/public-key`;
    const limited = await fetch(url, { headers: auth });
    expect([limited.status, limited.headers.get('x-ratelimit-remaining'), limited.headers.get('x-ratelimit-reset')]).toEqual([
      403,
      '0',
      reset
    ]);
    expect((await fetch(url, { headers: auth })).status).toBe(200);
  });

  it('afterEffect on write-secret stores the secret although the answer is lost', async () => {
    const standin = await github();
    standin.faults.add({ route: 'write-secret', fault: { kind: 'reset', afterEffect: true } });
    await fetchErrorCode(putSealed(standin, '/repos/octo-org/octo-repo/actions', 'TOKEN', 'stored anyway'));
    expect(standin.secret({ repository: 'octo-org/octo-repo' }, 'TOKEN')?.plaintext).toBe('stored anyway');
  });

  it('close() returns promptly while a request hangs', async () => {
    const standin = await startGitHubStandin();
    standin.faults.add({ route: 'get-repo', fault: { kind: 'hang' } });
    const pending = fetch(`${standin.url}/repos/octo-org/octo-repo`, { headers: auth }).catch((error: unknown) => error);
    while (standin.requests.length === 0) await new Promise((resolve) => setTimeout(resolve, 10));
    const started = Date.now();
    await standin.close();
    expect(Date.now() - started).toBeLessThan(1000);
    // fetch's TypeError comes from another realm than jest's, so check its shape, not its class.
    expect(await pending).toMatchObject({ name: 'TypeError', message: 'fetch failed' });
  });
});

describe('leak detection', () => {
  it('finds every form of a secret and never names the secret itself', () => {
    const secret = 'pa"ss 😀';
    const forms = secretForms(secret);
    expect(forms).toContain(secret);
    expect(forms).toContain(JSON.stringify(secret).slice(1, -1));
    expect(forms).toContain(JSON.stringify(secret.split('')));
    for (const form of forms) expect(findLeaks(`before ${form} after`, ['other', secret]).length).toBeGreaterThan(0);
    const leaks = findLeaks(`body: {"password": ${JSON.stringify(secret.split(''))}}`, ['other', secret]);
    expect(leaks).toContain('secret #2 (char array form)');
    expect(leaks.join(' ')).not.toContain('pa');
    expect(findLeaks('body: {"password": ["\\uD83D","\\uDE00"]}', ['😀'])).toContain('secret #1 (char array form (upper-case escapes))');
    expect(findLeaks('nothing here', [secret])).toEqual([]);
    expect(() => assertNoLeaks({ visibleLog: 'ok', summary: `x ${secret}` }, [secret])).toThrow('secret #1 (raw) in the step summary');
    expect(() => assertNoLeaks({ visibleLog: 'ok', summary: '' }, [secret])).not.toThrow();
  });
});

describe('runAction', () => {
  it('runs an entry like the runner: inputs, clean env, masking, outputs', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'run-action-test-'));
    cleanups.push(() => rm(dir, { recursive: true, force: true }));
    const entry = path.join(dir, 'entry.mjs');
    await writeFile(
      entry,
      [
        "import { appendFileSync } from 'node:fs';",
        "console.log('::add-mask::s3cret');",
        "console.log('value s3cret');",
        "console.log('::debug::debug s3cret');",
        "console.log('::group::Details');",
        "console.log('::endgroup::');",
        "console.error('::error file=a.ts,line=1::failed with s3cret%0Asecond line');",
        "console.log('::set-output name=x::hidden');",
        "appendFileSync(process.env.GITHUB_OUTPUT, 'result<<EOF_X\\nhello\\nworld\\nEOF_X\\n');",
        "appendFileSync(process.env.GITHUB_STEP_SUMMARY, '# Summary\\n');",
        'console.log(JSON.stringify({ name: process.env["INPUT_SECRET-NAME"], validity: process.env.INPUT_VALIDITY, proxy: process.env.HTTPS_PROXY ?? null, cwd: process.cwd() === process.env.GITHUB_WORKSPACE }));',
        'process.exitCode = 3;'
      ].join('\n')
    );
    const previousProxy = process.env.HTTPS_PROXY;
    process.env.HTTPS_PROXY = 'http://developer-proxy.invalid:3128';
    try {
      const run = await runAction({
        entry,
        inputs: { 'secret-name': 'TOKEN', username: 'admin', password: 'x' },
        debug: true,
        measureRss: true
      });
      expect(run.exitCode).toBe(3);
      expect(run.masks).toEqual(['s3cret']);
      expect(run.failures).toEqual(['failed with ***\nsecond line']);
      expect(run.visibleLog.split('\n')).toEqual([
        'value ***',
        '##[debug]debug ***',
        '▶ Details',
        '{"name":"TOKEN","validity":"90d","proxy":null,"cwd":true}',
        'Error: failed with ***',
        'second line'
      ]);
      expect(run.outputs).toEqual({ result: 'hello\nworld' });
      expect(run.summary).toBe('# Summary\n');
      expect(() => assertNoLeaks(run, ['s3cret'])).not.toThrow();
      if (run.peakRssKb !== undefined) expect(run.peakRssKb).toBeGreaterThan(1000);

      const quiet = await runAction({ entry, inputs: {} });
      expect(quiet.visibleLog).not.toContain('##[debug]');
      await expect(runAction({ entry, inputs: { secret_name: 'typo' } })).rejects.toThrow('not an input of action.yml');
    } finally {
      if (previousProxy === undefined) delete process.env.HTTPS_PROXY;
      else process.env.HTTPS_PROXY = previousProxy;
    }
  });

  it('parses single-line and heredoc outputs', () => {
    expect(parseOutputFile('a=1\nb<<D\nx\n\ny\nD\nc=has=equals\n')).toEqual({ a: '1', b: 'x\n\ny', c: 'has=equals' });
  });
});
