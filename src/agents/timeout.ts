import { TroupeError } from '../errors/index.js';
import { cancellableOf, type Cancellable } from '../util/index.js';

/** The longest timer Node can arm: a longer `setTimeout` fires at once (TimeoutOverflowWarning). */
export const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * Run `fn` with a deadline. `fn` gets an `AbortSignal` that aborts when the deadline passes (its
 * reason is the timeout error) or when `parent` aborts (its reason is the parent's). The promise
 * settles with `fn`'s result, or rejects with the timeout error or the parent's reason, whichever
 * comes first. A synchronous throw from `fn` becomes a rejection.
 *
 * Cheap by design (one call per step): a synchronous result needs no timer and no listener; for a
 * promise, one timer and one parent listener are armed and both are removed on settle, so nothing
 * dangles. The time `fn` spends synchronously before returning its promise counts against `ms`.
 *
 * @param fn - the work; should honour the signal.
 * @param ms - the deadline in ms; `Infinity` for none; values above 2^31-1 (~24.8 days) are
 *   clamped, because Node fires longer timers at once.
 * @param parent - a signal that cancels the work (the run's or the runtime's).
 * @param describe - called only on timeout, to name what timed out (e.g. `agent "triage" step "t1"`).
 * @returns `fn`'s result.
 * @throws TroupeError `TROUPE_AGENT_TIMEOUT` (as a rejection) with `data: { timeoutMs }`; or the
 *   parent's abort reason when `parent` aborts first (at once, without calling `fn`, if it
 *   already has); or whatever `fn` throws or rejects with.
 * @example
 * ```ts
 * const out = await runWithTimeout((signal) => agent.definition.execute(input, { ...ctx, signal }), agent.timeoutMs, run.signal, () => `agent "${agent.id}"`);
 * ```
 */
export function runWithTimeout<T>(
  fn: (signal: AbortSignal) => T | PromiseLike<T>,
  ms: number,
  parent?: AbortSignal,
  describe?: () => string,
): Promise<T> {
  if (parent !== undefined && parent.aborted) return Promise.reject(parent.reason);
  const controller = new AbortController();
  return runGuarded(() => fn(controller.signal), controller, ms, cancellableOf(parent), describe);
}

/** What a guarded call aborts on timeout or on its parent's abort (an AbortController, or a lazy one). */
export interface AbortTarget {
  abort(reason: unknown): void;
}

/**
 * The engine of {@link runWithTimeout}, for callers that make their own abort target (the agent
 * call context creates its AbortController only when an agent reads `ctx.signal`).
 *
 * @param start - starts the work; a synchronous result settles at once with no timer armed.
 * @param target - aborted with the timeout error or the parent's reason.
 */
export function runGuarded<T>(
  start: () => T | PromiseLike<T>,
  target: AbortTarget,
  ms: number,
  parent?: Cancellable,
  describe?: () => string,
): Promise<T> {
  return new Promise<T>((resolve, reject) => guard(start, target, ms, parent, describe, resolve, reject));
}

/**
 * {@link runGuarded} with callbacks: exactly one of `onValue` / `onError` is called, once. A
 * synchronous result (or throw) is delivered synchronously, with no promise, timer or listener:
 * the agent-call path uses this.
 */
export function guard<T>(
  start: () => T | PromiseLike<T>,
  target: AbortTarget,
  ms: number,
  parent: Cancellable | undefined,
  describe: (() => string) | undefined,
  onValue: (value: T) => void,
  onError: (error: unknown) => void,
): void {
  if (parent !== undefined && parent.aborted) return onError(parent.reason);
  const started = ms < Infinity ? Date.now() : 0;
  let result: T | PromiseLike<T>;
  try {
    result = start();
  } catch (e) {
    return onError(e);
  }
  if (!isThenable(result)) return onValue(result);
  if (parent !== undefined && parent.aborted) {
    // `start` itself aborted the parent while it ran synchronously.
    target.abort(parent.reason);
    return onError(parent.reason);
  }
  let open = true;
  const reject = (e: unknown): void => {
    if (open) {
      open = false;
      onError(e);
    }
  };
  const call: Call = { controller: target, reject, timer: undefined, unlink: undefined, ms, describe };
  if (ms < Infinity) {
    const left = ms - (Date.now() - started);
    call.timer = setTimeout(onTimeout, left > MAX_TIMER_MS ? MAX_TIMER_MS : left > 0 ? left : 0, call);
  }
  if (parent !== undefined) {
    call.unlink = parent.onAbort(() => {
      clearTimeout(call.timer);
      reject(parent.reason);
      target.abort(parent.reason);
    });
  }
  try {
    result.then(
      (value) => {
        settle(call);
        if (open) {
          open = false;
          onValue(value);
        }
      },
      (error: unknown) => {
        settle(call);
        reject(error);
      },
    );
  } catch (e) {
    // A hostile thenable whose `then` throws: settle now so the timer does not dangle.
    settle(call);
    reject(e);
  }
}

/** One pending call: what its timer and parent link need, in one object (no per-call closures for them). */
interface Call {
  readonly controller: AbortTarget;
  readonly reject: (e: unknown) => void;
  timer: ReturnType<typeof setTimeout> | undefined;
  unlink: (() => void) | undefined;
  readonly ms: number;
  readonly describe: (() => string) | undefined;
}

function settle(call: Call): void {
  clearTimeout(call.timer);
  call.unlink?.();
}

function onTimeout(call: Call): void {
  call.unlink?.();
  const err = new TroupeError('TROUPE_AGENT_TIMEOUT', `${describeSafely(call.describe)} timed out after ${call.ms}ms`, {
    data: { timeoutMs: call.ms },
  });
  call.reject(err);
  call.controller.abort(err);
}

function describeSafely(describe: (() => string) | undefined): string {
  if (describe === undefined) return 'call';
  try {
    return describe();
  } catch {
    return 'call'; // this runs in a timer callback: a throw here would be uncaught
  }
}

function isThenable<T>(v: T | PromiseLike<T>): v is PromiseLike<T> {
  return (typeof v === 'object' || typeof v === 'function') && v !== null && typeof (v as { then?: unknown }).then === 'function';
}
