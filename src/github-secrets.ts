/**
 * GitHub Actions secrets: read a secret's metadata, fetch the target's public key, write the sealed value.
 * REST docs: https://docs.github.com/en/rest/actions/secrets
 *
 * Octokit (from @actions/github, whose base URL comes from GITHUB_API_URL, so GitHub Enterprise Server
 * works) and libsodium are loaded only when a run stores a secret. Octokit sends its requests through
 * the action's one HTTP helper, so the proxy, timeout, redirect and retry policy hold here too.
 */
import type { getOctokit } from '@actions/github';
import { ActionError, type Step } from './errors.js';
import type { HttpClient } from './http.js';
import type { SecretConfig, SecretTarget } from './inputs.js';
import { loadSealer, type Sealer } from './seal.js';

type Octokit = ReturnType<typeof getOctokit>;

export interface SecretStore {
  /** "repository secret SCIM_TOKEN of octo-org/octo-repo", for logs and the summary. */
  readonly description: string;
  /** When the secret was last written, or undefined when it does not exist. */
  readUpdatedAt(): Promise<Date | undefined>;
  /**
   * Fetches the public key, starts libsodium and resolves selected repositories: everything a write
   * needs that does not depend on the token, so it can run while Synkzone works. Runs once per store.
   */
  prepare(): Promise<void>;
  write(token: string): Promise<void>;
}

interface PublicKey {
  key_id: string;
  key: string;
}

interface WriteMaterials {
  publicKey: PublicKey;
  seal: Sealer;
  selectedRepositoryIds?: number[];
}

export async function openSecretStore(http: HttpClient, secret: SecretConfig): Promise<SecretStore> {
  const { getOctokit } = await import('@actions/github');
  const octokit = getOctokit(secret.githubToken, {
    userAgent: 'synkzone-scim-token-action',
    request: { fetch: http.asFetch('Secret storage') }
  });
  return new GitHubSecretStore(octokit, http, secret);
}

class GitHubSecretStore implements SecretStore {
  readonly description: string;
  private prepared?: Promise<WriteMaterials>;

  constructor(
    private readonly octokit: Octokit,
    private readonly http: HttpClient,
    private readonly secret: SecretConfig
  ) {
    this.description = describeTarget(secret.name, secret.target);
  }

  async readUpdatedAt(): Promise<Date | undefined> {
    const { target, name: secret_name } = this.secret;
    const request = { fetch: this.http.asFetch('Renewal check') };
    try {
      const { data } =
        target.kind === 'organization'
          ? await this.octokit.rest.actions.getOrgSecret({ org: target.org, secret_name, request })
          : target.kind === 'environment'
            ? await this.octokit.rest.actions.getEnvironmentSecret({
                ...repo(target),
                environment_name: target.environment,
                secret_name,
                request
              })
            : await this.octokit.rest.actions.getRepoSecret({ ...repo(target), secret_name, request });
      const updatedAt = new Date(data.updated_at);
      if (Number.isNaN(updatedAt.getTime())) {
        throw new ActionError(
          'Renewal check',
          `GitHub gave no valid updated_at for the ${this.description}. Remove 'renew-before' to renew regardless.`
        );
      }
      return updatedAt;
    } catch (error) {
      // A missing secret is simply due; a missing environment shows up as a 404 too, and prepare() names it.
      if (statusOf(error) === 404) return undefined;
      throw this.explain('Renewal check', error, 'reading the metadata of');
    }
  }

  prepare(): Promise<void> {
    return this.materials().then(() => undefined);
  }

  async write(token: string): Promise<void> {
    const { publicKey, seal, selectedRepositoryIds } = await this.materials();
    const { target, name: secret_name } = this.secret;
    const sealed = { encrypted_value: seal(token, publicKey.key), key_id: publicKey.key_id };
    try {
      if (target.kind === 'organization') {
        await this.octokit.rest.actions.createOrUpdateOrgSecret({
          org: target.org,
          secret_name,
          ...sealed,
          visibility: target.visibility,
          ...(selectedRepositoryIds ? { selected_repository_ids: selectedRepositoryIds } : {})
        });
      } else if (target.kind === 'environment') {
        await this.octokit.rest.actions.createOrUpdateEnvironmentSecret({
          ...repo(target),
          environment_name: target.environment,
          secret_name,
          ...sealed
        });
      } else {
        await this.octokit.rest.actions.createOrUpdateRepoSecret({ ...repo(target), secret_name, ...sealed });
      }
    } catch (error) {
      throw this.explain('Secret storage', error, 'writing');
    }
  }

  /** Fetched once per run: the write reuses what prepare() started. */
  private materials(): Promise<WriteMaterials> {
    this.prepared ??= Promise.all([this.fetchPublicKey(), loadSealer(), this.resolveSelectedRepositories()]).then(
      ([publicKey, seal, selectedRepositoryIds]) => ({ publicKey, seal, selectedRepositoryIds })
    );
    return this.prepared;
  }

  private async fetchPublicKey(): Promise<PublicKey> {
    const { target } = this.secret;
    try {
      const { data } =
        target.kind === 'organization'
          ? await this.octokit.rest.actions.getOrgPublicKey({ org: target.org })
          : target.kind === 'environment'
            ? await this.octokit.rest.actions.getEnvironmentPublicKey({ ...repo(target), environment_name: target.environment })
            : await this.octokit.rest.actions.getRepoPublicKey(repo(target));
      if (typeof data?.key !== 'string' || typeof data?.key_id !== 'string') {
        throw new ActionError(
          'Secret storage',
          `GitHub's public key answer for the ${this.description} has no key. Check that GITHUB_API_URL points at the GitHub API.`
        );
      }
      return { key: data.key, key_id: data.key_id };
    } catch (error) {
      throw this.explain('Secret storage', error, 'fetching the public key for');
    }
  }

  /** Organization secrets visible to selected repositories take repository ids, not names. */
  private async resolveSelectedRepositories(): Promise<number[] | undefined> {
    const { target } = this.secret;
    if (target.kind !== 'organization' || target.visibility !== 'selected') return undefined;
    return Promise.all(
      target.selectedRepositories.map(async (name) => {
        try {
          const { data } = await this.octokit.rest.repos.get({ owner: target.org, repo: name });
          return data.id;
        } catch (error) {
          if (statusOf(error) === 404) {
            throw new ActionError(
              'Secret storage',
              `repository '${name}' of 'secret-selected-repositories' was not found in ${target.org} (HTTP 404), or github-token cannot see it. Check the name.`,
              404
            );
          }
          throw this.explain('Secret storage', error, `resolving repository '${name}' for`);
        }
      })
    );
  }

  /** Turns an Octokit failure into one line: what was refused, and the permission that is likely missing. */
  private explain(step: Step, error: unknown, doing: string): ActionError {
    if (error instanceof ActionError) return error;
    // A network failure inside Octokit's fetch arrives wrapped; the helper already described it.
    const cause = (error as { cause?: unknown })?.cause;
    if (cause instanceof ActionError) return cause;
    const status = statusOf(error);
    const { target } = this.secret;
    const what = `GitHub answered HTTP ${status ?? '(none)'} to ${doing} the ${this.description}`;
    if (status === 401) {
      return new ActionError(step, `${what}: 'github-token' was not accepted. It is invalid or expired; give a current token.`, status);
    }
    if (status === 404 && target.kind === 'environment') {
      return new ActionError(
        step,
        `${what}: environment '${target.environment}' does not exist in ${target.owner}/${target.repo}, or github-token cannot see the repository. Create the environment (Settings → Environments) or fix 'secret-environment'.`,
        status
      );
    }
    if (status === 404) {
      const place = target.kind === 'organization' ? `organization '${target.org}'` : `repository ${target.owner}/${target.repo}`;
      return new ActionError(step, `${what}: ${place} was not found, or 'github-token' cannot see it. ${permissionAdvice(target)}`, status);
    }
    if (status === 403) {
      return new ActionError(step, `${what}: 'github-token' lacks the permission. ${permissionAdvice(target)}`, status);
    }
    return new ActionError(step, `${what}. Run again; if it persists, check https://www.githubstatus.com.`, status, { cause: error });
  }
}

/** The permission a token needs for a target; reading a secret's metadata needs the same as writing. */
export function permissionAdvice(target: SecretTarget): string {
  const githubToken = "The workflow's GITHUB_TOKEN cannot write secrets (there is no secrets permission for it).";
  switch (target.kind) {
    case 'repository':
      return `Give a fine-grained PAT with repository permission 'Secrets: Read and write', a GitHub App token with 'secrets: write', or a classic PAT with 'repo'. ${githubToken}`;
    case 'environment':
      return `Give a fine-grained PAT with repository permissions 'Secrets: Read and write' and 'Environments: Read and write', a GitHub App token with 'secrets: write' and 'environments: write', or a classic PAT with 'repo'. ${githubToken}`;
    case 'organization':
      return `Give a fine-grained PAT with organization permission 'Secrets: Read and write', a GitHub App token with organization 'secrets: write', or a classic PAT with 'admin:org'. ${githubToken}`;
  }
}

export function describeTarget(name: string, target: SecretTarget): string {
  switch (target.kind) {
    case 'repository':
      return `repository secret ${name} of ${target.owner}/${target.repo}`;
    case 'environment':
      return `secret ${name} of environment '${target.environment}' in ${target.owner}/${target.repo}`;
    case 'organization': {
      const who =
        target.visibility === 'selected'
          ? `selected repositories (${target.selectedRepositories.join(', ')})`
          : `${target.visibility} repositories`;
      return `organization secret ${name} of ${target.org}, visible to ${who}`;
    }
  }
}

function repo(target: { owner: string; repo: string }): { owner: string; repo: string } {
  return { owner: target.owner, repo: target.repo };
}

function statusOf(error: unknown): number | undefined {
  const status = (error as { status?: unknown })?.status;
  return typeof status === 'number' ? status : undefined;
}
