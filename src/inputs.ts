/**
 * Reads every input once into one typed, validated object. Nothing else reads inputs, and every input
 * error surfaces here, before the first request. Error text names the input as written in `with:`.
 */
import { inputError } from './errors.js';
import { parseDuration } from './duration.js';

export type SecretTarget =
  | { kind: 'repository'; owner: string; repo: string }
  | { kind: 'environment'; owner: string; repo: string; environment: string }
  | {
      kind: 'organization';
      org: string;
      visibility: 'all' | 'private' | 'selected';
      /** Repository names in `org`, resolved to ids when the secret is written. */
      selectedRepositories: string[];
    };

export interface SecretConfig {
  name: string;
  target: SecretTarget;
  githubToken: string;
  /** Seconds before expiry at which a stored token is due for renewal; undefined = always renew. */
  renewBeforeSeconds?: number;
}

export interface Config {
  apiUrl: string;
  username: string;
  password: string;
  tokenName: string;
  validitySeconds: number;
  verify: boolean;
  secret?: SecretConfig;
  maxAttempts: number;
  requestTimeoutMs: number;
}

export interface InputSource {
  /** Like core.getInput: the value ('' when not given), with surrounding whitespace trimmed unless `exact`. */
  getInput(name: string, exact?: boolean): string;
  /** Masks a value in the job log. */
  setSecret(value: string): void;
  env: NodeJS.ProcessEnv;
}

const SECRET_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const REPOSITORY = /^[A-Za-z0-9-]+\/[A-Za-z0-9._-]+$/;
const OWNER = /^[A-Za-z0-9][A-Za-z0-9-]{0,38}$/;
const ORGANIZATION_LABEL = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/i;
const VISIBILITIES = ['all', 'private', 'selected'] as const;

export function readInputs({ getInput, setSecret, env }: InputSource): Config {
  // Mask credentials before anything else can print them (a validation message never includes them,
  // but a debug line or a later failure might run before the runner's own masking of `secrets.*`).
  // A password is used exactly as given: a leading or trailing space may be part of it.
  const password = getInput('password', true);
  if (password) setSecret(password);
  const githubToken = getInput('github-token');
  if (githubToken) setSecret(githubToken);

  const username = getInput('username');
  if (!username) throw inputError('username', 'is required: set it to the user name of a Synkzone administrator.');
  if (!password.trim())
    throw inputError('password', 'is required: pass the administrator password from a secret, e.g. ${{ secrets.SYNKZONE_PASSWORD }}.');

  const validitySeconds = readDuration(getInput, 'validity');
  if (validitySeconds === undefined) throw inputError('validity', 'is required: give seconds (7776000) or a number with a unit, e.g. 90d.');

  const secretName = getInput('secret-name');
  return {
    apiUrl: readApiUrl(getInput('api-url'), getInput('organization')),
    username,
    password,
    tokenName: readTokenName(getInput('token-name'), env),
    validitySeconds,
    verify: readBoolean(getInput, 'verify'),
    secret: secretName ? readSecret(getInput, env, secretName, githubToken, validitySeconds) : refuseSecretInputs(getInput),
    maxAttempts: readInteger(getInput, 'max-attempts', 1, 10),
    requestTimeoutMs: readTimeout(getInput)
  };
}

function readApiUrl(apiUrl: string, organization: string): string {
  if (apiUrl && organization) {
    throw inputError(
      'api-url',
      "and 'organization' are both set: keep only one (organization is shorthand for https://<organization>.synkzone.com)."
    );
  }
  if (organization) {
    if (!ORGANIZATION_LABEL.test(organization)) {
      throw inputError(
        'organization',
        "is not a valid organization name: give only the first label of <organization>.synkzone.com, or use 'api-url'."
      );
    }
    return `https://${organization.toLowerCase()}.synkzone.com`;
  }
  if (!apiUrl)
    throw inputError('api-url', "or 'organization' is required: set api-url to e.g. https://acme.synkzone.com, or organization to acme.");

  let url: URL;
  try {
    url = new URL(apiUrl);
  } catch {
    throw inputError('api-url', 'is not a URL: give the base URL, e.g. https://acme.synkzone.com.');
  }
  if (url.username || url.password) {
    throw inputError('api-url', "must not contain credentials: pass them in 'username' and 'password'.");
  }
  if (url.search || url.hash)
    throw inputError('api-url', 'must not have a query or fragment: give only the base URL, e.g. https://acme.synkzone.com.');
  // The password travels in the request body: never over plain http, except to this machine.
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && isLoopback(url.hostname))) {
    throw inputError('api-url', 'must use https: (http is accepted only for loopback hosts: 127.0.0.0/8, ::1 and localhost).');
  }
  // Callers append /api/...; a trailing slash or a pasted /api would double it.
  return url.href.replace(/\/+$/, '').replace(/\/api$/, '');
}

export function isLoopback(hostname: string): boolean {
  const host = hostname.replace(/^\[|\]$/g, '').toLowerCase();
  // IPv4-mapped loopback (::ffff:127.0.0.1) is normalised by URL to ::ffff:7fxx:xxxx.
  return host === 'localhost' || host === '::1' || /^127(?:\.\d{1,3}){3}$/.test(host) || /^::ffff:7f[0-9a-f]{2}:[0-9a-f]{1,4}$/.test(host);
}

function readSecret(
  getInput: InputSource['getInput'],
  env: NodeJS.ProcessEnv,
  name: string,
  githubToken: string,
  validitySeconds: number
): SecretConfig {
  if (!SECRET_NAME.test(name) || /^GITHUB_/i.test(name)) {
    throw inputError('secret-name', 'is not a valid secret name: use letters, digits and _, not starting with a digit or GITHUB_.');
  }
  if (!githubToken) {
    throw inputError(
      'github-token',
      "is required with 'secret-name': give a token that may write Actions secrets (a fine-grained PAT or a GitHub App token); the workflow's GITHUB_TOKEN cannot."
    );
  }

  let renewBeforeSeconds: number | undefined;
  if (getInput('renew-before')) {
    renewBeforeSeconds = readDuration(getInput, 'renew-before');
    if (renewBeforeSeconds! >= validitySeconds) {
      throw inputError('renew-before', "must be shorter than 'validity': otherwise every run would be due.");
    }
  }
  return { name, target: readTarget(getInput, env), githubToken, renewBeforeSeconds };
}

function readTarget(getInput: InputSource['getInput'], env: NodeJS.ProcessEnv): SecretTarget {
  const repository = getInput('secret-repository');
  const environment = getInput('secret-environment');
  const org = getInput('secret-organization');
  const visibility = getInput('secret-visibility') || 'private';
  const selected = getInput('secret-selected-repositories');

  if (org) {
    if (repository || environment) {
      const other = repository ? 'secret-repository' : 'secret-environment';
      throw inputError('secret-organization', `and '${other}' are both set: a secret goes to one place, so keep only one of them.`);
    }
    if (!OWNER.test(org)) throw inputError('secret-organization', 'is not an organization login: give e.g. octo-org.');
    if (!(VISIBILITIES as readonly string[]).includes(visibility)) {
      throw inputError('secret-visibility', 'must be all, private or selected.');
    }
    const selectedRepositories = selected
      .split(/[,\n]/)
      .map((s) => s.trim())
      .filter(Boolean)
      .map((s) => s.replace(new RegExp(`^${org}/`, 'i'), ''));
    if (visibility === 'selected' && selectedRepositories.length === 0) {
      throw inputError('secret-selected-repositories', "is required with secret-visibility 'selected': list the repository names.");
    }
    if (visibility !== 'selected' && selectedRepositories.length > 0) {
      throw inputError(
        'secret-selected-repositories',
        "is set but 'secret-visibility' is not selected: set secret-visibility to selected, or remove the list."
      );
    }
    if (selectedRepositories.some((r) => !/^[A-Za-z0-9._-]+$/.test(r))) {
      throw inputError('secret-selected-repositories', `must list repository names of ${org}, comma- or newline-separated.`);
    }
    return { kind: 'organization', org, visibility: visibility as 'all' | 'private' | 'selected', selectedRepositories };
  }
  if (selected) throw inputError('secret-selected-repositories', "needs 'secret-organization': it applies only to organization secrets.");
  if (visibility !== 'private')
    throw inputError('secret-visibility', "needs 'secret-organization': it applies only to organization secrets.");

  const fullName = repository || env.GITHUB_REPOSITORY || '';
  if (!REPOSITORY.test(fullName)) {
    throw repository
      ? inputError('secret-repository', 'must be owner/name, e.g. octo-org/octo-repo.')
      : inputError('secret-repository', 'is required outside GitHub Actions (GITHUB_REPOSITORY is not set): give owner/name.');
  }
  const [owner, repo] = fullName.split('/') as [string, string];
  return environment ? { kind: 'environment', owner, repo, environment } : { kind: 'repository', owner, repo };
}

/** Inputs that only mean something with `secret-name` are an error without it, not silently ignored. */
function refuseSecretInputs(getInput: InputSource['getInput']): undefined {
  for (const input of ['secret-repository', 'secret-environment', 'secret-organization', 'secret-selected-repositories', 'renew-before']) {
    if (getInput(input)) throw inputError(input, "needs 'secret-name': set secret-name to the secret that should hold the token.");
  }
  const visibility = getInput('secret-visibility');
  if (visibility && visibility !== 'private') {
    throw inputError('secret-visibility', "needs 'secret-name' and 'secret-organization'.");
  }
  return undefined;
}

function readDuration(getInput: InputSource['getInput'], input: string): number | undefined {
  const text = getInput(input);
  if (!text) return undefined;
  const seconds = parseDuration(text);
  if (seconds === undefined) {
    throw inputError(
      input,
      `is not a positive duration: give whole seconds (7776000) or a whole number with unit s, m, h, d or w (90d), at most 68 years.`
    );
  }
  return seconds;
}

function readBoolean(getInput: InputSource['getInput'], input: string): boolean {
  // The YAML 1.2 core schema booleans, as core.getBooleanInput accepts them.
  const text = getInput(input);
  if (['true', 'True', 'TRUE'].includes(text)) return true;
  if (['false', 'False', 'FALSE'].includes(text)) return false;
  throw inputError(input, 'must be true or false.');
}

function readInteger(getInput: InputSource['getInput'], input: string, min: number, max: number): number {
  const text = getInput(input);
  const value = Number(text);
  if (!/^\d+$/.test(text) || value < min || value > max) {
    throw inputError(input, `must be a whole number from ${min} to ${max}.`);
  }
  return value;
}

function readTimeout(getInput: InputSource['getInput']): number {
  const text = getInput('request-timeout');
  const seconds = Number(text);
  if (!/^\d+(?:\.\d+)?$/.test(text) || seconds <= 0 || seconds > 600) {
    throw inputError('request-timeout', 'must be a number of seconds greater than 0 and at most 600.');
  }
  return Math.round(seconds * 1000);
}

function readTokenName(tokenName: string, env: NodeJS.ProcessEnv): string {
  if (!tokenName) return defaultTokenName(env);
  // It appears in log lines, error messages and the summary: one line of printable text.
  if (tokenName.length > 255 || /\p{Cc}/u.test(tokenName)) {
    throw inputError('token-name', 'must be one line of at most 255 characters without control characters.');
  }
  return tokenName;
}

/** Names the repository and the run, so a token seen in Synkzone can be traced to the run that made it. */
function defaultTokenName(env: NodeJS.ProcessEnv): string {
  const repository = env.GITHUB_REPOSITORY || 'local';
  const run = env.GITHUB_RUN_ID ? `run ${env.GITHUB_RUN_ID}` : `run at ${new Date().toISOString()}`;
  const attempt = env.GITHUB_RUN_ATTEMPT && env.GITHUB_RUN_ATTEMPT !== '1' ? ` attempt ${env.GITHUB_RUN_ATTEMPT}` : '';
  return `GitHub Actions ${repository} ${run}${attempt}`;
}
