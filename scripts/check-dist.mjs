// Fails when dist/ is not what the sources bundle to: the action runs from dist/, so a stale bundle
// would ship code nobody reviewed. Bundles into a temporary folder and compares file by file.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const fresh = mkdtempSync(join(tmpdir(), 'check-dist-'));
try {
  // The same command as `npm run bundle`; a second -o overrides the first.
  execFileSync('npm', ['run', '--silent', 'bundle', '--', '-o', fresh, '--quiet'], { stdio: 'inherit' });
  const names = new Set([...readdirSync('dist'), ...readdirSync(fresh)]);
  const differing = [...names].filter((name) => {
    try {
      return !readFileSync(join('dist', name)).equals(readFileSync(join(fresh, name)));
    } catch {
      return true; // present on one side only
    }
  });
  if (differing.length > 0) {
    console.error(`dist/ differs from a fresh bundle: ${differing.join(', ')}. Run 'npm run bundle' and commit dist/.`);
    process.exit(1);
  }
  console.log('dist/ equals a fresh bundle.');
} finally {
  rmSync(fresh, { recursive: true, force: true });
}
