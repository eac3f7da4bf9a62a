// npm run soak -- [--seed N] [--runs N] [--concurrency N] [--only I,J,...]
// Without --seed a random seed is drawn; it is printed first, so any soak can be replayed exactly.
// Exits 1 when any run ends in neither legal outcome.
import { runSoak } from './soak.js';

function option(name: string): string | undefined {
  const index = process.argv.indexOf(`--${name}`);
  if (index >= 0) return process.argv[index + 1];
  const inline = process.argv.find((arg) => arg.startsWith(`--${name}=`));
  return inline?.slice(name.length + 3);
}

function integer(name: string, fallback: number): number {
  const text = option(name);
  if (text === undefined) return fallback;
  if (!/^\d+$/.test(text)) {
    console.error(`--${name} must be a whole number (got ${JSON.stringify(text)})`);
    process.exit(2);
  }
  return Number(text);
}

const seed = integer('seed', Math.floor(Math.random() * 2 ** 31));
const runs = integer('runs', 200);
const concurrency = integer('concurrency', 6);
const only = option('only')
  ?.split(',')
  .map((text) => Number(text.trim()))
  .filter((index) => Number.isInteger(index) && index >= 0);

const result = await runSoak({ seed, runs, concurrency, ...(only && only.length > 0 && { only }) });
process.exitCode = result.violations.length > 0 ? 1 : 0;
