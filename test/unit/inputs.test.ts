import { describe, expect, it } from '@jest/globals';
import { readInputs, isLoopback, type Config } from '../../src/inputs.js';
import { ActionError } from '../../src/errors.js';

/** The defaults the runner applies from action.yml, so each case lists only what it changes. */
const DEFAULTS: Record<string, string> = {
  'token-name': '',
  validity: '90d',
  verify: 'true',
  'secret-visibility': 'private',
  'max-attempts': '3',
  'request-timeout': '30'
};
const BASE = { 'api-url': 'https://acme.synkzone.com', username: 'admin', password: 'pw' };
const ENV = { GITHUB_REPOSITORY: 'octo-org/octo-repo', GITHUB_RUN_ID: '42' };

function read(inputs: Record<string, string>, env: NodeJS.ProcessEnv = ENV) {
  const masked: string[] = [];
  const all = { ...DEFAULTS, ...inputs };
  const config = readInputs({
    getInput: (name, exact) => (exact ? (all[name] ?? '') : (all[name] ?? '').trim()),
    setSecret: (v) => masked.push(v),
    env
  });
  return { config, masked };
}

function failure(inputs: Record<string, string>, env?: NodeJS.ProcessEnv): string {
  try {
    read(inputs, env);
  } catch (error) {
    expect(error).toBeInstanceOf(ActionError);
    const message = (error as Error).message;
    expect(message).not.toContain('\n');
    return message;
  }
  throw new Error('expected an input error');
}

describe('readInputs', () => {
  it('reads a minimal configuration with the action.yml defaults', () => {
    const { config } = read(BASE);
    const expected: Config = {
      apiUrl: 'https://acme.synkzone.com',
      username: 'admin',
      password: 'pw',
      tokenName: 'GitHub Actions octo-org/octo-repo run 42',
      validitySeconds: 7776000,
      verify: true,
      secret: undefined,
      maxAttempts: 3,
      requestTimeoutMs: 30000
    };
    expect(config).toEqual(expected);
  });

  it('keeps the password exactly as given, and refuses one of only spaces', () => {
    expect(read({ ...BASE, password: '  pw \t' }).config.password).toBe('  pw \t');
    expect(failure({ ...BASE, password: '   ' })).toContain("input 'password' is required");
  });

  it('masks the password and the github-token before validating anything', () => {
    const masked: string[] = [];
    expect(() =>
      readInputs({
        getInput: (name) => ({ password: 'pw', 'github-token': 'ghp_x', validity: 'nonsense' })[name] ?? '',
        setSecret: (v) => masked.push(v),
        env: {}
      })
    ).toThrow(/username/);
    expect(masked).toEqual(['pw', 'ghp_x']);
  });

  it.each([
    [{ organization: 'acme', 'api-url': '' }, 'https://acme.synkzone.com'],
    [{ organization: 'ACME-corp' }, 'https://acme-corp.synkzone.com'],
    [{ 'api-url': 'https://synkzone.example.org/' }, 'https://synkzone.example.org'],
    [{ 'api-url': 'https://synkzone.example.org/api/' }, 'https://synkzone.example.org'],
    [{ 'api-url': 'https://example.org/synkzone' }, 'https://example.org/synkzone'],
    [{ 'api-url': 'http://127.0.0.1:8080' }, 'http://127.0.0.1:8080'],
    [{ 'api-url': 'http://localhost:8080' }, 'http://localhost:8080'],
    [{ 'api-url': 'http://[::1]:8080' }, 'http://[::1]:8080']
  ])('takes the API URL from %j', (inputs, expected) => {
    expect(read({ ...BASE, 'api-url': '', ...inputs }).config.apiUrl).toBe(expected);
  });

  it.each([
    ['missing username', { username: '' }, "input 'username' is required"],
    ['missing password', { password: '' }, "input 'password' is required"],
    ['neither api-url nor organization', { 'api-url': '' }, "input 'api-url' or 'organization' is required"],
    ['both api-url and organization', { organization: 'acme' }, "input 'api-url' and 'organization' are both set"],
    ['organization with a dot', { 'api-url': '', organization: 'acme.synkzone.com' }, "input 'organization' is not a valid"],
    ['api-url not a URL', { 'api-url': 'acme.synkzone.com' }, "input 'api-url' is not a URL"],
    ['api-url over http', { 'api-url': 'http://acme.synkzone.com' }, "input 'api-url' must use https"],
    ['api-url over http to a private address', { 'api-url': 'http://10.0.0.1' }, "input 'api-url' must use https"],
    ['api-url with 127 look-alike host', { 'api-url': 'http://127.0.0.1.evil.example' }, "input 'api-url' must use https"],
    ['api-url with ftp', { 'api-url': 'ftp://acme.synkzone.com' }, "input 'api-url' must use https"],
    ['api-url with credentials', { 'api-url': 'https://u:p@acme.synkzone.com' }, "input 'api-url' must not contain credentials"],
    ['api-url with a query', { 'api-url': 'https://acme.synkzone.com/?x=1' }, "input 'api-url' must not have a query"],
    ['validity zero', { validity: '0' }, "input 'validity' is not a positive duration"],
    ['validity negative', { validity: '-5' }, "input 'validity' is not a positive duration"],
    ['validity fraction', { validity: '1.5d' }, "input 'validity' is not a positive duration"],
    ['validity unknown unit', { validity: '3y' }, "input 'validity' is not a positive duration"],
    ['validity too large', { validity: '100000d' }, "input 'validity' is not a positive duration"],
    ['validity empty', { validity: '' }, "input 'validity' is required"],
    ['verify not boolean', { verify: 'yes' }, "input 'verify' must be true or false"],
    ['token-name over two lines', { 'token-name': 'scim\nprod' }, "input 'token-name' must be one line"],
    ['token-name too long', { 'token-name': 'x'.repeat(256) }, "input 'token-name' must be one line of at most 255 characters"],
    ['max-attempts zero', { 'max-attempts': '0' }, "input 'max-attempts' must be a whole number from 1 to 10"],
    ['max-attempts text', { 'max-attempts': 'three' }, "input 'max-attempts' must be a whole number"],
    ['request-timeout zero', { 'request-timeout': '0' }, "input 'request-timeout' must be a number of seconds"],
    ['request-timeout negative', { 'request-timeout': '-1' }, "input 'request-timeout' must be a number of seconds"],
    ['secret-name with a dash', { 'secret-name': 'SCIM-TOKEN', 'github-token': 't' }, "input 'secret-name' is not a valid secret name"],
    ['secret-name starting with a digit', { 'secret-name': '1TOKEN', 'github-token': 't' }, "input 'secret-name' is not a valid"],
    ['secret-name starting with GITHUB_', { 'secret-name': 'github_token', 'github-token': 't' }, "input 'secret-name' is not a valid"],
    ['secret-name without github-token', { 'secret-name': 'SCIM_TOKEN' }, "input 'github-token' is required with 'secret-name'"],
    [
      'secret-repository malformed',
      { 'secret-name': 'S', 'github-token': 't', 'secret-repository': 'just-a-name' },
      "input 'secret-repository' must be owner/name"
    ],
    ['secret-environment without secret-name', { 'secret-environment': 'prod' }, "input 'secret-environment' needs 'secret-name'"],
    ['renew-before without secret-name', { 'renew-before': '7d' }, "input 'renew-before' needs 'secret-name'"],
    [
      'renew-before not shorter than validity',
      { 'secret-name': 'S', 'github-token': 't', validity: '7d', 'renew-before': '1w' },
      "input 'renew-before' must be shorter than 'validity'"
    ],
    [
      'renew-before malformed',
      { 'secret-name': 'S', 'github-token': 't', 'renew-before': 'soon' },
      "input 'renew-before' is not a positive duration"
    ],
    [
      'organization and environment',
      { 'secret-name': 'S', 'github-token': 't', 'secret-organization': 'o', 'secret-environment': 'e' },
      "input 'secret-organization' and 'secret-environment' are both set"
    ],
    [
      'organization and repository',
      { 'secret-name': 'S', 'github-token': 't', 'secret-organization': 'o', 'secret-repository': 'o/r' },
      "input 'secret-organization' and 'secret-repository' are both set"
    ],
    [
      'visibility without organization',
      { 'secret-name': 'S', 'github-token': 't', 'secret-visibility': 'all' },
      "input 'secret-visibility' needs 'secret-organization'"
    ],
    [
      'bad visibility',
      { 'secret-name': 'S', 'github-token': 't', 'secret-organization': 'o', 'secret-visibility': 'public' },
      "input 'secret-visibility' must be all, private or selected"
    ],
    [
      'selected without repositories',
      { 'secret-name': 'S', 'github-token': 't', 'secret-organization': 'o', 'secret-visibility': 'selected' },
      "input 'secret-selected-repositories' is required"
    ],
    [
      'repositories without selected',
      { 'secret-name': 'S', 'github-token': 't', 'secret-organization': 'o', 'secret-selected-repositories': 'a' },
      "'secret-visibility' is not selected"
    ],
    [
      'repositories without organization',
      { 'secret-name': 'S', 'github-token': 't', 'secret-selected-repositories': 'a' },
      "input 'secret-selected-repositories' needs 'secret-organization'"
    ]
  ])('rejects %s', (_name, inputs, message) => {
    expect(failure({ ...BASE, ...inputs })).toContain(message);
  });

  it('needs secret-repository outside Actions', () => {
    expect(failure({ ...BASE, 'secret-name': 'S', 'github-token': 't' }, {})).toContain(
      "input 'secret-repository' is required outside GitHub Actions"
    );
  });

  it.each([
    ['7776000', 7776000],
    ['90d', 7776000],
    ['90 d', 7776000],
    ['2w', 1209600],
    ['12h', 43200],
    ['30m', 1800],
    ['45s', 45],
    ['1D', 86400]
  ])('reads validity %s as %i seconds', (validity, seconds) => {
    expect(read({ ...BASE, validity }).config.validitySeconds).toBe(seconds);
  });

  it('reads each secret target kind', () => {
    const secret = { 'secret-name': 'SCIM_TOKEN', 'github-token': 'ghp_x' };
    expect(read({ ...BASE, ...secret }).config.secret?.target).toEqual({ kind: 'repository', owner: 'octo-org', repo: 'octo-repo' });
    expect(read({ ...BASE, ...secret, 'secret-repository': 'a/b', 'secret-environment': 'prod' }).config.secret?.target).toEqual({
      kind: 'environment',
      owner: 'a',
      repo: 'b',
      environment: 'prod'
    });
    expect(
      read({
        ...BASE,
        ...secret,
        'secret-organization': 'acme',
        'secret-visibility': 'selected',
        'secret-selected-repositories': 'one, acme/two\nthree'
      }).config.secret?.target
    ).toEqual({ kind: 'organization', org: 'acme', visibility: 'selected', selectedRepositories: ['one', 'two', 'three'] });
    expect(read({ ...BASE, ...secret, 'renew-before': '14d' }).config.secret?.renewBeforeSeconds).toBe(1209600);
  });

  it('names the run attempt in the generated token name when it is a re-run', () => {
    expect(read(BASE, { ...ENV, GITHUB_RUN_ATTEMPT: '2' }).config.tokenName).toBe('GitHub Actions octo-org/octo-repo run 42 attempt 2');
    expect(read({ ...BASE, 'token-name': 'mine' }).config.tokenName).toBe('mine');
  });
});

describe('isLoopback', () => {
  it.each([
    ['127.0.0.1', true],
    ['127.255.0.9', true],
    ['localhost', true],
    ['[::1]', true],
    ['::1', true],
    ['[::ffff:7f00:1]', true],
    ['[::ffff:a00:1]', false],
    ['128.0.0.1', false],
    ['127.0.0.1.nip.io', false],
    ['localhost.example', false],
    ['0.0.0.0', false]
  ])('%s → %s', (host, expected) => {
    expect(isLoopback(host)).toBe(expected);
  });
});
