// Run the BUNDLED action the way the GitHub Actions runner does: a child `node dist/index.js` with the
// inputs as INPUT_* variables (defaults from action.yml filled in, as the runner does), the runner's file
// commands (GITHUB_OUTPUT, GITHUB_STEP_SUMMARY, ...) as fresh temp files, and an otherwise EMPTY
// environment so a developer's HTTPS_PROXY or GITHUB_TOKEN cannot make a test pass or fail by accident.
//
// WHY emulate the log view: the question tests must answer is "what does a user see in the job log?",
// which is stdout/stderr after the runner has consumed workflow commands and replaced every registered
// mask with ***. renderRunnerLog() reproduces that, so leak tests check what is actually visible.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml } from 'yaml';

export interface RunActionOptions {
  /** By action.yml name, e.g. { 'api-url': ..., 'secret-name': ... }. */
  inputs: Record<string, string>;
  /** Extra environment (GITHUB_API_URL, HTTPS_PROXY, ...), applied last. */
  env?: Record<string, string>;
  /** RUNNER_DEBUG=1, and ::debug:: lines become visible. */
  debug?: boolean;
  /** Absolute path of the script to run; default <repo>/dist/index.js. */
  entry?: string;
  /** Node binary; default process.env.ACTION_NODE || process.execPath. */
  node?: string;
  /** Kill the action (its whole process group) after this long; default 60000. */
  timeoutMs?: number;
  /** Measure peak RSS with /usr/bin/time when it exists (peakRssKb stays undefined otherwise). */
  measureRss?: boolean;
}

export interface ActionRun {
  exitCode: number | null;
  /** Signal that ended the process (SIGKILL after a timeout), else null. */
  signal: NodeJS.Signals | null;
  timedOut: boolean;
  stdout: string;
  stderr: string;
  /** What a user sees in the job log. */
  visibleLog: string;
  /** Parsed from the GITHUB_OUTPUT file. */
  outputs: Record<string, string>;
  /** GITHUB_STEP_SUMMARY file contents. */
  summary: string;
  /** Values registered with ::add-mask::, in order. */
  masks: string[];
  /** Messages of ::error:: lines (masked, as the annotation shows them). */
  failures: string[];
  durationMs: number;
  peakRssKb?: number;
}

const ACTION_YML = new URL('../../action.yml', import.meta.url);
const DEFAULT_ENTRY = fileURLToPath(new URL('../../dist/index.js', import.meta.url));

export async function runAction(options: RunActionOptions): Promise<ActionRun> {
  const root = await mkdtemp(path.join(tmpdir(), 'run-action-'));
  try {
    return await runIn(root, options);
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}

async function runIn(root: string, options: RunActionOptions): Promise<ActionRun> {
  const workspace = path.join(root, 'workspace');
  const runnerTemp = path.join(root, 'runner-temp');
  await Promise.all([mkdir(workspace), mkdir(runnerTemp)]);
  const files = {
    GITHUB_OUTPUT: path.join(root, 'output'),
    GITHUB_STEP_SUMMARY: path.join(root, 'step-summary'),
    GITHUB_ENV: path.join(root, 'env'),
    GITHUB_STATE: path.join(root, 'state'),
    GITHUB_PATH: path.join(root, 'path')
  };
  await Promise.all(Object.values(files).map((file) => writeFile(file, '')));
  const eventPath = path.join(root, 'event.json');
  await writeFile(eventPath, '{}');

  const env: Record<string, string> = {
    ...(process.env.PATH !== undefined && { PATH: process.env.PATH }),
    ...(process.env.HOME !== undefined && { HOME: process.env.HOME }),
    GITHUB_ACTIONS: 'true',
    CI: 'true',
    GITHUB_REPOSITORY: 'octo-org/octo-repo',
    GITHUB_REPOSITORY_OWNER: 'octo-org',
    GITHUB_RUN_ID: '1234567890',
    GITHUB_RUN_ATTEMPT: '1',
    GITHUB_RUN_NUMBER: '7',
    GITHUB_WORKFLOW: 'Rotate SCIM token',
    GITHUB_JOB: 'rotate',
    GITHUB_ACTION: '__synkzone-scim-token',
    GITHUB_ACTOR: 'octocat',
    GITHUB_EVENT_NAME: 'workflow_dispatch',
    GITHUB_SERVER_URL: 'https://github.com',
    GITHUB_API_URL: 'https://api.github.invalid',
    GITHUB_GRAPHQL_URL: 'https://api.github.invalid/graphql',
    RUNNER_OS: 'Linux',
    RUNNER_ARCH: 'X64',
    RUNNER_TEMP: runnerTemp,
    GITHUB_WORKSPACE: workspace,
    GITHUB_EVENT_PATH: eventPath,
    ...files,
    ...(options.debug && { RUNNER_DEBUG: '1' }),
    ...(await inputEnv(options.inputs)),
    ...options.env
  };

  const node = options.node ?? (process.env.ACTION_NODE || process.execPath);
  const entry = options.entry ?? DEFAULT_ENTRY;
  const rssFile = path.join(root, 'rss');
  const timed = options.measureRss === true && existsSync('/usr/bin/time');
  const [command, args] = timed ? ['/usr/bin/time', ['-f', '%M', '-o', rssFile, node, entry]] : [node, [entry]];

  const started = performance.now();
  // detached: the child leads its own process group, so a timeout kills /usr/bin/time AND node.
  const child = spawn(command, args, { cwd: workspace, env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  const stdout: Buffer[] = [];
  const stderr: Buffer[] = [];
  child.stdout.on('data', (chunk: Buffer) => stdout.push(chunk));
  child.stderr.on('data', (chunk: Buffer) => stderr.push(chunk));
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    try {
      process.kill(-child.pid!, 'SIGKILL');
    } catch {
      child.kill('SIGKILL');
    }
  }, options.timeoutMs ?? 60000);
  const [exitCode, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code, sig) => resolve([code, sig]));
  }).finally(() => clearTimeout(timer));
  const durationMs = performance.now() - started;

  const out = Buffer.concat(stdout).toString('utf8');
  const err = Buffer.concat(stderr).toString('utf8');
  const rendered = renderRunnerLog(out, err, options.debug === true);
  const peakRssKb = timed ? parsePeakRss(await readFile(rssFile, 'utf8').catch(() => '')) : undefined;
  return {
    exitCode,
    signal,
    timedOut,
    stdout: out,
    stderr: err,
    ...rendered,
    outputs: parseOutputFile(await readFile(files.GITHUB_OUTPUT, 'utf8')),
    summary: await readFile(files.GITHUB_STEP_SUMMARY, 'utf8'),
    durationMs,
    ...(peakRssKb !== undefined && { peakRssKb })
  };
}

/**
 * INPUT_<NAME> variables as the runner sets them: every input with a default in action.yml, then the
 * given inputs over them. NAME is upper-cased with spaces → '_'; hyphens are KEPT (INPUT_SECRET-NAME).
 * An input action.yml does not declare throws: it is a typo in the test, which the runner would only warn
 * about while the action silently saw nothing.
 */
async function inputEnv(inputs: Record<string, string>): Promise<Record<string, string>> {
  const manifest = parseYaml(await readFile(ACTION_YML, 'utf8')) as {
    inputs?: Record<string, { default?: unknown } | null>;
  };
  const declared = manifest.inputs ?? {};
  const values: Record<string, string> = {};
  for (const [name, spec] of Object.entries(declared)) {
    if (spec && spec.default !== undefined && spec.default !== null) values[name] = String(spec.default);
  }
  for (const [name, value] of Object.entries(inputs)) {
    if (!(name in declared)) {
      throw new Error(`runAction: '${name}' is not an input of action.yml (${Object.keys(declared).join(', ')})`);
    }
    values[name] = value;
  }
  return Object.fromEntries(Object.entries(values).map(([name, value]) => [`INPUT_${name.replace(/ /g, '_').toUpperCase()}`, value]));
}

/** GITHUB_OUTPUT: `name<<DELIM` … `DELIM` blocks (what @actions/core writes) and `name=value` lines. */
export function parseOutputFile(text: string): Record<string, string> {
  const outputs: Record<string, string> = {};
  const lines = text.split(/\r?\n/);
  for (let index = 0; index < lines.length; index += 1) {
    const line = lines[index]!;
    if (line === '') continue;
    const heredoc = /^([^=]+?)<<(.+)$/.exec(line);
    if (heredoc) {
      const [, name, delimiter] = heredoc as unknown as [string, string, string];
      const end = lines.indexOf(delimiter, index + 1);
      if (end < 0) throw new Error(`GITHUB_OUTPUT: no closing delimiter for '${name}'`);
      outputs[name] = lines.slice(index + 1, end).join('\n');
      index = end;
      continue;
    }
    const equals = line.indexOf('=');
    if (equals <= 0) throw new Error(`GITHUB_OUTPUT: cannot parse line ${index + 1}`);
    outputs[line.slice(0, equals)] = line.slice(equals + 1);
  }
  return outputs;
}

/**
 * The job-log view of a step's output, following the runner's rules: stdout lines, then stderr lines
 * (the runner processes commands and masks on both). `::add-mask::V` registers V from then on; every
 * later line has each mask replaced by *** (longest first); debug lines show only in debug mode;
 * error/warning/notice show as `Error: msg` etc.; group shows as `▶ name`; other commands are hidden.
 * Not emulated: the runner's extra mask encodings (JSON-escaped, URL-encoded, base64 forms of each
 * mask). Leaving them out makes leak checks stricter, never looser.
 */
export function renderRunnerLog(
  stdout: string,
  stderr: string,
  debug: boolean
): { visibleLog: string; masks: string[]; failures: string[] } {
  const masks: string[] = [];
  const failures: string[] = [];
  const visible: string[] = [];
  let byLength: string[] = [];
  let stopToken: string | undefined;
  const mask = (text: string): string => byLength.reduce((acc, value) => acc.split(value).join('***'), text);
  const show = (text: string): void => {
    visible.push(mask(text));
  };

  for (const line of [...splitLines(stdout), ...splitLines(stderr)]) {
    if (stopToken !== undefined) {
      // ::stop-commands::TOKEN turns command processing off until the line ::TOKEN::.
      if (line.trim() === `::${stopToken}::`) stopToken = undefined;
      else show(line);
      continue;
    }
    const command = parseCommand(line);
    if (!command) {
      show(line);
      continue;
    }
    const data = unescapeData(command.data);
    switch (command.name) {
      case 'add-mask':
        if (data.trim() === '') {
          show("Warning: Can't add secret mask for empty string in ##[add-mask] command.");
        } else {
          masks.push(data);
          byLength = [...masks].sort((a, b) => b.length - a.length);
        }
        break;
      case 'debug':
        if (debug)
          visible.push(
            ...mask(data)
              .split('\n')
              .map((part) => `##[debug]${part}`)
          );
        break;
      case 'error':
        failures.push(mask(data));
        show(`Error: ${data}`);
        break;
      case 'warning':
        show(`Warning: ${data}`);
        break;
      case 'notice':
        show(`Notice: ${data}`);
        break;
      case 'group':
        show(`▶ ${data}`);
        break;
      case 'stop-commands':
        if (data !== '') stopToken = data;
        break;
      default:
        break; // endgroup, set-output, save-state, echo, ... are not shown
    }
  }
  return { visibleLog: visible.join('\n'), masks, failures };
}

function splitLines(text: string): string[] {
  if (text === '') return [];
  const lines = text.split('\n').map((line) => line.replace(/\r$/, ''));
  if (lines[lines.length - 1] === '') lines.pop();
  return lines;
}

/** `::name key=value,...::data` (leading whitespace allowed, names case-insensitive), or undefined. */
function parseCommand(line: string): { name: string; data: string } | undefined {
  const match = /^\s*::([A-Za-z0-9_-]+)(?:\s+[^]*?)?::([^]*)$/.exec(line);
  return match ? { name: match[1]!.toLowerCase(), data: match[2]! } : undefined;
}

// One pass, so an escaped "%250A" becomes the text "%0A", not a newline.
function unescapeData(data: string): string {
  return data.replace(/%25|%0D|%0A/g, (escape) => ({ '%25': '%', '%0D': '\r', '%0A': '\n' })[escape]!);
}

/** GNU time's -o file: maybe a "Command exited with non-zero status" line, then the %M number. */
function parsePeakRss(text: string): number | undefined {
  const numbers = text.split('\n').filter((line) => /^\d+$/.test(line.trim()));
  return numbers.length ? Number(numbers[numbers.length - 1]!.trim()) : undefined;
}
