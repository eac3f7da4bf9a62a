// Bad input fails the bundled action with one line naming the input and the fix, before any request.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { stage, type Stage } from './fixture.js';

let s: Stage;
beforeAll(async () => {
  s = await stage();
});
afterAll(() => s.close());

describe('input errors on the bundled action', () => {
  it.each<[string, Record<string, string | undefined>, RegExp]>([
    ['no password', { password: '' }, /^Inputs failed: input 'password' is required/],
    ['no username', { username: '' }, /^Inputs failed: input 'username' is required/],
    ['neither api-url nor organization', { 'api-url': '' }, /input 'api-url' or 'organization' is required/],
    ['both api-url and organization', { organization: 'acme' }, /input 'api-url' and 'organization' are both set/],
    ['plain http to a remote host', { 'api-url': 'http://acme.synkzone.com' }, /input 'api-url' must use https/],
    ['a validity that is not a duration', { validity: '90 days' }, /input 'validity' is not a positive duration/],
    ['a zero validity', { validity: '0d' }, /input 'validity' is not a positive duration/],
    ['a secret name with a hyphen', { 'secret-name': 'SCIM-TOKEN' }, /input 'secret-name' is not a valid secret name/],
    ['a secret name starting with GITHUB_', { 'secret-name': 'GITHUB_SCIM' }, /input 'secret-name' is not a valid secret name/],
    [
      'secret-name without github-token',
      { 'github-token': '' },
      /input 'github-token' is required with 'secret-name'.*GITHUB_TOKEN cannot/
    ],
    ['renew-before not shorter than validity', { 'renew-before': '90d' }, /input 'renew-before' must be shorter than 'validity'/],
    [
      'two secret targets',
      { 'secret-environment': 'production', 'secret-organization': 'octo-org' },
      /input 'secret-organization' and 'secret-environment' are both set/
    ],
    [
      'an organization and a repository target',
      { 'secret-organization': 'octo-org', 'secret-repository': 'octo-org/octo-repo' },
      /input 'secret-organization' and 'secret-repository' are both set/
    ],
    ['selected repositories without an organization', { 'secret-selected-repositories': 'scim-module' }, /needs 'secret-organization'/],
    [
      'selected visibility without repositories',
      { 'secret-organization': 'octo-org', 'secret-visibility': 'selected' },
      /input 'secret-selected-repositories' is required/
    ],
    [
      'an environment without secret-name',
      { 'secret-name': '', 'secret-environment': 'production' },
      /input 'secret-environment' needs 'secret-name'/
    ],
    ['a multi-line token-name', { 'token-name': 'scim\nprod' }, /input 'token-name' must be one line/],
    ['a non-numeric max-attempts', { 'max-attempts': 'many' }, /input 'max-attempts' must be a whole number/]
  ])('%s', async (_name, change, message) => {
    const before = s.synkzone.requests.length + s.github.requests.length;
    const inputs = Object.fromEntries(Object.entries({ ...s.inputs, ...change }).filter(([, v]) => v !== undefined)) as Record<
      string,
      string
    >;
    const run = await s.run({ inputs, debug: true });
    expect(run.exitCode).toBe(1);
    expect(run.failures).toHaveLength(1);
    expect(run.failures[0]).toMatch(message);
    expect(run.failures[0]).not.toContain('\n');
    expect(s.synkzone.requests.length + s.github.requests.length).toBe(before);
    expect(run.visibleLog).not.toMatch(/^\s+at /m);
  });
});
