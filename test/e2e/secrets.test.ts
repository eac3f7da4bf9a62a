// Where the token goes: repository, environment and organization secrets, and what a refusal says.
import { afterEach, describe, expect, it } from '@jest/globals';
import { count, REPOSITORY, SECRET_NAME, stage, type Stage } from './fixture.js';

let s: Stage;
afterEach(() => s?.close());

describe('secret targets', () => {
  it('stores an environment secret', async () => {
    s = await stage();
    const run = await s.run({ inputs: { ...s.inputs, 'secret-environment': 'production' } });
    expect(run.exitCode).toBe(0);
    expect(s.github.secret({ repository: REPOSITORY, environment: 'production' }, SECRET_NAME)?.plaintext).toBe(run.outputs.token);
    expect(s.github.secret({ repository: REPOSITORY }, SECRET_NAME)).toBeUndefined();
    expect(run.summary).toContain(`secret ${SECRET_NAME} of environment 'production' in ${REPOSITORY}`);
  });

  it('stores a secret in another repository', async () => {
    s = await stage({ github: { repositories: [{ fullName: 'octo-org/octo-repo' }, { fullName: 'octo-org/scim-module' }] } });
    const run = await s.run({ inputs: { ...s.inputs, 'secret-repository': 'octo-org/scim-module' } });
    expect(run.exitCode).toBe(0);
    expect(s.github.secret({ repository: 'octo-org/scim-module' }, SECRET_NAME)?.plaintext).toBe(run.outputs.token);
  });

  it('stores an organization secret for selected repositories, resolved to ids', async () => {
    s = await stage({
      github: {
        repositories: [
          { fullName: 'octo-org/octo-repo', id: 11 },
          { fullName: 'octo-org/scim-module', id: 4242 },
          { fullName: 'octo-org/infra', id: 77 }
        ]
      }
    });
    const run = await s.run({
      inputs: {
        ...s.inputs,
        'secret-organization': 'octo-org',
        'secret-visibility': 'selected',
        'secret-selected-repositories': 'scim-module,\ninfra'
      }
    });
    expect(run.exitCode).toBe(0);
    expect(s.github.secret({ organization: 'octo-org' }, SECRET_NAME)).toMatchObject({
      plaintext: run.outputs.token,
      visibility: 'selected',
      selectedRepositoryIds: [4242, 77]
    });
  });

  it('stores an organization secret visible to all repositories', async () => {
    s = await stage();
    const run = await s.run({ inputs: { ...s.inputs, 'secret-organization': 'octo-org', 'secret-visibility': 'all' } });
    expect(run.exitCode).toBe(0);
    expect(s.github.secret({ organization: 'octo-org' }, SECRET_NAME)).toMatchObject({ plaintext: run.outputs.token, visibility: 'all' });
  });

  it('overwrites an existing secret with the new verified token', async () => {
    s = await stage();
    s.github.seedSecret({ repository: REPOSITORY }, SECRET_NAME, { plaintext: 'P-OLD', updatedAt: new Date(Date.now() - 86400_000) });
    const run = await s.run();
    expect(run.exitCode).toBe(0);
    expect(s.github.secret({ repository: REPOSITORY }, SECRET_NAME)?.plaintext).toBe(run.outputs.token);
  });
});

describe('refusals', () => {
  it('names a missing environment before any token is made', async () => {
    s = await stage();
    const run = await s.run({ inputs: { ...s.inputs, 'secret-environment': 'staging' } });
    expect(run.exitCode).toBe(1);
    expect(run.failures[0]).toMatch(/^Secret storage failed: .*HTTP 404.*environment 'staging' does not exist in octo-org\/octo-repo/);
    expect(s.synkzone.tokens).toHaveLength(0);
  });

  it('names the missing permission, and makes no token, when github-token cannot write secrets', async () => {
    s = await stage({ github: { grants: [{ token: 'ghp_standin_writer', secrets: false }] } });
    const run = await s.run();
    expect(run.exitCode).toBe(1);
    expect(run.failures[0]).toMatch(
      /^Secret storage failed: GitHub answered HTTP 403 .*'Secrets: Read and write'.*GITHUB_TOKEN cannot write secrets/
    );
    expect(s.synkzone.tokens).toHaveLength(0);
  });

  it('names the environment permission for environment secrets', async () => {
    s = await stage({ github: { grants: [{ token: 'ghp_standin_writer', secrets: true, environments: false }] } });
    const run = await s.run({ inputs: { ...s.inputs, 'secret-environment': 'production' } });
    expect(run.exitCode).toBe(1);
    expect(run.failures[0]).toMatch(/HTTP 403.*'Environments: Read and write'/);
  });

  it('says an invalid github-token is invalid', async () => {
    s = await stage();
    const run = await s.run({ inputs: { ...s.inputs, 'github-token': 'ghp_expired' } });
    expect(run.exitCode).toBe(1);
    expect(run.failures[0]).toMatch(/HTTP 401.*'github-token' was not accepted/);
  });

  it('names a selected repository that does not exist', async () => {
    s = await stage();
    const run = await s.run({
      inputs: { ...s.inputs, 'secret-organization': 'octo-org', 'secret-visibility': 'selected', 'secret-selected-repositories': 'nope' }
    });
    expect(run.exitCode).toBe(1);
    expect(run.failures[0]).toMatch(/repository 'nope' of 'secret-selected-repositories' was not found in octo-org/);
    expect(s.synkzone.tokens).toHaveLength(0);
  });

  it('names the created token when the write is refused after verification, and keeps the old secret', async () => {
    s = await stage();
    s.github.seedSecret({ repository: REPOSITORY }, SECRET_NAME, { plaintext: 'P-OLD', updatedAt: new Date() });
    s.github.faults.add({
      route: 'write-secret',
      fault: { kind: 'status', status: 403, body: '{"message":"Resource not accessible"}' },
      times: Infinity
    });
    const run = await s.run();
    expect(run.exitCode).toBe(1);
    expect(run.failures[0]).toMatch(
      /^Secret storage failed: GitHub answered HTTP 403 to writing the repository secret .*The token 'GitHub Actions octo-org\/octo-repo run 1234567890' was created and verified in Synkzone but NOT stored/
    );
    expect(s.github.secret({ repository: REPOSITORY }, SECRET_NAME)?.plaintext).toBe('P-OLD');
    expect(run.outputs['secret-written']).toBe('false');
    expect(run.summary).toContain('Failed:');
  });

  it('never stores a token that failed verification', async () => {
    s = await stage();
    s.github.seedSecret({ repository: REPOSITORY }, SECRET_NAME, { plaintext: 'P-OLD', updatedAt: new Date() });
    s.synkzone.faults.add({ route: 'users', fault: { kind: 'status', status: 401 }, times: Infinity });
    const run = await s.run();
    expect(run.exitCode).toBe(1);
    expect(run.failures[0]).toMatch(
      /^Verification failed: Synkzone answered HTTP 401\. The token '.*' was created in Synkzone but is not output or stored/
    );
    expect(count(s.github, 'write-secret')).toBe(0);
    expect(s.github.secret({ repository: REPOSITORY }, SECRET_NAME)?.plaintext).toBe('P-OLD');
    expect(run.outputs.token).toBeUndefined();
  });
});
