// Runs the BUNDLED action (test/support/run-action.ts) against its own pair of stand-ins with a fault
// plan, and checks the invariants every run must keep whatever the faults: used by the matrix (with a
// per-cell expectation on top) and by the soak (which asserts only the two legal outcomes).
import { connect } from 'node:net';
import type { Fault, FaultRule, RecordedRequest } from '../support/faults.js';
import { DEFAULT_GITHUB_TOKEN, startGitHubStandin, type SecretScope, type StoredSecret } from '../support/github-standin.js';
import { findLeaks } from '../support/leaks.js';
import { runAction, type ActionRun } from '../support/run-action.js';
import { DEFAULT_SYNKZONE_USERS, startSynkzoneStandin, type SynkzoneStandinOptions } from '../support/synkzone-standin.js';
import {
  buildFault,
  CANARY,
  ENVIRONMENT,
  MAX_ATTEMPTS,
  REPOSITORY,
  refusedPlan,
  route,
  ROUTES,
  SECRET_NAME,
  STEPS,
  TOKEN_NAME,
  type Cell,
  type Host,
  type RouteId
} from './cells.js';

export const ADMIN = DEFAULT_SYNKZONE_USERS.find((user) => user.admin)!;

export interface Scenario {
  synkzoneFaults?: FaultRule[];
  githubFaults?: FaultRule[];
  /** Hosts whose URL is a closed port: every connection is refused. */
  closedHosts?: Host[];
  maxAttempts?: number;
  /** Seconds. */
  requestTimeout?: number;
  /** Pass `renew-before` (the seeded secret is due, so the run renews after reading its metadata). */
  renewBefore?: boolean;
  target?: 'repository' | 'environment';
  logonShape?: SynkzoneStandinOptions['logonShape'];
  tokenShape?: SynkzoneStandinOptions['tokenShape'];
  /** Kill the action after this long (a hang of the action itself is a defect). */
  timeoutMs?: number;
  /** Another bundle to run instead of dist/index.js (the harness's own self-checks use altered copies). */
  entry?: string;
}

export interface Observation {
  scenario: Scenario;
  run: ActionRun;
  /** Requests that reached each route, in order. */
  requests: Record<RouteId, RecordedRequest[]>;
  /** Connection attempts refused per route, counted from the action's retry lines and its error line. */
  refused: Record<RouteId, number>;
  /** Tokens Synkzone created. */
  tokens: string[];
  sessions: string[];
  /** Tokens for which the action received a 2xx JSON answer from GET /api/users. */
  verifiedTokens: Set<string>;
  /** The secret seeded before the run, and the secret afterwards. */
  previous: StoredSecret;
  after: StoredSecret | undefined;
  /** The fault (or undefined: the real handler) that answered the n-th request of a route. */
  answerOf(route: RouteId, index: number): Fault | undefined;
}

const SYNKZONE_ROUTES: readonly RouteId[] = ['logon', 'tokens', 'users'];

/**
 * A URL on 127.0.0.1 where nothing listens. Not a port that was free a moment ago: cells run
 * concurrently, and a stand-in of another cell could be given that ephemeral port. Port 9 (discard) lies
 * below the ephemeral range, so no `listen(0)` ever takes it; checked once that nothing listens there.
 */
export async function closedPortUrl(): Promise<string> {
  closedPortChecked ??= new Promise<void>((resolve, reject) => {
    const socket = connect(CLOSED_PORT, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      reject(new Error(`something listens on 127.0.0.1:${CLOSED_PORT}; the refused-connection cells need it closed`));
    });
    socket.once('error', () => resolve());
  });
  await closedPortChecked;
  return `http://127.0.0.1:${CLOSED_PORT}`;
}
const CLOSED_PORT = 9;
let closedPortChecked: Promise<void> | undefined;

export function randomToken(random: () => number = Math.random): string {
  let hex = '';
  for (let i = 0; i < 64; i++)
    hex += Math.floor(random() * 16)
      .toString(16)
      .toUpperCase();
  return `P-${hex}`;
}

export async function runScenario(scenario: Scenario, previousValue: string = randomToken()): Promise<Observation> {
  const synkzone = await startSynkzoneStandin({ logonShape: scenario.logonShape, tokenShape: scenario.tokenShape });
  const github = await startGitHubStandin();
  try {
    for (const rule of scenario.synkzoneFaults ?? []) synkzone.faults.add(rule);
    for (const rule of scenario.githubFaults ?? []) github.faults.add(rule);
    const scope: SecretScope =
      scenario.target === 'environment' ? { repository: REPOSITORY, environment: ENVIRONMENT } : { repository: REPOSITORY };
    // Last written 80 days ago: with validity 90d and renew-before 30d the renewal is due.
    github.seedSecret(scope, SECRET_NAME, { plaintext: previousValue, updatedAt: new Date(Date.now() - 80 * 86_400_000) });
    const previous = { ...github.secret(scope, SECRET_NAME)! };
    const closed = new Set(scenario.closedHosts ?? []);

    const run = await runAction({
      debug: true,
      timeoutMs: scenario.timeoutMs ?? 45_000,
      ...(scenario.entry !== undefined && { entry: scenario.entry }),
      inputs: {
        'api-url': closed.has('synkzone') ? await closedPortUrl() : synkzone.url,
        username: ADMIN.username,
        password: ADMIN.password,
        validity: '90d',
        'token-name': TOKEN_NAME,
        'secret-name': SECRET_NAME,
        'github-token': DEFAULT_GITHUB_TOKEN,
        'max-attempts': String(scenario.maxAttempts ?? 3),
        'request-timeout': String(scenario.requestTimeout ?? 10),
        ...(scenario.renewBefore !== false && { 'renew-before': '30d' }),
        ...(scenario.target === 'environment' && { 'secret-environment': ENVIRONMENT })
      },
      env: { GITHUB_API_URL: closed.has('github') ? await closedPortUrl() : github.url }
    });

    const all = [...synkzone.requests, ...github.requests];
    const requests = Object.fromEntries(ROUTES.map((r) => [r.id, all.filter((request) => request.route === r.id)])) as Record<
      RouteId,
      RecordedRequest[]
    >;
    const rules = [...(scenario.synkzoneFaults ?? []), ...(scenario.githubFaults ?? [])];
    const answerOf = (routeId: RouteId, index: number): Fault | undefined => {
      let k = index;
      for (const rule of rules.filter((candidate) => candidate.route === routeId)) {
        const times = rule.times ?? 1;
        if (k < times) return rule.fault;
        k -= times;
      }
      return undefined;
    };
    const tokens = synkzone.tokens.map((created) => created.token);
    const verifiedTokens = new Set<string>();
    requests.users.forEach((request, index) => {
      const token = /^Bearer (\S+)$/.exec(String(request.headers.authorization ?? ''))?.[1];
      if (token && tokens.includes(token) && answeredOk(answerOf('users', index))) verifiedTokens.add(token);
    });

    return {
      scenario,
      run,
      requests,
      refused: countRefused(run),
      tokens,
      sessions: [...synkzone.sessions],
      verifiedTokens,
      previous,
      after: github.secret(scope, SECRET_NAME),
      answerOf
    };
  } finally {
    await Promise.all([synkzone.close(), github.close()]);
  }
}

/** Did the action receive a 2xx JSON answer? undefined = the real handler (which answers 200 to a created token). */
function answeredOk(fault: Fault | undefined): boolean {
  if (fault === undefined || fault.kind === 'delay' || fault.kind === 'close-after') return true;
  if (fault.kind === 'body') return (fault.status ?? 200) < 300 && isJson(fault.body);
  if (fault.kind === 'status') return fault.status < 300 && fault.echoRequest !== true && isJson(fault.body ?? '');
  return false;
}

function isJson(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}

/** Which route a helper log line ("POST 127.0.0.1:1234/api/tokens: …") is about. */
export function routeOfLine(line: string): RouteId | undefined {
  const match = /(?:^|failed: )(GET|POST|PUT) [^\s/]+(\/\S*?):/.exec(line);
  if (!match) return undefined;
  const [, method, path] = match as unknown as [string, string, string];
  if (method === 'POST' && path.endsWith('/api/access/logon')) return 'logon';
  if (method === 'POST' && path.endsWith('/api/tokens')) return 'tokens';
  if (method === 'GET' && path.endsWith('/api/users')) return 'users';
  if (method === 'GET' && path.endsWith('/public-key')) return 'public-key';
  if (method === 'GET' && path.includes('/actions/secrets/')) return 'read-secret';
  if (method === 'PUT' && path.includes('/actions/secrets/')) return 'write-secret';
  return undefined;
}

function countRefused(run: ActionRun): Record<RouteId, number> {
  const counts = Object.fromEntries(ROUTES.map((r) => [r.id, 0])) as Record<RouteId, number>;
  for (const line of run.visibleLog.split('\n')) {
    if (line.startsWith('##[debug]') || !line.includes('connection refused')) continue;
    // One "retrying" line per refused attempt that is retried, and the error line for the last one.
    if (!/retrying in|^Error: /.test(line)) continue;
    const routeId = routeOfLine(line.replace(/^Error: /, ''));
    if (routeId) counts[routeId] += 1;
  }
  return counts;
}

/** Every secret that must never be visible: password, github-token, session ids, tokens, the canary. */
export function secretsOf(observation: Observation): string[] {
  return [ADMIN.password, DEFAULT_GITHUB_TOKEN, CANARY, ...observation.sessions, ...observation.tokens];
}

export const STEP_LINE = new RegExp(`^(${STEPS.join('|')}) failed: `);
const SAFE_POST_STATUSES = [429, 502, 503, 504];

/**
 * What every run must keep, whatever the faults. Problems are described without secret values, so a
 * failing test never prints one.
 */
export function invariantProblems(observation: Observation): string[] {
  const { run, after, previous } = observation;
  const problems: string[] = [];

  if (run.timedOut || run.signal !== null || (run.exitCode !== 0 && run.exitCode !== 1)) {
    problems.push(`the action crashed or hung: exit ${run.exitCode}, signal ${run.signal}, timed out ${run.timedOut}`);
  }

  const leaks = [
    ...findLeaks(run.visibleLog, secretsOf(observation)).map((leak) => `${leak} in the visible log`),
    ...findLeaks(run.summary, secretsOf(observation)).map((leak) => `${leak} in the job summary`)
  ];
  problems.push(...leaks.map((leak) => `leak: ${leak.replace('secret #3', 'the canary')}`));

  const stackLines = run.visibleLog.split('\n').filter((line) => !line.startsWith('##[debug]') && /^\s*at\s/.test(line));
  if (stackLines.length > 0)
    problems.push(`${stackLines.length} stack-trace line(s) outside debug lines, e.g. "${stackLines[0]!.trim().slice(0, 80)}"`);

  if (run.exitCode === 1) {
    if (run.failures.length !== 1) problems.push(`expected exactly one ::error:: line, got ${run.failures.length}`);
    else if (!STEP_LINE.test(run.failures[0]!)) problems.push(`the error line names no step: "${run.failures[0]!.slice(0, 120)}"`);
    if (run.failures.some((failure) => failure.includes('\n'))) problems.push('the error is more than one line');
  } else if (run.exitCode === 0 && run.failures.length > 0) {
    problems.push(`succeeded with ${run.failures.length} ::error:: line(s)`);
  }

  // No secret written unless verified; a failed run leaves the previous secret as it was.
  const changed = after === undefined || after.plaintext !== previous.plaintext || after.updatedAt !== previous.updatedAt;
  if (changed) {
    if (!after) problems.push('the previous secret was deleted');
    else if (!observation.verifiedTokens.has(after.plaintext)) problems.push('the secret now holds a value that did not pass verification');
    if (run.exitCode === 1) problems.push('the run failed but the previous secret was overwritten');
  }
  const output = run.outputs.token;
  if (output !== undefined && output !== '' && !observation.verifiedTokens.has(output)) {
    problems.push('the token output is not a token that passed verification');
  }

  // At most one POST /api/tokens, unless every earlier one got an answer proving Synkzone did not act.
  const posts = observation.requests.tokens;
  for (let index = 0; index < posts.length - 1; index++) {
    const answer = observation.answerOf('tokens', index);
    const safe = answer?.kind === 'status' && SAFE_POST_STATUSES.includes(answer.status) && answer.afterEffect !== true;
    if (!safe)
      problems.push(`POST /api/tokens was repeated after an answer that does not prove Synkzone did not act (${describeFault(answer)})`);
  }
  if (observation.tokens.length > 1) problems.push(`${observation.tokens.length} tokens were created in one run`);
  return problems;
}

/** The soak's two legal outcomes, on top of the invariants. */
export function legalOutcomeProblems(observation: Observation): string[] {
  const { run, after, previous } = observation;
  if (run.exitCode === 0) {
    const problems: string[] = [];
    if (!after || !observation.verifiedTokens.has(after.plaintext)) problems.push('success, but the secret does not hold a verified token');
    if (!after || run.outputs.token !== after.plaintext) problems.push('success, but the secret differs from the token output');
    if (run.outputs['secret-written'] !== 'true') problems.push(`success, but secret-written is ${run.outputs['secret-written']}`);
    if (run.outputs.verified !== 'true') problems.push(`success, but verified is ${run.outputs.verified}`);
    return problems;
  }
  if (run.exitCode === 1) {
    const problems: string[] = [];
    if (run.failures.length !== 1 || !STEP_LINE.test(run.failures[0] ?? ''))
      problems.push('failure without exactly one ::error:: line naming a step');
    if (!after || after.plaintext !== previous.plaintext || after.updatedAt !== previous.updatedAt) {
      problems.push('failure, but the previous secret was not left untouched');
    }
    return problems;
  }
  return [`neither outcome: exit ${run.exitCode}`];
}

export function describeFault(fault: Fault | undefined): string {
  if (!fault) return 'normal answer';
  switch (fault.kind) {
    case 'status':
      return `HTTP ${fault.status}${fault.headers ? ` ${Object.keys(fault.headers).join('+')}` : ''}${fault.echoRequest ? ' echo' : ''}${fault.afterEffect ? ' after-effect' : ''}`;
    case 'body':
      return `body ${JSON.stringify(fault.body.slice(0, 12))}${fault.status ? ` (HTTP ${fault.status})` : ''}`;
    case 'delay':
      return `delay ${fault.ms} ms`;
    case 'hang':
      return `hang${fault.afterEffect ? ' after-effect' : ''}`;
    case 'reset':
      return `reset${fault.afterEffect ? ' after-effect' : ''}`;
    case 'close-after':
      return 'close-after';
  }
}

export function isSynkzoneRoute(routeId: RouteId): boolean {
  return SYNKZONE_ROUTES.includes(routeId);
}

/** The stand-in plan for one matrix cell. `now` anchors rate-limit reset times. */
export function cellScenario(cell: Cell, now: number = Date.now()): Scenario {
  const on = route(cell.route);
  const scenario: Scenario = {
    synkzoneFaults: [],
    githubFaults: [],
    closedHosts: [],
    maxAttempts: MAX_ATTEMPTS,
    requestTimeout: cell.requestTimeout,
    renewBefore: true,
    ...(cell.target && { target: cell.target })
  };
  const add = (routeId: RouteId, fault: Fault, times: number): void => {
    (isSynkzoneRoute(routeId) ? scenario.synkzoneFaults! : scenario.githubFaults!).push({ route: routeId, fault, times });
  };
  if (cell.fault === 'refused') {
    const plan = refusedPlan(on);
    if ('closedHost' in plan) scenario.closedHosts!.push(plan.closedHost);
    else add(plan.closeAfter, { kind: 'close-after' }, 1);
  } else {
    add(cell.route, buildFault(cell.fault, on, { now, afterEffect: cell.afterEffect }), cell.times);
  }
  return scenario;
}

/** The cell's own expectation, on top of the invariants every run keeps. */
export function cellProblems(cell: Cell, observation: Observation): string[] {
  const { run, after, previous } = observation;
  const expect = cell.expect;
  const problems = invariantProblems(observation);
  const leaked = problems.some((problem) => problem.startsWith('leak:'));

  if (run.exitCode !== expect.exitCode) problems.push(`exit code ${run.exitCode}, expected ${expect.exitCode}`);
  const attempts = cell.fault === 'refused' ? observation.refused[cell.route] : observation.requests[cell.route].length;
  if (attempts !== expect.attempts) {
    problems.push(
      `${attempts} ${cell.fault === 'refused' ? 'connection attempts' : 'requests'} to ${cell.route}, expected ${expect.attempts}`
    );
  }
  const line = run.failures[0];
  if (expect.exitCode === 1 && line !== undefined) {
    if (!line.startsWith(`${expect.step} failed: `)) problems.push(`the error line does not start with "${expect.step} failed: "`);
    if (expect.status !== undefined && !line.includes(`HTTP ${expect.status}`))
      problems.push(`the error line does not name HTTP ${expect.status}`);
    for (const fragment of expect.errorFragments) {
      if (!line.includes(fragment)) problems.push(`the error line lacks "${fragment}"`);
    }
  }
  for (const fragment of expect.logFragments) {
    if (!run.visibleLog.includes(fragment)) problems.push(`the log lacks "${fragment}"`);
  }
  if (expect.minGapMs !== undefined) {
    const times = observation.requests[cell.route].map((request) => request.at);
    const gaps = times.slice(1).map((at, index) => at - times[index]!);
    const shortest = Math.min(...gaps);
    if (gaps.length === 0 || shortest < expect.minGapMs)
      problems.push(`repeated after ${shortest} ms, expected a wait of at least ${expect.minGapMs} ms`);
  }
  if (observation.requests.tokens.length !== expect.tokenPosts) {
    problems.push(`${observation.requests.tokens.length} POST /api/tokens, expected ${expect.tokenPosts}`);
  }
  if (observation.tokens.length !== expect.tokensCreated) {
    problems.push(`${observation.tokens.length} tokens created, expected ${expect.tokensCreated}`);
  }
  const untouched = after !== undefined && after.plaintext === previous.plaintext && after.updatedAt === previous.updatedAt;
  switch (expect.secret) {
    case 'previous':
      if (!untouched) problems.push('the previous secret was not left untouched');
      if (run.outputs['secret-written'] === 'true') problems.push('secret-written is true');
      break;
    case 'new':
      if (!after || !observation.verifiedTokens.has(after.plaintext) || after.plaintext !== run.outputs.token) {
        problems.push('the secret does not hold the verified token that was output');
      }
      if (run.outputs['secret-written'] !== 'true') problems.push(`secret-written is ${run.outputs['secret-written']}`);
      break;
    case 'reported-2xx':
      if (run.outputs['secret-written'] !== 'true') problems.push(`secret-written is ${run.outputs['secret-written']}`);
      break;
  }
  // Context for a failing cell; never when something leaked (the log would print the secret again).
  if (problems.length > 0 && !leaked && line !== undefined) problems.push(`(error line: ${line})`);
  return problems;
}

/** Runs fn over items with at most `concurrency` at a time, in order of start. */
export async function pool<T, R>(items: readonly T[], concurrency: number, fn: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const index = next++;
      results[index] = await fn(items[index]!, index);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, worker));
  return results;
}
