import { TroupeError } from '../errors/index.js';

/** A duration: milliseconds as a number, or a string such as `250ms`, `30s`, `5m`, `2h`, `7d`. */
export type Duration = number | string;

const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };
const PATTERN = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)$/;

/**
 * Parse a duration into milliseconds.
 *
 * @throws TroupeError `TROUPE_DURATION_INVALID` naming the value and `where` it came from.
 */
export function parseDuration(value: Duration, where = 'duration'): number {
  if (typeof value === 'number') {
    if (Number.isFinite(value) && value >= 0) return value;
  } else if (typeof value === 'string' && value.length <= 32) {
    const m = PATTERN.exec(value.trim());
    if (m) return Math.round(Number(m[1]) * UNITS[m[2]!]!);
  }
  throw new TroupeError(
    'TROUPE_DURATION_INVALID',
    `${where}: expected a duration such as 500ms, 30s, 5m, 2h, 7d or a number of milliseconds, got ${JSON.stringify(value)}`,
    { data: { where, value } },
  );
}
