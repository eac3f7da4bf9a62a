// The fault matrix on the BUNDLED action (dist/index.js, started as the runner starts it, with
// RUNNER_DEBUG=1): every request × every fault from test/chaos/cells.ts, plus GitHub rate limits,
// faults a retry recovers from, and token creation whose answer is lost after Synkzone acted.
// Each cell runs with its own pair of stand-ins; cells run CHAOS_CONCURRENCY (default 6) at a time.
import { beforeAll, describe, expect, it } from '@jest/globals';
import { readFile } from 'node:fs/promises';
import { renderFaultTable, readmeSection } from '../../scripts/fault-table.js';
import { CELLS, type Cell } from './cells.js';
import { cellProblems, cellScenario, pool, runScenario } from './harness.js';

const CONCURRENCY = Number(process.env.CHAOS_CONCURRENCY ?? 6);
const results = new Map<string, string[]>();
let matrixMs = 0;

beforeAll(async () => {
  const started = Date.now();
  await pool(CELLS, CONCURRENCY, async (cell) => {
    try {
      const observation = await runScenario(cellScenario(cell));
      results.set(cell.id, cellProblems(cell, observation));
    } catch (error) {
      results.set(cell.id, [`the harness failed: ${(error as Error).message}`]);
    }
  });
  matrixMs = Date.now() - started;
}, 240_000);

const groups: Array<[string, Cell['group']]> = [
  ['every request × every fault', 'matrix'],
  ['GitHub rate limits are waited out, not taken for missing permissions', 'rate-limit'],
  ['a fault that clears is retried and the run succeeds', 'recovery'],
  ['token creation that Synkzone acted on before the answer was lost is never repeated', 'orphan'],
  ['environment secrets: the environment and its permission are named', 'environment']
];

describe.each(groups)('fault matrix: %s', (_title, group) => {
  const cells = CELLS.filter((cell) => cell.group === group);
  it.each(cells.map((cell) => [cell.id, cell] as const))('%s', (id) => {
    expect(results.get(id)).toEqual([]);
  });
});

describe('fault matrix: bookkeeping', () => {
  it('covers every request under every fault, and ran within the time budget', () => {
    const matrix = CELLS.filter((cell) => cell.group === 'matrix');
    expect(new Set(matrix.map((cell) => cell.route)).size).toBe(6);
    expect(matrix.length).toBe(6 * 19);
    expect(new Set(CELLS.map((cell) => cell.id)).size).toBe(CELLS.length);
    console.log(
      `fault matrix: ${CELLS.length} cells on the bundled action in ${(matrixMs / 1000).toFixed(1)} s (${CONCURRENCY} at a time)`
    );
    expect(matrixMs).toBeLessThan(120_000);
  });

  it("README's troubleshooting table is the matrix, in words", async () => {
    const readme = await readFile(new URL('../../README.md', import.meta.url), 'utf8').catch(() => '');
    const section = readmeSection(readme);
    if (section === undefined) {
      console.warn('README.md has no <!-- fault-table:start --> / <!-- fault-table:end --> markers: table check skipped.');
      return;
    }
    const rendered = renderFaultTable().split('\n');
    const lines = section.split('\n');
    const first = rendered.findIndex((line, index) => line !== lines[index]);
    const differs = first >= 0 || lines.length !== rendered.length;
    // A short message instead of a diff of the whole table.
    expect(
      differs
        ? `README.md's fault table differs from the matrix at line ${(first >= 0 ? first : rendered.length) + 1} of the section: run npx tsx scripts/fault-table.ts --write`
        : 'same'
    ).toBe('same');
  });
});
