// renew-before: a scheduled run makes a token only when the stored one is due, for every target kind.
import { afterEach, describe, expect, it } from '@jest/globals';
import type { SecretScope } from '../support/github-standin.js';
import { count, REPOSITORY, SECRET_NAME, stage, type Stage } from './fixture.js';

const DAY = 86400_000;
let s: Stage;
afterEach(() => s?.close());

const KINDS: [string, Record<string, string>, SecretScope][] = [
  ['repository', {}, { repository: REPOSITORY }],
  ['environment', { 'secret-environment': 'production' }, { repository: REPOSITORY, environment: 'production' }],
  ['organization', { 'secret-organization': 'octo-org' }, { organization: 'octo-org' }]
];

describe.each(KINDS)('renewal of a %s secret', (_kind, targetInputs, scope) => {
  const renewing = () => ({ ...s.inputs, ...targetInputs, validity: '90d', 'renew-before': '14d' });

  it('does nothing while the secret is fresh: no sign-in, no token', async () => {
    s = await stage();
    const updatedAt = new Date(Date.now() - 10 * DAY);
    s.github.seedSecret(scope, SECRET_NAME, { plaintext: 'P-CURRENT', updatedAt });
    const run = await s.run({ inputs: renewing() });
    expect(run.exitCode).toBe(0);
    expect(s.synkzone.requests).toHaveLength(0);
    expect(run.outputs).toMatchObject({ renewed: 'false', 'secret-written': 'false' });
    expect(run.outputs.token).toBeUndefined();
    const dueAt = new Date(Math.floor(updatedAt.getTime() / 1000) * 1000 + 76 * DAY).toISOString();
    expect(run.visibleLog).toContain(`Notice: Not renewed:`);
    expect(run.visibleLog).toContain(`the next renewal is due ${dueAt}`);
    expect(run.summary).toContain(`Next renewal due ${dueAt}`);
    expect(s.github.secret(scope, SECRET_NAME)?.plaintext).toBe('P-CURRENT');
    expect(count(s.github, 'read-secret')).toBe(1);
  });

  it('renews a secret that is due', async () => {
    s = await stage();
    s.github.seedSecret(scope, SECRET_NAME, { plaintext: 'P-OLD', updatedAt: new Date(Date.now() - 80 * DAY) });
    const run = await s.run({ inputs: renewing() });
    expect(run.exitCode).toBe(0);
    expect(run.outputs).toMatchObject({ renewed: 'true', 'secret-written': 'true' });
    expect(s.synkzone.tokens).toHaveLength(1);
    expect(s.github.secret(scope, SECRET_NAME)?.plaintext).toBe(run.outputs.token);
  });

  it('treats a missing secret as due', async () => {
    s = await stage();
    const run = await s.run({ inputs: renewing() });
    expect(run.exitCode).toBe(0);
    expect(run.outputs.renewed).toBe('true');
    expect(s.github.secret(scope, SECRET_NAME)?.plaintext).toBe(run.outputs.token);
  });
});

describe('renewal check failures', () => {
  it('fails with the permission named when the metadata cannot be read, before signing in', async () => {
    s = await stage({ github: { grants: [{ token: 'ghp_standin_writer', secrets: false }] } });
    const run = await s.run({ inputs: { ...s.inputs, 'renew-before': '14d' } });
    expect(run.exitCode).toBe(1);
    expect(run.failures[0]).toMatch(
      /^Renewal check failed: GitHub answered HTTP 403 to reading the metadata of the repository secret .*'Secrets: Read and write'/
    );
    expect(s.synkzone.requests).toHaveLength(0);
  });
});
