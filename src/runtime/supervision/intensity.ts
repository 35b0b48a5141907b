import type { Backoff, Intensity, RestartRecord } from './types.js';

/**
 * The restarts still inside the sliding window ending at `now` (those with `now - at < withinMs`).
 *
 * @param history - restarts decided so far
 * @param now - the current time on the injected clock
 * @param withinMs - the window's length
 * @returns a new array; `history` is not changed
 * @example
 * ```ts
 * inWindow([{ at: 0, child: 'a' }, { at: 900, child: 'a' }], 1000, 500); // [{ at: 900, child: 'a' }]
 * ```
 */
export function inWindow(history: readonly RestartRecord[], now: number, withinMs: number): RestartRecord[] {
  return history.filter((r) => now - r.at < withinMs);
}

/**
 * True when one more restart would exceed the intensity: `maxRestarts` restarts already lie in the window.
 *
 * @param windowed - restarts inside the window (see `inWindow`)
 * @param intensity - the supervisor's restart intensity
 * @example
 * ```ts
 * exceedsIntensity([], { maxRestarts: 0, withinMs: 1000 }); // true: no restart is allowed
 * ```
 */
export function exceedsIntensity(windowed: readonly RestartRecord[], intensity: Intensity): boolean {
  return windowed.length >= intensity.maxRestarts;
}

/**
 * The delay before the `attempt`-th restart (0-based): `min(maxMs, baseMs * 2^attempt)`.
 * The attempt count comes from the window, so the delay falls back to `baseMs` once the window empties.
 *
 * @param attempt - restarts of the same child already inside the window
 * @param backoff - the supervisor's backoff
 * @returns the delay in milliseconds
 * @example
 * ```ts
 * backoffDelay(3, { baseMs: 100, maxMs: 500 }); // 500 (800 capped)
 * ```
 */
export function backoffDelay(attempt: number, backoff: Backoff): number {
  if (backoff.baseMs <= 0) return 0;
  // 2^attempt overflows to Infinity for huge attempts; min() still caps it.
  return Math.min(backoff.maxMs, backoff.baseMs * 2 ** Math.max(0, attempt));
}
