// `npm run bench [-- --runs N] [--node <path>] [--dist <dir>]`: how long the BUNDLED action takes, run the way the
// runner runs it (test/support/run-action.ts), against fresh Synkzone and GitHub stand-ins on 127.0.0.1
// that add a fixed delay to every request. Issue #4 defines the figures and the targets:
//
//   critical-path round trips = (median at 150 ms - median at 0 ms) / 150 ms   target <= 4.1
//   start-up ratio            = median at 0 ms / median of a bundled action that only loads
//                               @actions/core and sets one output (bench/baseline)   target <= 1.5
//
// WHY fresh stand-ins for every run: each run then starts with no secret stored and no token made, so
// every run does the whole job, and the requests each stand-in received belong to that run alone.
// WHY every run is checked (exit 0, the stored secret decrypts to the token Synkzone made): a run that
// fails early is fast, and a benchmark must never report a failure as a speed-up.
// WHY rotate the order: the first runs after a build pay for cold disk caches and a cold CPU; rotating
// which variant goes first in each round spreads that over all variants, and one warm-up round is
// discarded.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { cp, mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import { cpus, loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { DEFAULT_GITHUB_TOKEN, startGitHubStandin } from '../test/support/github-standin.js';
import { runAction, type ActionRun } from '../test/support/run-action.js';
import { DEFAULT_SYNKZONE_USERS, startSynkzoneStandin } from '../test/support/synkzone-standin.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const DELAY_MS = 150;
const TARGET_ROUND_TRIPS = 4.1;
const TARGET_STARTUP_RATIO = 1.5;
const SECRET_NAME = 'SYNKZONE_SCIM_TOKEN';
const REPOSITORY = 'octo-org/octo-repo';
/** The requests of one run, in the order the job needs them; each exactly once. */
const EXPECTED_STORE = [
  'synkzone POST logon',
  'synkzone POST tokens',
  'synkzone GET users',
  'github GET public-key',
  'github PUT write-secret'
];
const EXPECTED_NO_STORE = EXPECTED_STORE.slice(0, 3);

const { values: args } = parseArgs({
  // --dist: another bundle folder to time the same way (e.g. a candidate change bundled elsewhere).
  options: { runs: { type: 'string', default: '7' }, node: { type: 'string' }, dist: { type: 'string', default: path.join(ROOT, 'dist') } }
});
const runs = Number(args.runs);
if (!Number.isInteger(runs) || runs < 1) throw new Error(`--runs must be a whole number >= 1 (got ${args.runs})`);
const node = args.node ?? (process.env.ACTION_NODE || process.execPath);
const nodeVersion = execFileSync(node, ['--version'], { encoding: 'utf8' }).trim();
const measureRss = existsSync('/usr/bin/time');

interface Sample {
  ms: number;
  rssKb?: number;
  /** "synkzone POST logon", ... in arrival order. */
  requests: string[];
  /** Sequential waves of requests seen by the stand-ins (see requestWaves); only with a delay. */
  waves?: number;
  /** From the last answer sent to the run's end (process exit, plus ~1-3 ms of harness work). */
  tailMs?: number;
}

interface Variant {
  label: string;
  run(): Promise<Sample>;
}

const work = await mkdtemp(path.join(tmpdir(), 'bench-'));
try {
  const action = await snapshotDist(path.resolve(args.dist), path.join(work, 'action'));
  const baseline = await bundleBaseline(path.join(work, 'baseline'));

  const variants: Variant[] = [
    { label: 'store, 0 ms', run: () => runFlow({ store: true, delayMs: 0, entry: action.entry }) },
    { label: `store, ${DELAY_MS} ms`, run: () => runFlow({ store: true, delayMs: DELAY_MS, entry: action.entry }) },
    { label: 'no store, 0 ms', run: () => runFlow({ store: false, delayMs: 0, entry: action.entry }) },
    { label: `no store, ${DELAY_MS} ms`, run: () => runFlow({ store: false, delayMs: DELAY_MS, entry: action.entry }) },
    { label: 'baseline', run: () => runBaseline(baseline) }
  ];

  console.log(
    `Benchmark: ${runs} runs per variant after 1 warm-up round, node ${nodeVersion} (${node}), ` +
      `${path.relative(process.cwd(), path.resolve(args.dist)) || '.'}/index.js sha256 ${action.sha256}, ${cpus().length} CPUs, load average ${load()}`
  );
  if (!measureRss) console.log('Peak RSS: n/a, /usr/bin/time is missing (install it with: apt-get install time).');

  const samples = new Map<string, Sample[]>(variants.map((v) => [v.label, []]));
  for (let round = 0; round <= runs; round += 1) {
    // Round r starts with variant r (mod n), so each variant takes each position about equally often.
    const order = variants.map((_, index) => variants[(index + round) % variants.length]!);
    for (const variant of order) {
      const sample = await variant.run();
      if (round > 0) samples.get(variant.label)!.push(sample);
    }
    process.stderr.write(round === 0 ? 'warm-up done' : ` ${round}`);
  }
  process.stderr.write('\n');
  console.log(`Load average at the end: ${load()}`);
  if (loadavg()[0]! > cpus().length / 2) {
    console.log(
      `Note: the machine was busy (load ${loadavg()[0]!.toFixed(2)} on ${cpus().length} CPUs); other processes inflate and spread the times. Run again when it is idle.`
    );
  }

  const median = (label: string): number => stats(samples.get(label)!.map((s) => s.ms)).median;
  const roundTrips = (kind: string): number => (median(`${kind}, ${DELAY_MS} ms`) - median(`${kind}, 0 ms`)) / DELAY_MS;
  const storeRoundTrips = roundTrips('store');
  const startupRatio = median('store, 0 ms') / median('baseline');
  const requestCheck = checkRequests(samples);

  const waves = stats(samples.get(`store, ${DELAY_MS} ms`)!.map((s) => s.waves!));
  const tail = (label: string): string[] => {
    const t = stats(samples.get(label)!.map((s) => s.tailMs!));
    return [ms(t.median), ms(t.min), ms(t.max)];
  };
  const fastest = (label: string): number => stats(samples.get(label)!.map((s) => s.ms)).min;

  const rows: string[][] = [['', 'median', 'min', 'max', 'peak RSS (median, max)']];
  for (const variant of variants) {
    const list = samples.get(variant.label)!;
    const time = stats(list.map((s) => s.ms));
    const rss = list.every((s) => s.rssKb !== undefined) ? stats(list.map((s) => s.rssKb!)) : undefined;
    rows.push([
      `wall time: ${variant.label}`,
      ms(time.median),
      ms(time.min),
      ms(time.max),
      rss ? `${mb(rss.median)}, ${mb(rss.max)}` : 'n/a'
    ]);
  }
  rows.push(
    ['critical-path round trips (store)', storeRoundTrips.toFixed(2), '', '', `target <= ${TARGET_ROUND_TRIPS}`],
    ['critical-path round trips (no store)', roundTrips('no store').toFixed(2), '', '', ''],
    [`request waves seen by the stand-ins (store, ${DELAY_MS} ms)`, String(waves.median), String(waves.min), String(waves.max), ''],
    ['last answer -> exit (store, 0 ms)', ...tail('store, 0 ms'), ''],
    ['last answer -> exit (no store, 0 ms)', ...tail('no store, 0 ms'), ''],
    ['start-up ratio (store, 0 ms / baseline)', startupRatio.toFixed(2), '', '', `target <= ${TARGET_STARTUP_RATIO}`],
    ['start-up ratio (no store, 0 ms / baseline)', (median('no store, 0 ms') / median('baseline')).toFixed(2), '', '', ''],
    [
      'start-up ratio of the fastest runs (store)',
      (fastest('store, 0 ms') / fastest('baseline')).toFixed(2),
      '',
      '',
      'less load-sensitive'
    ],
    ['cost of storing at 0 ms', ms(median('store, 0 ms') - median('no store, 0 ms')), '', '', ''],
    ['dist/index.js size', kb(action.indexBytes), '', '', ''],
    [`dist/*.js size (${action.jsFiles} files)`, kb(action.totalJsBytes), '', '', ''],
    ['baseline bundle size', kb(baseline.bytes), '', '', ''],
    ['requests per run (store)', requestCheck.store, '', '', ''],
    ['requests per run (no store)', requestCheck.noStore, '', '', '']
  );
  console.log(table(rows));

  const verdicts: [string, boolean][] = [
    [`critical-path round trips ${storeRoundTrips.toFixed(2)} <= ${TARGET_ROUND_TRIPS}`, storeRoundTrips <= TARGET_ROUND_TRIPS],
    [`start-up ratio ${startupRatio.toFixed(2)} <= ${TARGET_STARTUP_RATIO}`, startupRatio <= TARGET_STARTUP_RATIO],
    [
      `every run made exactly its requests (${EXPECTED_STORE.length} with store, ${EXPECTED_NO_STORE.length} without), none twice`,
      requestCheck.ok
    ]
  ];
  for (const [what, ok] of verdicts) console.log(`${ok ? 'PASS' : 'FAIL'}  ${what}`);
  for (const problem of requestCheck.problems) console.log(`      ${problem}`);
  process.exitCode = verdicts.every(([, ok]) => ok) ? 0 : 1;
} finally {
  await rm(work, { recursive: true, force: true });
}

/**
 * A copy of dist/ taken once, so every run times the same bundle even if someone rebundles meanwhile.
 * The lazily loaded chunks (NNN.index.js) are loaded relative to index.js, so the whole folder is copied.
 */
async function snapshotDist(
  dist: string,
  into: string
): Promise<{ entry: string; sha256: string; indexBytes: number; totalJsBytes: number; jsFiles: number }> {
  await cp(dist, into, { recursive: true });
  const jsFiles = (await readdir(into)).filter((name) => name.endsWith('.js'));
  const sizes = await Promise.all(jsFiles.map(async (name) => (await stat(path.join(into, name))).size));
  const entry = path.join(into, 'index.js');
  return {
    entry,
    sha256: createHash('sha256')
      .update(await readFile(entry))
      .digest('hex')
      .slice(0, 12),
    indexBytes: (await stat(entry)).size,
    totalJsBytes: sizes.reduce((a, b) => a + b, 0),
    jsFiles: jsFiles.length
  };
}

/** bench/baseline/index.ts bundled with ncc, as the action is (bench/baseline/tsconfig.json limits its type check to that file). */
async function bundleBaseline(into: string): Promise<{ entry: string; bytes: number }> {
  execFileSync(
    path.join(ROOT, 'node_modules/.bin/ncc'),
    ['build', path.join(ROOT, 'bench/baseline/index.ts'), '-o', into, '--target', 'es2022', '--quiet'],
    { cwd: ROOT, stdio: ['ignore', 'ignore', 'inherit'] }
  );
  const entry = path.join(into, 'index.js');
  return { entry, bytes: (await stat(entry)).size };
}

async function runBaseline(baseline: { entry: string }): Promise<Sample> {
  const run = await runAction({ inputs: {}, entry: baseline.entry, node, measureRss });
  if (run.exitCode !== 0 || run.outputs.ready !== 'true') fail('baseline', run, 'did not exit 0 with output ready=true');
  return { ms: run.durationMs, ...(run.peakRssKb !== undefined && { rssKb: run.peakRssKb }), requests: [] };
}

async function runFlow({ store, delayMs, entry }: { store: boolean; delayMs: number; entry: string }): Promise<Sample> {
  const admin = DEFAULT_SYNKZONE_USERS.find((user) => user.admin)!;
  const synkzone = await startSynkzoneStandin({ delayMs });
  const github = await startGitHubStandin({ delayMs });
  const label = `${store ? 'store' : 'no store'}, ${delayMs} ms`;
  try {
    const run = await runAction({
      inputs: {
        'api-url': synkzone.url,
        username: admin.username,
        password: admin.password,
        // A repository secret of the current repository (GITHUB_REPOSITORY), the commonest use.
        ...(store && { 'secret-name': SECRET_NAME, 'github-token': DEFAULT_GITHUB_TOKEN })
      },
      env: { GITHUB_API_URL: github.url },
      entry,
      node,
      measureRss
    });
    const token = synkzone.tokens.length === 1 ? synkzone.tokens[0]!.token : undefined;
    if (run.exitCode !== 0 || run.timedOut) fail(label, run, `exited with ${run.exitCode ?? run.signal}`);
    if (!token || run.outputs.token !== token) fail(label, run, 'did not output the one token Synkzone made');
    if (run.outputs.verified !== 'true') fail(label, run, 'did not verify the token');
    if (store) {
      const stored = github.secret({ repository: REPOSITORY }, SECRET_NAME);
      if (stored?.plaintext !== token || github.openFailures !== 0 || run.outputs['secret-written'] !== 'true') {
        fail(label, run, 'did not store a secret that decrypts to the token');
      }
    } else if (github.requests.length !== 0 || run.outputs['secret-written'] === 'true') {
      fail(label, run, 'wrote to GitHub without secret-name');
    }
    const ended = Date.now();
    const received = [
      ...synkzone.requests.map((r) => ({ ...r, host: 'synkzone' })),
      ...github.requests.map((r) => ({ ...r, host: 'github' }))
    ].sort((a, b) => a.at - b.at);
    return {
      ms: run.durationMs,
      ...(run.peakRssKb !== undefined && { rssKb: run.peakRssKb }),
      requests: received.map((r) => `${r.host} ${r.method} ${r.route}`),
      ...(delayMs > 0 && {
        waves: requestWaves(
          received.map((r) => r.at),
          delayMs
        )
      }),
      tailMs: ended - (received.at(-1)!.at + delayMs)
    };
  } finally {
    await Promise.all([synkzone.close(), github.close()]);
  }
}

/**
 * How many requests had to wait for an earlier one, counted from the arrival times alone: a request that
 * arrives at least half a delay after the first of the current wave starts a new wave. This counts the
 * critical path independently of the wall-clock formula, which fixed costs overlapping the delay (work
 * the process does while it waits, or waits for at exit) can push below the true number.
 */
function requestWaves(arrivals: number[], delayMs: number): number {
  let waves = 0;
  let waveStart = -Infinity;
  for (const at of arrivals) {
    if (at - waveStart >= delayMs / 2) {
      waves += 1;
      waveStart = at;
    }
  }
  return waves;
}

/** Every run made each expected request exactly once and nothing else; the counts as printed. */
function checkRequests(samples: Map<string, Sample[]>): { ok: boolean; store: string; noStore: string; problems: string[] } {
  const problems: string[] = [];
  const describe = (kind: 'store' | 'no store', expected: string[]): string => {
    const lists = [0, DELAY_MS].flatMap((delay) => samples.get(`${kind}, ${delay} ms`)!.map((s) => s.requests));
    for (const list of lists) {
      const sorted = (l: string[]): string => [...l].sort().join(', ');
      if (sorted(list) !== sorted(expected)) {
        problems.push(`${kind}: expected ${expected.join(', ')}; one run made ${list.join(', ') || 'none'}`);
        break;
      }
    }
    const perHost = (host: string): string => {
      const counts = lists.map((list) => list.filter((r) => r.startsWith(`${host} `)).length);
      const [lo, hi] = [Math.min(...counts), Math.max(...counts)];
      return `${host} ${lo === hi ? lo : `${lo}-${hi}`}`;
    };
    const total = lists.map((l) => l.length);
    const [lo, hi] = [Math.min(...total), Math.max(...total)];
    return `${lo === hi ? lo : `${lo}-${hi}`} (${perHost('synkzone')}, ${perHost('github')})`;
  };
  const store = describe('store', EXPECTED_STORE);
  const noStore = describe('no store', EXPECTED_NO_STORE);
  return { ok: problems.length === 0, store, noStore, problems };
}

function fail(label: string, run: ActionRun, why: string): never {
  // visibleLog is what the runner shows: masked, so printing it leaks nothing.
  throw new Error(`Run '${label}' ${why}; a failing run is never timed. Its job log:\n${run.visibleLog}`);
}

function stats(values: number[]): { median: number; min: number; max: number } {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  const median = sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
  return { median, min: sorted[0]!, max: sorted[sorted.length - 1]! };
}

function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, column) => Math.max(...rows.map((row) => row[column]!.length)));
  const line = (row: string[]): string =>
    `| ${row.map((cell, column) => (column === 0 ? cell.padEnd(widths[column]!) : cell.padStart(widths[column]!))).join(' | ')} |`;
  return [
    line(rows[0]!),
    `|${widths.map((w, column) => (column === 0 ? ':' : '-') + '-'.repeat(w) + (column === 0 ? '-' : ':')).join('|')}|`,
    ...rows.slice(1).map(line)
  ].join('\n');
}

function load(): string {
  return loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');
}

function ms(value: number): string {
  return `${Math.round(value)} ms`;
}

function kb(bytes: number): string {
  return `${(bytes / 1024).toFixed(0)} KiB`;
}

function mb(kilobytes: number): string {
  return `${(kilobytes / 1024).toFixed(1)} MiB`;
}
