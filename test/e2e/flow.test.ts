// The whole job on the bundled action, as the runner runs it: sign in, create, verify, mask, store.
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { ADMIN, count, normalise, REPOSITORY, SECRET_NAME, stage, type Stage } from './fixture.js';

let s: Stage;
afterEach(() => s?.close());

describe('the full flow with a repository secret', () => {
  beforeEach(async () => {
    s = await stage();
  });

  it('creates, verifies and stores the token, and reports it in outputs and the summary', async () => {
    const started = Date.now();
    const run = await s.run();
    expect(run.failures).toEqual([]);
    expect(run.exitCode).toBe(0);

    expect(s.synkzone.tokens).toHaveLength(1);
    const [created] = s.synkzone.tokens;
    expect(created).toMatchObject({
      tokenName: 'GitHub Actions octo-org/octo-repo run 1234567890',
      validity: 7776000,
      scope: { clients: ['SynkzoneSSI'], name: 'SCIM' }
    });
    expect(run.outputs).toMatchObject({
      token: created!.token,
      'token-name': created!.tokenName,
      verified: 'true',
      'user-count': '3',
      'secret-written': 'true',
      renewed: 'true'
    });
    const expiresAt = Date.parse(run.outputs['expires-at']!);
    expect(expiresAt).toBeGreaterThanOrEqual(started + 7776000 * 1000 - 1000);
    expect(expiresAt).toBeLessThanOrEqual(Date.now() + 7776000 * 1000);

    // GitHub's stand-in opened the sealed box: the stored plaintext is the token.
    expect(s.github.secret({ repository: REPOSITORY }, SECRET_NAME)?.plaintext).toBe(created!.token);
    expect(s.github.openFailures).toBe(0);
    expect(run.summary).toContain('Token name');
    expect(run.summary).toContain('SCIM (clients: SynkzoneSSI)');
    expect(run.summary).toContain(`repository secret ${SECRET_NAME} of ${REPOSITORY}`);
    expect(run.summary).toContain('yes (GET /api/users listed 3 users)');
    expect(normalise(run.visibleLog)).toMatchSnapshot();
  });

  it('makes each request once, on the order the job needs', async () => {
    await s.run();
    expect(s.synkzone.requests.map((r) => r.route)).toEqual(['logon', 'tokens', 'users']);
    expect(s.github.requests.map((r) => r.route).sort()).toEqual(['public-key', 'write-secret']);
    // Nothing is stored before the token is verified.
    const verifiedAt = s.synkzone.requests.find((r) => r.route === 'users')!.at;
    expect(s.github.requests.find((r) => r.route === 'write-secret')!.at).toBeGreaterThanOrEqual(verifiedAt);
  });

  it('masks each credential before anything could print it', async () => {
    const run = await s.run({ debug: true });
    const [created] = s.synkzone.tokens;
    const lines = run.stdout.split('\n');
    const maskLine = (value: string) => lines.findIndex((l) => l === `::add-mask::${value}`);
    for (const value of [ADMIN.password, s.inputs['github-token']!, s.synkzone.sessions[0]!, created!.token]) {
      expect(maskLine(value)).toBeGreaterThanOrEqual(0);
      // The first line that carries the value is its mask command.
      expect(lines.findIndex((l) => l.includes(value))).toBe(maskLine(value));
    }
    // The password is masked before any other command or log line.
    expect(maskLine(ADMIN.password)).toBe(0);
  });

  it('shows request lines but no bodies or headers in debug mode', async () => {
    const run = await s.run({ debug: true });
    expect(run.exitCode).toBe(0);
    expect(run.visibleLog).toMatch(/##\[debug\]POST http:\/\/127\.0\.0\.1:\d+\/api\/access\/logon → HTTP 200/);
    expect(run.visibleLog).not.toMatch(/authorization|"password"|encrypted_value/i);
  });
});

describe('Synkzone answers and contract', () => {
  it.each([
    ['sessionId', 'token'],
    ['session', 'value'],
    ['id', 'apiToken'],
    ['string', 'string']
  ] as const)('reads a session from a %s answer and a token from a %s answer', async (logonShape, tokenShape) => {
    s = await stage({ synkzone: { logonShape, tokenShape } });
    const run = await s.run();
    expect(run.exitCode).toBe(0);
    expect(run.outputs.token).toBe(s.synkzone.tokens[0]!.token);
  });

  it('sends the password exactly, characters outside the BMP as UTF-16 code units (the stand-in refuses anything else)', async () => {
    const password = ' p😀ss "quoted" \\ åäö 𝄞 ';
    s = await stage({ synkzone: { users: [{ username: 'root@example.com', password, admin: true }] } });
    const run = await s.run();
    expect(run.exitCode).toBe(0);
    expect(JSON.parse(s.synkzone.requests[0]!.body).password).toEqual(password.split(''));
  });

  it('shows a token name with markup as text in the job summary', async () => {
    s = await stage();
    const run = await s.run({ inputs: { ...s.inputs, 'token-name': 'scim <img src=x onerror=alert(1)> & co' } });
    expect(run.exitCode).toBe(0);
    expect(s.synkzone.tokens[0]!.tokenName).toBe('scim <img src=x onerror=alert(1)> & co');
    expect(run.summary).toContain('scim &lt;img src=x onerror=alert(1)&gt; &amp; co');
    expect(run.summary).not.toContain('<img');
  });

  it('omits user-count when the verification answer is not a list', async () => {
    s = await stage({ synkzone: { usersShape: 'object' } });
    const run = await s.run();
    expect(run.exitCode).toBe(0);
    expect(run.outputs.verified).toBe('true');
    expect(run.outputs['user-count']).toBeUndefined();
  });

  it('skips verification when asked, says so, and still stores', async () => {
    s = await stage();
    const run = await s.run({ inputs: { ...s.inputs, verify: 'false', 'token-name': 'scim-prod', validity: '12h' } });
    expect(run.exitCode).toBe(0);
    expect(count(s.synkzone, 'users')).toBe(0);
    expect(run.outputs).toMatchObject({ verified: 'false', 'token-name': 'scim-prod', 'secret-written': 'true' });
    expect(s.synkzone.tokens[0]).toMatchObject({ tokenName: 'scim-prod', validity: 43200 });
    expect(run.visibleLog).toContain('Warning: Verification skipped');
  });

  it('only outputs the token when no secret-name is given, and makes no GitHub request', async () => {
    s = await stage();
    const { 'secret-name': _n, 'github-token': _t, ...inputs } = s.inputs;
    const run = await s.run({ inputs });
    expect(run.exitCode).toBe(0);
    expect(run.outputs).toMatchObject({ token: s.synkzone.tokens[0]!.token, 'secret-written': 'false' });
    expect(s.github.requests).toHaveLength(0);
    expect(run.summary).toContain('not stored');
  });

  it('refuses a non-administrator with the fix, and stores nothing', async () => {
    s = await stage({ synkzone: { users: [{ username: 'user', password: 'pw', admin: false }] } });
    const run = await s.run();
    expect(run.exitCode).toBe(1);
    expect(run.failures).toEqual([expect.stringMatching(/^Token creation failed: Synkzone answered HTTP 403\. .*administrator/)]);
    expect(s.github.requests.filter((r) => r.route === 'write-secret')).toHaveLength(0);
  });

  it('never retries a refused sign-in, so a wrong password cannot lock the account', async () => {
    s = await stage();
    const run = await s.run({ inputs: { ...s.inputs, password: 'wrong' } });
    expect(run.exitCode).toBe(1);
    expect(count(s.synkzone, 'logon')).toBe(1);
    expect(run.failures[0]).toMatch(/^Sign-in failed: Synkzone refused the credentials \(HTTP 401\)\. Check 'username' and 'password'/);
  });
});
