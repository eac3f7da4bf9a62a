// A seeded chaos soak: each run draws random faults (mulberry32, seeded from the soak seed and the run's
// index, so any run can be replayed alone) across every request, runs the BUNDLED action, and accepts
// only the two legal outcomes:
//   (a) success: exit 0, the secret holds a token that passed verification and equals the `token` output;
//   (b) a clear failure: exit 1, exactly one ::error:: line naming a step, the previous secret untouched;
// on top of the invariants of every run (no leak, no stack trace outside debug lines, no unverified token
// output or stored, POST /api/tokens repeated only after an answer proving Synkzone did not act).
import type { Fault, FaultRule } from '../support/faults.js';
import { buildFault, route, ROUTES, STEPS, type FaultId, type Host, type RouteId, type Step } from './cells.js';
import {
  describeFault,
  invariantProblems,
  isSynkzoneRoute,
  legalOutcomeProblems,
  pool,
  randomToken,
  runScenario,
  STEP_LINE,
  type Scenario
} from './harness.js';

export interface SoakOptions {
  runs: number;
  seed: number;
  /** Runs at a time, each with its own stand-ins; default 6. */
  concurrency?: number;
  /** Replay only these run indexes (as printed for a violation). */
  only?: number[];
  /** Progress and report lines; default console.log. */
  log?: (line: string) => void;
  /** Another bundle instead of dist/index.js. */
  entry?: string;
}

export interface SoakRun {
  index: number;
  plan: string[];
  outcome: 'success' | 'failure';
  step?: Step;
  tokensCreated: number;
  tokenPosts: number;
  problems: string[];
  durationMs: number;
}

export interface SoakResult {
  seed: number;
  runs: SoakRun[];
  outcomes: { success: number; failure: number };
  failuresByStep: Partial<Record<Step, number>>;
  /** Tokens Synkzone created in a run → how many runs. */
  tokensCreated: Record<number, number>;
  /** POST /api/tokens that reached Synkzone in a run → how many runs. */
  tokenPosts: Record<number, number>;
  violations: SoakRun[];
  durationMs: number;
}

/** mulberry32: a small, fast, well-distributed 32-bit PRNG; the same seed gives the same sequence everywhere. */
export function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The PRNG of one run: independent of how many runs there are or which ran first. */
export function runRandom(seed: number, index: number): () => number {
  const mixed = (Math.imul(seed >>> 0, 0x9e3779b1) ^ Math.imul(index + 1, 0x85ebca6b)) >>> 0;
  const warm = mulberry32(mixed);
  return mulberry32(Math.floor(warm() * 2 ** 32));
}

type SoakFault = Exclude<FaultId, 'refused'> | 'delay' | 'close-after';

interface DrawnRule {
  route: RouteId;
  fault: SoakFault;
  times: number;
  afterEffect: boolean;
}

interface Draw {
  rules: DrawnRule[];
  closedHosts: Host[];
  maxAttempts: number;
  renewBefore: boolean;
  target: 'repository' | 'environment';
  logonShape: NonNullable<Scenario['logonShape']>;
  tokenShape: NonNullable<Scenario['tokenShape']>;
}

const GITHUB_RATE_LIMITS: SoakFault[] = [
  'rate-limit-403-reset',
  'rate-limit-429-reset',
  'rate-limit-403-retry-after',
  'rate-limit-429-retry-after',
  '429-retry-after'
];

/** The faults a route may draw, with weights. */
function menu(routeId: RouteId, renewBefore: boolean): Array<[SoakFault, number]> {
  const on = route(routeId);
  const entries: Array<[SoakFault, number]> = [
    ['reset', 3],
    ['timeout', 1.5],
    ['redirect', 0.3],
    ['400', 0.7],
    ['401', 0.7],
    ['403', 0.7],
    ['404', 0.7],
    ['422', 0.5],
    ['429', 2],
    ['500', 2],
    ['502', 2],
    ['503', 3],
    ['504', 2],
    ['delay', 2],
    ['429-retry-after-long', 0.3]
  ];
  // A write answered 2xx is a stored secret at GitHub; a stand-in answering 2xx without storing models no real case.
  if (routeId !== 'write-secret') entries.push(['malformed-json', 0.7], ['unknown-json', 0.7], ['empty-body', 0.7]);
  if (on.host === 'synkzone') entries.push(['429-retry-after', 1]);
  else entries.push(...GITHUB_RATE_LIMITS.map((fault): [SoakFault, number] => [fault, 0.6]), ['rate-limit-403-reset-far', 0.2]);
  // close-after on a request refuses every later connection to its host.
  const hasSuccessor = ROUTES.some((other) => other.previous === routeId) && (routeId !== 'read-secret' || renewBefore);
  if (hasSuccessor) entries.push(['close-after', 0.8]);
  return entries;
}

function pick<T>(random: () => number, entries: Array<[T, number]>): T {
  const total = entries.reduce((sum, [, weight]) => sum + weight, 0);
  let point = random() * total;
  for (const [value, weight] of entries) {
    point -= weight;
    if (point < 0) return value;
  }
  return entries[entries.length - 1]![0];
}

export function drawRun(random: () => number): Draw {
  const renewBefore = random() < 0.5;
  const rules: DrawnRule[] = [];
  for (const on of ROUTES) {
    if (on.id === 'read-secret' && !renewBefore) continue;
    let count = random() < 0.22 ? 1 : 0;
    if (count === 1 && random() < 0.25) count = 2;
    for (let n = 0; n < count; n++) {
      const fault = pick(random, menu(on.id, renewBefore));
      const bounded = GITHUB_RATE_LIMITS.includes(fault) && on.host === 'github';
      const times =
        fault === 'close-after'
          ? 1
          : bounded
            ? 1 + Math.floor(random() * 2) // a persistent rate limit is waited out for 300 s: keep it short
            : pick(random, [
                [1, 5],
                [2, 2],
                [Infinity, 2]
              ]);
      // Token creation that Synkzone carried out before the answer was lost: the orphan case.
      const afterEffect = on.id === 'tokens' && ['reset', 'timeout', '500'].includes(fault) && random() < 0.5;
      rules.push({ route: on.id, fault, times, afterEffect });
      if (times === Infinity) break;
    }
  }
  const closedHosts: Host[] = [];
  if (random() < 0.03) closedHosts.push('synkzone');
  if (random() < 0.03) closedHosts.push('github');
  return {
    rules,
    closedHosts,
    maxAttempts: pick(random, [
      [3, 7],
      [2, 2],
      [1, 1]
    ]),
    renewBefore,
    target: random() < 0.3 ? 'environment' : 'repository',
    logonShape: pick(random, [
      ['sessionId', 1],
      ['session', 1],
      ['id', 1],
      ['string', 1]
    ]),
    tokenShape: pick(random, [
      ['token', 1],
      ['value', 1],
      ['apiToken', 1],
      ['string', 1]
    ])
  };
}

function toScenario(draw: Draw, now: number, entry?: string): Scenario {
  const synkzoneFaults: FaultRule[] = [];
  const githubFaults: FaultRule[] = [];
  let hangs = false;
  for (const rule of draw.rules) {
    let fault: Fault;
    if (rule.fault === 'delay') fault = { kind: 'delay', ms: 150 };
    else if (rule.fault === 'close-after') fault = { kind: 'close-after' };
    else fault = buildFault(rule.fault, route(rule.route), { now, afterEffect: rule.afterEffect });
    if (fault.kind === 'hang') hangs = true;
    (isSynkzoneRoute(rule.route) ? synkzoneFaults : githubFaults).push({ route: rule.route, fault, times: rule.times });
  }
  return {
    synkzoneFaults,
    githubFaults,
    closedHosts: draw.closedHosts,
    maxAttempts: draw.maxAttempts,
    // A short timeout only where a hang is planned, so a busy machine cannot time out a normal answer.
    requestTimeout: hangs ? 1 : 10,
    renewBefore: draw.renewBefore,
    target: draw.target,
    logonShape: draw.logonShape,
    tokenShape: draw.tokenShape,
    ...(entry !== undefined && { entry })
  };
}

export function describeDraw(draw: Draw): string[] {
  const lines = [
    `max-attempts ${draw.maxAttempts}, ${draw.renewBefore ? 'renew-before 30d (due)' : 'no renew-before'}, ${draw.target} secret, sign-in answer ${draw.logonShape}, creation answer ${draw.tokenShape}`
  ];
  for (const host of draw.closedHosts) lines.push(`${host}: port closed`);
  for (const rule of draw.rules) {
    const times = rule.times === Infinity ? 'always' : `×${rule.times}`;
    lines.push(`${rule.route}: ${rule.fault}${rule.afterEffect ? ' (after the server acted)' : ''} ${times}`);
  }
  if (draw.rules.length === 0 && draw.closedHosts.length === 0) lines.push('no faults');
  return lines;
}

function increment<K extends string | number>(record: Partial<Record<K, number>>, key: K): void {
  record[key] = (record[key] ?? 0) + 1;
}

export async function runSoak(options: SoakOptions): Promise<SoakResult> {
  const log = options.log ?? ((line: string) => console.log(line));
  const concurrency = options.concurrency ?? 6;
  const indexes = options.only ?? Array.from({ length: options.runs }, (_, index) => index);
  log(
    `chaos soak: seed ${options.seed}, ${indexes.length} runs, ${concurrency} at a time (replay: npm run soak -- --seed ${options.seed} --runs ${options.runs})`
  );
  const started = Date.now();

  const runs = await pool(indexes, concurrency, async (index): Promise<SoakRun> => {
    const random = runRandom(options.seed, index);
    const draw = drawRun(random);
    const previous = randomToken(random);
    const runStarted = Date.now();
    let problems: string[];
    let outcome: SoakRun['outcome'] = 'failure';
    let step: Step | undefined;
    let tokensCreated = 0;
    let tokenPosts = 0;
    try {
      const observation = await runScenario(toScenario(draw, Date.now(), options.entry), previous);
      problems = [...invariantProblems(observation), ...legalOutcomeProblems(observation)];
      outcome = observation.run.exitCode === 0 ? 'success' : 'failure';
      const line = observation.run.failures[0];
      if (outcome === 'failure' && line !== undefined && STEP_LINE.test(line))
        step = STEPS.find((candidate) => line.startsWith(`${candidate} failed: `));
      tokensCreated = observation.tokens.length;
      tokenPosts = observation.requests.tokens.length;
      const answers = observation.requests.tokens.map((_, n) => describeFault(observation.answerOf('tokens', n)));
      if (problems.length > 0 && answers.length > 0) problems.push(`(POST /api/tokens answers: ${answers.join('; ')})`);
      if (problems.length > 0 && line !== undefined && !problems.some((problem) => problem.startsWith('leak:'))) {
        problems.push(`(error line: ${line})`);
      }
    } catch (error) {
      problems = [`the harness failed: ${(error as Error).message}`];
    }
    return { index, plan: describeDraw(draw), outcome, step, tokensCreated, tokenPosts, problems, durationMs: Date.now() - runStarted };
  });

  const result: SoakResult = {
    seed: options.seed,
    runs,
    outcomes: { success: 0, failure: 0 },
    failuresByStep: {},
    tokensCreated: {},
    tokenPosts: {},
    violations: runs.filter((run) => run.problems.length > 0),
    durationMs: Date.now() - started
  };
  for (const run of runs) {
    result.outcomes[run.outcome] += 1;
    if (run.step) increment(result.failuresByStep, run.step);
    increment(result.tokensCreated, run.tokensCreated);
    increment(result.tokenPosts, run.tokenPosts);
  }
  for (const line of report(result)) log(line);
  return result;
}

export function report(result: SoakResult): string[] {
  const histogram = (record: Record<number, number>): string[] =>
    Object.entries(record)
      .sort(([a], [b]) => Number(a) - Number(b))
      .map(([key, count]) => `  ${key.padStart(2)} | ${'#'.repeat(Math.ceil((count / result.runs.length) * 50)).padEnd(50)} ${count}`);
  const steps = STEPS.filter((step) => result.failuresByStep[step]).map((step) => `${step} ${result.failuresByStep[step]}`);
  const lines = [
    `outcomes: success ${result.outcomes.success}, clear failure ${result.outcomes.failure}${steps.length ? ` (${steps.join(', ')})` : ''}`,
    'tokens created per run (tokens | runs):',
    ...histogram(result.tokensCreated),
    'POST /api/tokens per run (posts | runs):',
    ...histogram(result.tokenPosts),
    `violations: ${result.violations.length}`
  ];
  for (const violation of result.violations) {
    lines.push(
      `  run ${violation.index} (replay: npm run soak -- --seed ${result.seed} --only ${violation.index}):`,
      ...violation.plan.map((line) => `    plan: ${line}`),
      ...violation.problems.map((problem) => `    ✘ ${problem}`)
    );
  }
  lines.push(`took ${(result.durationMs / 1000).toFixed(1)} s`);
  return lines;
}
