import { backoffDelay, exceedsIntensity, inWindow } from './intensity.js';
import type { ChildExit, ChildInfo, Decision, DecideInput, RestartKind, Strategy } from './types.js';

/**
 * Whether a child of this restart kind is restarted after this exit (OTP semantics).
 *
 * @example
 * ```ts
 * shouldRestart('transient', { kind: 'done' }); // false
 * ```
 */
export function shouldRestart(kind: RestartKind, exit: ChildExit): boolean {
  switch (kind) {
    case 'permanent':
      return true;
    case 'transient':
      return exit.kind === 'error';
    case 'temporary':
      return false;
  }
}

/**
 * The children a strategy touches when `failedId` exits, in start order, the failed one included.
 * `one-for-one` never iterates `children`, so a supervisor with many children pays nothing for it.
 *
 * @example
 * ```ts
 * affected('rest-for-one', [{ id: 'a', restart: 'permanent' }, { id: 'b', restart: 'permanent' }], { id: 'a', restart: 'permanent' });
 * // both a and b
 * ```
 */
export function affected(strategy: Strategy, children: Iterable<ChildInfo>, failed: ChildInfo): ChildInfo[] {
  if (strategy === 'one-for-one') return [failed];
  const out: ChildInfo[] = [];
  let seen = strategy === 'one-for-all';
  for (const c of children) {
    if (c.id === failed.id) {
      seen = true;
      out.push(failed);
    } else if (seen) {
      out.push(c);
    }
  }
  // The failed child must be restarted even if the caller's list no longer holds it.
  if (!out.some((c) => c.id === failed.id)) out.unshift(failed);
  return out;
}

/**
 * Decide what a supervisor does about one child's exit. Pure: time comes in as `now`.
 *
 * - A child that is not to be restarted (`shouldRestart`) is removed; siblings are untouched and
 *   the intensity is not charged.
 * - Otherwise, if `intensity.maxRestarts` restarts already lie in the window, escalate.
 * - Otherwise restart the children the strategy names, after a backoff that grows with the failed
 *   child's restarts in the window. Temporary siblings caught up in a group restart are stopped
 *   and dropped, never restarted (as in OTP).
 *
 * @returns the decision; on `restart` it carries the history to keep
 * @example
 * ```ts
 * const d = decide({ strategy: 'one-for-one', children: [], failed: { id: 'a', restart: 'permanent' },
 *   exit: { kind: 'error', error: new Error('x') }, history: [], now: 0,
 *   intensity: { maxRestarts: 3, withinMs: 1000 }, backoff: { baseMs: 10, maxMs: 100 } });
 * // { action: 'restart', start: ['a'], stop: [], remove: [], delayMs: 10, history: [{ at: 0, child: 'a' }] }
 * ```
 */
export function decide(input: DecideInput): Decision {
  const { failed, exit, now, intensity } = input;
  if (!shouldRestart(failed.restart, exit)) return { action: 'remove' };

  const windowed = inWindow(input.history, now, intensity.withinMs);
  if (exceedsIntensity(windowed, intensity)) {
    return {
      action: 'escalate',
      reason: `child '${failed.id}' ${exit.kind === 'error' ? 'failed' : 'exited'} after ${windowed.length} restart(s) within ${intensity.withinMs}ms (maxRestarts ${intensity.maxRestarts})`,
    };
  }

  const group = affected(input.strategy, input.children, failed);
  const start: string[] = [];
  const remove: string[] = [];
  const stop: string[] = [];
  for (const c of group) {
    if (c.id !== failed.id) stop.push(c.id);
    if (c.id === failed.id || c.restart !== 'temporary') start.push(c.id);
    else remove.push(c.id);
  }
  stop.reverse();

  const attempt = windowed.reduce((n, r) => (r.child === failed.id ? n + 1 : n), 0);
  return {
    action: 'restart',
    stop,
    remove,
    start,
    delayMs: backoffDelay(attempt, input.backoff),
    history: [...windowed, { at: now, child: failed.id }],
  };
}
