// A GitHub REST API stand-in for the "Actions secrets" endpoints the action writes through (repository,
// environment and organization secrets) plus GET /repos/{owner}/{repo} for resolving names to ids.
//
// WHY a real key pair: the action must seal the token with the scope's public key (libsodium sealed box).
// The stand-in holds a real crypto_box key pair per scope and OPENS every box it receives, so tests
// assert on the stored plaintext; a wrong key, a wrong base64 variant or a mangled box is caught here
// (counted in openFailures and answered 422) instead of passing silently.
import sodium from 'libsodium-wrappers';
import { randomInt } from 'node:crypto';
import {
  FaultPlan,
  jsonAnswer,
  serveWithFaults,
  type RecordedRequest,
  type StandinAnswer,
  type StandinRequest,
  type StandinRoute
} from './faults.js';

/**
 * A token and what it may do. A missing permission → 403. Environment routes need secrets AND
 * environments; org routes need organizationSecrets; GET /repos/{o}/{r} needs only a valid token.
 */
export interface GitHubTokenGrant {
  token: string;
  secrets?: boolean;
  environments?: boolean;
  organizationSecrets?: boolean;
}

export interface GitHubStandinOptions {
  repositories?: Array<{ fullName: string; id?: number; environments?: string[] }>;
  organizations?: string[];
  grants?: GitHubTokenGrant[];
  delayMs?: number;
}

export interface StoredSecret {
  plaintext: string;
  keyId: string;
  createdAt: string;
  updatedAt: string;
  visibility?: string;
  selectedRepositoryIds?: number[];
}

export interface SecretScope {
  repository?: string;
  environment?: string;
  organization?: string;
}

export interface GitHubStandin {
  url: string;
  /** Routes: 'public-key' | 'read-secret' | 'write-secret' | 'get-repo'. */
  faults: FaultPlan;
  requests: RecordedRequest[];
  /** PUTs refused because key_id was not current or the sealed box did not open. */
  openFailures: number;
  secret(scope: SecretScope, name: string): StoredSecret | undefined;
  /** An existing secret, e.g. for "is renewal due" tests. */
  seedSecret(
    scope: SecretScope,
    name: string,
    opts: { plaintext: string; updatedAt: Date; createdAt?: Date; visibility?: string; selectedRepositoryIds?: number[] }
  ): void;
  /** Replace the scope's key pair (as GitHub may): a box sealed for the old key is then refused. */
  rotateKey(scope: SecretScope): void;
  close(): Promise<void>;
}

export const DEFAULT_GITHUB_TOKEN = 'ghp_standin_writer';

interface ScopeState {
  kind: 'repository' | 'environment' | 'organization';
  /** Organization that owns the scope (for checking selected repository ids). */
  owner: string;
  keyId: string;
  publicKey: Uint8Array;
  privateKey: Uint8Array;
  secrets: Map<string, StoredSecret>;
}

interface Repository {
  id: number;
  fullName: string;
  environments: string[];
}

export async function startGitHubStandin(options: GitHubStandinOptions = {}): Promise<GitHubStandin> {
  await sodium.ready;
  const repositories: Repository[] = (options.repositories ?? [{ fullName: 'octo-org/octo-repo', environments: ['production'] }]).map(
    (repo, index) => ({ id: repo.id ?? 100001 + index, fullName: repo.fullName, environments: repo.environments ?? [] })
  );
  const organizations = options.organizations ?? ['octo-org'];
  const grants = options.grants ?? [{ token: DEFAULT_GITHUB_TOKEN, secrets: true, environments: true, organizationSecrets: true }];
  const faults = new FaultPlan();
  const requests: RecordedRequest[] = [];
  const scopes = new Map<string, ScopeState>();
  let openFailures = 0;

  const findRepository = (fullName: string): Repository | undefined =>
    repositories.find((repo) => repo.fullName.toLowerCase() === fullName.toLowerCase());

  /** The scope's state (created on first use), or undefined when the repo/env/org does not exist. */
  function scopeState(scope: SecretScope): ScopeState | undefined {
    let key: string;
    let kind: ScopeState['kind'];
    let owner: string;
    if (scope.organization !== undefined) {
      if (scope.repository !== undefined || scope.environment !== undefined) {
        throw new Error('An organization scope takes no repository or environment');
      }
      const org = organizations.find((name) => name.toLowerCase() === scope.organization!.toLowerCase());
      if (!org) return undefined;
      [key, kind, owner] = [`org:${org.toLowerCase()}`, 'organization', org];
    } else {
      if (scope.repository === undefined) throw new Error('A secret scope needs a repository or an organization');
      const repo = findRepository(scope.repository);
      if (!repo) return undefined;
      owner = repo.fullName.split('/')[0]!;
      if (scope.environment !== undefined) {
        // GitHub environment names are case-insensitive.
        const env = repo.environments.find((name) => name.toLowerCase() === scope.environment!.toLowerCase());
        if (!env) return undefined;
        [key, kind] = [`env:${repo.fullName.toLowerCase()}:${env.toLowerCase()}`, 'environment'];
      } else {
        [key, kind] = [`repo:${repo.fullName.toLowerCase()}`, 'repository'];
      }
    }
    let state = scopes.get(key);
    if (!state) {
      state = { kind, owner, ...newKey(), secrets: new Map() };
      scopes.set(key, state);
    }
    return state;
  }

  function grantFor(request: StandinRequest): GitHubTokenGrant | StandinAnswer {
    const header = request.headers.authorization;
    if (!header) return ghError(401, 'Requires authentication');
    // Octokit sends "token <t>"; "Bearer <t>" is accepted by GitHub as well.
    const match = /^(?:token|bearer) (\S+)$/i.exec(header);
    const grant = match ? grants.find((candidate) => candidate.token === match[1]) : undefined;
    return grant ?? ghError(401, 'Bad credentials');
  }

  function permitted(grant: GitHubTokenGrant, state: ScopeState): boolean {
    if (state.kind === 'organization') return grant.organizationSecrets === true;
    if (state.kind === 'environment') return grant.secrets === true && grant.environments === true;
    return grant.secrets === true;
  }

  /** Auth, existence and permission checks shared by every secrets route, in GitHub's order. */
  function authorize(request: StandinRequest, scope: SecretScope): ScopeState | StandinAnswer {
    const grant = grantFor(request);
    if ('status' in grant) return grant;
    const state = scopeState(scope);
    if (!state) return ghError(404, 'Not Found');
    if (!permitted(grant, state)) return ghError(403, 'Resource not accessible by personal access token');
    return state;
  }

  function publicKey(request: StandinRequest, scope: SecretScope): StandinAnswer {
    const state = authorize(request, scope);
    if ('status' in state) return state;
    return jsonAnswer(200, {
      key_id: state.keyId,
      key: sodium.to_base64(state.publicKey, sodium.base64_variants.ORIGINAL)
    });
  }

  function readSecret(request: StandinRequest, scope: SecretScope, name: string, url: string): StandinAnswer {
    const state = authorize(request, scope);
    if ('status' in state) return state;
    const stored = state.secrets.get(name.toUpperCase());
    if (!stored) return ghError(404, 'Not Found');
    const answer: Record<string, unknown> = {
      name: name.toUpperCase(),
      created_at: stored.createdAt,
      updated_at: stored.updatedAt
    };
    if (state.kind === 'organization') {
      answer.visibility = stored.visibility;
      if (stored.visibility === 'selected') {
        answer.selected_repositories_url = `${url}/orgs/${state.owner}/actions/secrets/${name.toUpperCase()}/repositories`;
      }
    }
    return jsonAnswer(200, answer);
  }

  function writeSecret(request: StandinRequest, scope: SecretScope, name: string): StandinAnswer {
    const state = authorize(request, scope);
    if ('status' in state) return state;
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name) || /^GITHUB_/i.test(name)) {
      return ghError(422, 'Secret names can only contain alphanumeric characters or underscores, must not start with a number or GITHUB_');
    }
    let body: unknown;
    try {
      body = JSON.parse(request.body);
    } catch {
      return ghError(400, 'Problems parsing JSON');
    }
    if (!isObject(body) || typeof body.encrypted_value !== 'string' || typeof body.key_id !== 'string') {
      return ghError(422, 'Invalid request: encrypted_value and key_id are required strings');
    }
    let visibility: string | undefined;
    let selectedRepositoryIds: number[] | undefined;
    if (state.kind === 'organization') {
      visibility = typeof body.visibility === 'string' ? body.visibility : undefined;
      if (visibility !== 'all' && visibility !== 'private' && visibility !== 'selected') {
        return ghError(422, 'Invalid request: visibility must be all, private or selected');
      }
      if (visibility === 'selected') {
        const ids = body.selected_repository_ids;
        const orgRepoIds = repositories
          .filter((repo) => repo.fullName.split('/')[0]!.toLowerCase() === state.owner.toLowerCase())
          .map((repo) => repo.id);
        if (!Array.isArray(ids) || ids.length === 0 || !ids.every((id) => typeof id === 'number' && orgRepoIds.includes(id))) {
          return ghError(422, 'Invalid request: selected_repository_ids must list repositories of the organization');
        }
        selectedRepositoryIds = ids as number[];
      }
    }
    if (body.key_id !== state.keyId) {
      openFailures += 1;
      return ghError(422, 'Invalid request: key_id is not the current public key');
    }
    let plaintext: string;
    try {
      const sealed = sodium.from_base64(body.encrypted_value, sodium.base64_variants.ORIGINAL);
      const opened = sodium.crypto_box_seal_open(sealed, state.publicKey, state.privateKey);
      plaintext = new TextDecoder('utf-8', { fatal: true }).decode(opened);
    } catch {
      openFailures += 1;
      return ghError(422, 'Invalid request: encrypted_value could not be decrypted');
    }
    const now = githubTime(new Date());
    const existing = state.secrets.get(name.toUpperCase());
    state.secrets.set(name.toUpperCase(), {
      plaintext,
      keyId: body.key_id,
      createdAt: existing?.createdAt ?? now,
      updatedAt: now,
      ...(visibility !== undefined && { visibility }),
      ...(selectedRepositoryIds !== undefined && { selectedRepositoryIds })
    });
    // GitHub: 201 when the secret was created, 204 when an existing one was updated.
    return existing ? { status: 204 } : jsonAnswer(201, {});
  }

  function getRepository(request: StandinRequest, fullName: string): StandinAnswer {
    const grant = grantFor(request);
    if ('status' in grant) return grant;
    const repo = findRepository(fullName);
    if (!repo) return ghError(404, 'Not Found');
    const [owner, name] = repo.fullName.split('/') as [string, string];
    return jsonAnswer(200, { id: repo.id, name, full_name: repo.fullName, private: true, owner: { login: owner } });
  }

  let baseUrl = '';
  const server = await serveWithFaults({
    faults,
    requests,
    delayMs: options.delayMs,
    resolve(method, pathname): StandinRoute | undefined {
      let parts: string[];
      try {
        parts = pathname.split('/').slice(1).map(decodeURIComponent);
      } catch {
        return undefined;
      }
      const target = matchSecretsPath(parts);
      if (target) {
        const { scope, name } = target;
        if (name === 'public-key') {
          return method === 'GET' ? { route: 'public-key', handle: (r) => publicKey(r, scope) } : undefined;
        }
        if (method === 'GET') return { route: 'read-secret', handle: (r) => readSecret(r, scope, name, baseUrl) };
        if (method === 'PUT') return { route: 'write-secret', handle: (r) => writeSecret(r, scope, name) };
        return undefined;
      }
      if (parts.length === 3 && parts[0] === 'repos' && method === 'GET') {
        return { route: 'get-repo', handle: (r) => getRepository(r, `${parts[1]}/${parts[2]}`) };
      }
      return undefined;
    },
    notFound: () => ghError(404, 'Not Found')
  });
  baseUrl = server.url;

  const requireState = (scope: SecretScope): ScopeState => {
    const state = scopeState(scope);
    if (!state) throw new Error(`No such secret scope in the GitHub stand-in: ${JSON.stringify(scope)}`);
    return state;
  };

  return {
    url: server.url,
    faults,
    requests,
    get openFailures() {
      return openFailures;
    },
    secret: (scope, name) => scopeState(scope)?.secrets.get(name.toUpperCase()),
    seedSecret(scope, name, opts) {
      const state = requireState(scope);
      state.secrets.set(name.toUpperCase(), {
        plaintext: opts.plaintext,
        keyId: state.keyId,
        createdAt: githubTime(opts.createdAt ?? opts.updatedAt),
        updatedAt: githubTime(opts.updatedAt),
        ...(state.kind === 'organization' && { visibility: opts.visibility ?? 'private' }),
        ...(opts.selectedRepositoryIds !== undefined && { selectedRepositoryIds: opts.selectedRepositoryIds })
      });
    },
    rotateKey(scope) {
      Object.assign(requireState(scope), newKey());
    },
    close: () => server.close()
  };
}

/** Which secrets endpoint a path names: repository, environment or organization, and the last segment. */
function matchSecretsPath(parts: string[]): { scope: SecretScope; name: string } | undefined {
  const [a, b, c, d, e, f, g] = parts;
  if (parts.length === 6 && a === 'repos' && d === 'actions' && e === 'secrets' && f) {
    return { scope: { repository: `${b}/${c}` }, name: f };
  }
  if (parts.length === 7 && a === 'repos' && d === 'environments' && e && f === 'secrets' && g) {
    return { scope: { repository: `${b}/${c}`, environment: e }, name: g };
  }
  if (parts.length === 5 && a === 'orgs' && c === 'actions' && d === 'secrets' && e) {
    return { scope: { organization: b }, name: e };
  }
  return undefined;
}

// GitHub key ids are long decimal strings.
function newKey(): { keyId: string; publicKey: Uint8Array; privateKey: Uint8Array } {
  const pair = sodium.crypto_box_keypair();
  const keyId = `${randomInt(1, 10 ** 9)}${randomInt(10 ** 8, 10 ** 9)}`;
  return { keyId, publicKey: pair.publicKey, privateKey: pair.privateKey };
}

// GitHub writes timestamps without milliseconds: 2024-01-02T03:04:05Z.
function githubTime(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

function ghError(status: number, message: string): StandinAnswer {
  return jsonAnswer(status, { message, documentation_url: 'https://docs.github.com/rest', status: String(status) });
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
