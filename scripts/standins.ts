// `npx tsx scripts/standins.ts --env-out <path> [--max-seconds 900] [--no-github-proxy]`
//
// Starts the Synkzone API stand-in and the GitHub API stand-in (the same servers the tests and the demo
// use, from test/support) on 127.0.0.1 and keeps them running until SIGTERM / SIGINT, or until
// --max-seconds have passed (default 900), so a forgotten background process can never run forever.
//
// Once everything listens, it writes NAME=value lines to --env-out (the format of $GITHUB_ENV, so CI
// appends the file there) and prints one "ready" line. `--env-file <path>` is accepted as another name
// for it, but Node itself reads an `--env-file` argument anywhere on its command line (Node 20 and 24)
// and exits when that file does not exist yet, so it works only for a file that already exists.
//   SYNKZONE_API_URL            the Synkzone stand-in, for `api-url`
//   GITHUB_API_URL_STANDIN      the GitHub stand-in
//   SYNKZONE_USERNAME / SYNKZONE_PASSWORD   its administrator (stand-in values, not secrets)
//   GITHUB_TOKEN_STANDIN        a token the GitHub stand-in accepts for writing secrets
//   GITHUB_REPOSITORY_STANDIN   the repository the GitHub stand-in knows, for `secret-repository`
//   GITHUB_PROXY_STANDIN / GITHUB_CA_STANDIN   see below
//   STANDINS_PID                this process, to stop it with `kill` (npx does not pass SIGTERM on)
//
// WHY a proxy: an action step cannot be pointed at another GitHub API through `env: GITHUB_API_URL`. The
// runner sets GITHUB_API_URL (and GITHUB_REPOSITORY, ...) from the `github` context AFTER the step's env
// for node actions (actions/runner, NodeScriptActionHandler.cs), so the bundled action run with
// `uses: ./` always talks to the real API host. What a step CAN set is HTTPS_PROXY, which the action
// honours, and NODE_EXTRA_CA_CERTS. So this script also runs a forward proxy that answers CONNECT for
// exactly that host (from GITHUB_API_URL, default api.github.com) with a certificate from a throw-away
// CA, and hands every request to the GitHub stand-in. It refuses tunnels to any other host, so nothing
// reaches the real GitHub. The proxy is test/support/intercepting-proxy.ts (the one the proxy tests use);
// it makes the CA with the `openssl` CLI (present on GitHub's runners) in a temporary folder that is
// deleted on exit. --no-github-proxy skips all of this.
import { renameSync, writeFileSync } from 'node:fs';
import { DEFAULT_GITHUB_TOKEN, startGitHubStandin } from '../test/support/github-standin.js';
import { startInterceptingProxy } from '../test/support/intercepting-proxy.js';
import { DEFAULT_SYNKZONE_USERS, startSynkzoneStandin } from '../test/support/synkzone-standin.js';

interface Options {
  envFile?: string;
  maxSeconds: number;
  githubProxy: boolean;
}

interface Closable {
  close(): Promise<void>;
}

function parseArgs(args: string[]): Options {
  const options: Options = { maxSeconds: 900, githubProxy: true };
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if ((arg === '--env-out' || arg === '--env-file') && args[i + 1]) options.envFile = args[++i];
    else if (arg === '--max-seconds' && args[i + 1]) options.maxSeconds = Number(args[++i]);
    else if (arg === '--no-github-proxy') options.githubProxy = false;
    else usage(`unknown or incomplete argument '${arg}'`);
  }
  if (!Number.isFinite(options.maxSeconds) || options.maxSeconds <= 0) usage('--max-seconds must be a positive number');
  return options;
}

function usage(problem: string): never {
  console.error(`standins: ${problem}.\nUsage: npx tsx scripts/standins.ts [--env-out <path>] [--max-seconds 900] [--no-github-proxy]`);
  process.exit(2);
}

const options = parseArgs(process.argv.slice(2));
const admin = DEFAULT_SYNKZONE_USERS.find((user) => user.admin)!;
const running: Closable[] = [];
let stopping = false;

async function stop(reason: string, exitCode = 0): Promise<void> {
  if (stopping) return;
  stopping = true;
  console.log(`Stand-ins stopping (${reason}).`);
  await Promise.allSettled(running.reverse().map((server) => server.close()));
  process.exit(exitCode);
}

process.on('SIGTERM', () => void stop('SIGTERM'));
process.on('SIGINT', () => void stop('SIGINT'));
// The hard limit: started from a CI step in the background, this must end even if nobody stops it.
setTimeout(() => void stop(`--max-seconds ${options.maxSeconds} reached`), options.maxSeconds * 1000);

try {
  const synkzone = await startSynkzoneStandin();
  running.push(synkzone);
  const github = await startGitHubStandin();
  running.push(github);

  const env: Record<string, string> = {
    SYNKZONE_API_URL: synkzone.url,
    GITHUB_API_URL_STANDIN: github.url,
    SYNKZONE_USERNAME: admin.username,
    SYNKZONE_PASSWORD: admin.password,
    GITHUB_TOKEN_STANDIN: DEFAULT_GITHUB_TOKEN,
    GITHUB_REPOSITORY_STANDIN: 'octo-org/octo-repo',
    STANDINS_PID: String(process.pid)
  };

  let proxyNote = '';
  if (options.githubProxy) {
    const apiUrl = process.env.GITHUB_API_URL || 'https://api.github.com';
    const proxy = await startInterceptingProxy({ routes: { [apiUrl]: github.url }, log: console.log }).catch((error: unknown) => {
      throw new Error(`${error instanceof Error ? error.message : String(error)} (--no-github-proxy runs without the proxy)`);
    });
    running.push(proxy);
    env.GITHUB_PROXY_STANDIN = proxy.url;
    if (proxy.caFile) env.GITHUB_CA_STANDIN = proxy.caFile;
    proxyNote = `, proxy ${proxy.url} (answers for ${new URL(apiUrl).host} from the GitHub stand-in)`;
  }

  if (options.envFile) writeEnvFile(options.envFile, env);
  console.log(
    `Stand-ins ready: Synkzone ${synkzone.url}, GitHub ${github.url}${proxyNote}` +
      `${options.envFile ? `; variables in ${options.envFile}` : ''}; stopping after ${options.maxSeconds} s or on SIGTERM.`
  );
} catch (error) {
  console.error(`standins: could not start: ${error instanceof Error ? error.message : String(error)}`);
  await stop('start-up failed', 1);
}

/** NAME=value lines, written whole (temp file, then rename) so a reader polling for the file never sees half of it. */
function writeEnvFile(file: string, env: Record<string, string>): void {
  for (const [name, value] of Object.entries(env)) {
    if (/[\r\n]/.test(value)) throw new Error(`${name} has a line break, which NAME=value lines cannot carry`);
  }
  const partial = `${file}.partial`;
  writeFileSync(
    partial,
    Object.entries(env)
      .map(([name, value]) => `${name}=${value}\n`)
      .join('')
  );
  renameSync(partial, file);
}
