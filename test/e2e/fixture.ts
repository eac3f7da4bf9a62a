// Shared set-up of the end-to-end tests: both stand-ins, the inputs a real workflow would pass, and the
// list of every secret of a run, for the leak checks.
import { DEFAULT_GITHUB_TOKEN, startGitHubStandin, type GitHubStandin, type GitHubStandinOptions } from '../support/github-standin.js';
import { assertNoLeaks } from '../support/leaks.js';
import { runAction, type ActionRun, type RunActionOptions } from '../support/run-action.js';
import {
  DEFAULT_SYNKZONE_USERS,
  startSynkzoneStandin,
  type SynkzoneStandin,
  type SynkzoneStandinOptions
} from '../support/synkzone-standin.js';

export const ADMIN = DEFAULT_SYNKZONE_USERS[0]!;
export const SECRET_NAME = 'SYNKZONE_SCIM_TOKEN';
export const REPOSITORY = 'octo-org/octo-repo';

export interface Stage {
  synkzone: SynkzoneStandin;
  github: GitHubStandin;
  /** The inputs of a workflow that stores the token as a repository secret. */
  inputs: Record<string, string>;
  run(options?: Partial<RunActionOptions>): Promise<ActionRun>;
  /** Every credential this stage has seen: password, github-token, session ids, tokens. */
  secrets(): string[];
  close(): Promise<void>;
}

export async function stage(options: { synkzone?: SynkzoneStandinOptions; github?: GitHubStandinOptions } = {}): Promise<Stage> {
  const [synkzone, github] = await Promise.all([startSynkzoneStandin(options.synkzone), startGitHubStandin(options.github)]);
  const admin = options.synkzone?.users?.[0] ?? ADMIN;
  const inputs = {
    'api-url': synkzone.url,
    username: admin.username,
    password: admin.password,
    'secret-name': SECRET_NAME,
    'github-token': DEFAULT_GITHUB_TOKEN
  };
  const secrets = () => [admin.password, DEFAULT_GITHUB_TOKEN, ...synkzone.sessions, ...synkzone.tokens.map((t) => t.token)];
  return {
    synkzone,
    github,
    inputs,
    secrets,
    async run(runOptions = {}) {
      const run = await runAction({
        ...runOptions,
        inputs: runOptions.inputs ?? inputs,
        env: { GITHUB_API_URL: github.url, ...runOptions.env }
      });
      // Every run of every test is checked for leaks, not only the tests about leaks.
      assertNoLeaks(run, secrets());
      return run;
    },
    close: () => Promise.all([synkzone.close(), github.close()]).then(() => undefined)
  };
}

/** Requests a stand-in received on one route. */
export function count(standin: { requests: { route: string }[] }, route: string): number {
  return standin.requests.filter((r) => r.route === route).length;
}

/** The visible log with what changes between runs (ports, times, ids) replaced, for snapshots. */
export function normalise(log: string): string {
  return log
    .replace(/127\.0\.0\.1:\d+/g, '127.0.0.1:PORT')
    .replace(/\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?Z/g, 'TIMESTAMP')
    .replace(/ in \d+ ms/g, ' in N ms')
    .replace(/after \d+ ms/g, 'after N ms')
    .replace(/retrying in [\d.]+ s/g, 'retrying in N s');
}
