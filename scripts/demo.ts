// `npm run demo`: the whole flow of the bundled action against the Synkzone and GitHub API stand-ins on
// this machine. Prints the job log as the runner would show it (masked), the step outputs, the job
// summary, and proof that the secret GitHub stored decrypts to the token the action output.
// Nothing here reaches the network: both stand-ins listen on 127.0.0.1.
import { createHash } from 'node:crypto';
import { DEFAULT_GITHUB_TOKEN, startGitHubStandin } from '../test/support/github-standin.js';
import { findLeaks } from '../test/support/leaks.js';
import { runAction } from '../test/support/run-action.js';
import { DEFAULT_SYNKZONE_USERS, startSynkzoneStandin } from '../test/support/synkzone-standin.js';

const admin = DEFAULT_SYNKZONE_USERS.find((user) => user.admin)!;
const synkzone = await startSynkzoneStandin();
const github = await startGitHubStandin();

try {
  const run = await runAction({
    inputs: {
      'api-url': synkzone.url,
      username: admin.username,
      password: admin.password,
      'secret-name': 'SYNKZONE_SCIM_TOKEN',
      'github-token': DEFAULT_GITHUB_TOKEN
    },
    env: { GITHUB_API_URL: github.url }
  });

  section(`Job log (as the runner shows it; the action exited with code ${run.exitCode})`);
  console.log(indent(run.visibleLog.trimEnd()));

  section('Step outputs (the runner masks the token wherever a later step prints it)');
  for (const [name, value] of Object.entries(run.outputs)) {
    console.log(`  ${name.padEnd(15)} ${name === 'token' ? `*** (${value.length} characters, sha256 ${fingerprint(value)})` : value}`);
  }

  section('Job summary (GITHUB_STEP_SUMMARY)');
  console.log(indent(run.summary.trimEnd()));

  section('Proof');
  const created = synkzone.tokens.at(-1);
  const stored = github.secret({ repository: 'octo-org/octo-repo' }, 'SYNKZONE_SCIM_TOKEN');
  const secrets = [admin.password, DEFAULT_GITHUB_TOKEN, ...synkzone.sessions, ...synkzone.tokens.map((t) => t.token)];
  const leaks = [...findLeaks(run.visibleLog, secrets), ...findLeaks(run.summary, secrets)];
  const checks: [string, boolean][] = [
    ['the action succeeded', run.exitCode === 0],
    ['Synkzone created exactly one token, with the SCIM scope', synkzone.tokens.length === 1 && created?.scope?.name === 'SCIM'],
    ['the token output is the token Synkzone created', run.outputs.token === created?.token],
    [
      `GitHub opened the sealed box: the stored secret decrypts to the token (sha256 ${stored ? fingerprint(stored.plaintext) : 'none'})`,
      stored?.plaintext === created?.token
    ],
    ['no sealed box failed to open', github.openFailures === 0],
    ['no secret (token, session id, password, its character array, github-token) shows in the log or summary', leaks.length === 0]
  ];
  for (const [what, ok] of checks) console.log(`  ${ok ? '✔' : '✘'} ${what}`);
  if (leaks.length > 0) console.log(`  leaks: ${leaks.join('; ')}`);
  process.exitCode = checks.every(([, ok]) => ok) ? 0 : 1;
} finally {
  await Promise.all([synkzone.close(), github.close()]);
}

function section(title: string): void {
  console.log(`\n== ${title}`);
}

function indent(text: string): string {
  return text
    .split('\n')
    .map((line) => `  ${line}`)
    .join('\n');
}

function fingerprint(value: string): string {
  return createHash('sha256').update(value).digest('hex').slice(0, 12);
}
