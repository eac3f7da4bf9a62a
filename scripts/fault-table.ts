// Renders the fault matrix (test/chaos/cells.ts) as the README's "Troubleshooting by fault" section:
// for every request the action makes and every fault, what the action does, what the user sees and
// what to do. Every row is a cell that test/chaos/matrix.test.ts runs on the bundled action, and that
// test fails when README.md's section differs from this rendering.
//
//   npx tsx scripts/fault-table.ts           print the section
//   npx tsx scripts/fault-table.ts --write   replace the text between the README markers
import { readFile, writeFile } from 'node:fs/promises';
import { pathToFileURL } from 'node:url';
import { CELLS, FAULT_LABELS, MAX_ATTEMPTS, ROUTES, faultStatus, type Cell, type UserWords } from '../test/chaos/cells.js';

export const START_MARKER = '<!-- fault-table:start -->';
export const END_MARKER = '<!-- fault-table:end -->';

interface Row {
  faults: string[];
  words: UserWords;
}

/** Rows with the same words merge into one (differing statuses then read "HTTP <status>" in the error text). */
function rows(cells: readonly Cell[], words: (cell: Cell) => UserWords = (cell) => cell.words!): Row[] {
  const groups = new Map<string, { cells: Cell[]; generic: UserWords }>();
  for (const cell of cells) {
    const status = faultStatus(cell.fault);
    const generic = { ...words(cell) };
    if (status !== undefined) generic.sees = generic.sees.split(`HTTP ${status}`).join('HTTP <status>');
    const key = JSON.stringify(generic);
    const group = groups.get(key) ?? { cells: [], generic };
    group.cells.push(cell);
    groups.set(key, group);
  }
  return [...groups.values()].map(({ cells: members, generic }) => ({
    faults: [...new Set(members.map((cell) => FAULT_LABELS[cell.fault]))],
    words: new Set(members.map((cell) => faultStatus(cell.fault))).size === 1 ? words(members[0]!) : generic
  }));
}

function table(body: Row[], first = 'Fault'): string[] {
  const escape = (text: string): string => text.replace(/\|/g, '\\|');
  return [
    `| ${first} | What the action does | What you see | What to do |`,
    '| --- | --- | --- | --- |',
    ...body.map(
      (row) => `| ${escape(row.faults.join('; '))} | ${escape(row.words.does)} | ${escape(row.words.sees)} | ${escape(row.words.todo)} |`
    )
  ];
}

export function renderFaultTable(): string {
  const lines: string[] = [
    '### Troubleshooting by fault',
    '',
    `What the action does when a request fails, and what to do. Every row is a test that runs the bundled action against stand-in servers with that fault (\`test/chaos/cells.ts\`; regenerate this section with \`npx tsx scripts/fault-table.ts --write\`).`,
    `"Retries" means up to \`max-attempts\` attempts in all (${MAX_ATTEMPTS} by default) with exponential backoff and jitter; \`Retry-After\` is honoured up to 60 s.`,
    'A fault that clears before the attempts run out only leaves a "retrying" line in the log.',
    'Every failure is a single error line that starts with the step; `…` stands for text left out here, `<host>` for the API host.',
    'A failed run never changes the stored secret: it keeps its previous value.'
  ];
  for (const on of ROUTES) {
    const cells = CELLS.filter((cell) => cell.group === 'matrix' && cell.route === on.id);
    lines.push('', `#### ${on.title}`, '', `\`${on.method} ${on.path}\``, '', ...table(rows(cells)));
  }
  // The same for every GitHub request; the metadata read's cells stand for all three.
  const rateLimits = CELLS.filter((cell) => cell.group === 'rate-limit' && cell.route === 'read-secret');
  const anyStep = (cell: Cell): UserWords => ({
    ...cell.words!,
    does: cell.words!.does.replace(/; no token is made$/, ''),
    sees: cell.words!.sees.replace(/^`[\w -]+ failed: /, '`… failed: ')
  });
  lines.push(
    '',
    '#### GitHub rate limits (metadata, public key, secret write)',
    '',
    'A 403 or 429 from the GitHub API that carries `retry-after`, or `x-ratelimit-remaining: 0` with `x-ratelimit-reset`, is a rate limit, not a missing permission. A 403 without those headers is a missing permission (see the tables above).',
    '',
    ...table(rows(rateLimits, anyStep))
  );
  return lines.join('\n');
}

/** The text between the README markers (without the newlines next to them), or undefined without markers. */
export function readmeSection(readme: string): string | undefined {
  const start = readme.indexOf(START_MARKER);
  const end = readme.indexOf(END_MARKER);
  if (start < 0 || end < 0 || end < start) return undefined;
  return readme
    .slice(start + START_MARKER.length, end)
    .replace(/^\n/, '')
    .replace(/\n$/, '');
}

export function replaceSection(readme: string, section: string): string {
  const start = readme.indexOf(START_MARKER);
  const end = readme.indexOf(END_MARKER);
  if (start < 0 || end < 0 || end < start) throw new Error(`README.md has no ${START_MARKER} … ${END_MARKER} markers`);
  return `${readme.slice(0, start + START_MARKER.length)}\n${section}\n${readme.slice(end)}`;
}

async function main(): Promise<void> {
  const section = renderFaultTable();
  if (!process.argv.includes('--write')) {
    console.log(section);
    return;
  }
  const readmeUrl = new URL('../README.md', import.meta.url);
  const readme = await readFile(readmeUrl, 'utf8');
  if (readmeSection(readme) === undefined) {
    console.error(`README.md has no ${START_MARKER} … ${END_MARKER} markers: nothing written.`);
    process.exitCode = 1;
    return;
  }
  await writeFile(readmeUrl, replaceSection(readme, section));
  console.log('README.md: troubleshooting-by-fault section updated.');
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await main();
}
