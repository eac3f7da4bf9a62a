/** Durations as the `validity` and `renew-before` inputs take them: `7776000`, `90d`, `12h`, `2w`. */
const UNIT_SECONDS = { s: 1, m: 60, h: 3600, d: 86400, w: 604800 } as const;
type Unit = keyof typeof UNIT_SECONDS;

/**
 * Synkzone runs on Java; validity is most likely a Java int of seconds, so stay below 2^31.
 * (68 years is far beyond any sensible token lifetime anyway.)
 */
export const MAX_DURATION_SECONDS = 2 ** 31 - 1;

/** Seconds for a duration, or undefined when the text is not a positive whole duration. */
export function parseDuration(text: string): number | undefined {
  const match = /^(\d+)\s*([smhdw]?)$/i.exec(text.trim());
  if (!match) return undefined;
  const unit = (match[2] || 's').toLowerCase() as Unit;
  const seconds = Number(match[1]) * UNIT_SECONDS[unit];
  if (!Number.isSafeInteger(seconds) || seconds <= 0 || seconds > MAX_DURATION_SECONDS) return undefined;
  return seconds;
}

/** `7776000` → `90 days`; for logs and the job summary. */
export function describeDuration(seconds: number): string {
  const units = [
    [86400, 'day'],
    [3600, 'hour'],
    [60, 'minute'],
    [1, 'second']
  ] as const;
  const [size, word] = units.find(([size]) => seconds % size === 0) ?? units[3];
  const n = seconds / size;
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}
