import { toErrorValue, type ErrorValue } from '../errors/index.js';
import type { CompiledStep } from './compile.js';
import { STORED, type ContextView } from './context.js';
import { Cancellation } from '../util/index.js';
import { callOnce, startCall, type CallDone, type StepHost } from './step-runner.js';

/** What fan-out needs from its run: record a call's result. */
export interface FanOutHost extends StepHost {
  /** Record a call's result: resolves when the store has it; {@link STORED} when it has it already. */
  recordCall(stepKey: string, r: CallDone & { ok: true }): Promise<void> | typeof STORED;
}

/** Branches and items already recorded (recovery): they are not run again. */
export interface FanOutDone {
  readonly branches: readonly string[];
  readonly items: readonly number[];
}

/** A fan-out step's end: its output (from the log), or the first failure. */
export type FanOutResult = { readonly ok: true } | { readonly ok: false; readonly error: ErrorValue };

/**
 * Run a parallel step's branches at once and join them. Each branch is recorded as `step.branch`
 * the moment it completes; the first failure aborts the others (through their signal).
 */
export function runParallel(host: FanOutHost, step: CompiledStep, view: ContextView, skip?: FanOutDone): Promise<FanOutResult> {
  return new Promise<FanOutResult>((resolve) => startParallel(host, step, view, resolve, skip));
}

/**
 * {@link runParallel} on callbacks (the branches' calls and, on the in-memory store, their
 * records too): the per-step path of a parallel step, with no promise of its own.
 */
export function startParallel(host: FanOutHost, step: CompiledStep, view: ContextView, done: (r: FanOutResult) => void, skip?: FanOutDone): void {
  const branches = skip ? step.branches.filter((b) => !skip.branches.includes(b.name)) : step.branches;
  let left = branches.length;
  if (left === 0) return done({ ok: true });
  // The first failure cancels the other branches.
  const controller = new Cancellation(host.signal);
  let failure: ErrorValue | null = null;
  const settle = (): void => {
    if (--left > 0) return;
    controller.dispose();
    done(failure ? { ok: false, error: failure } : { ok: true });
  };
  const broke = (e: unknown): void => {
    failure ??= errorOf(e);
    controller.abort(failure);
    settle();
  };
  for (const b of branches) {
    const key = `${step.id}.${b.name}`;
    const call = (input: unknown): void => {
      try {
        startCall(host, key, b, input, undefined, controller, view, (r) => {
          if (failure) return settle();
          if (!r.ok) {
            failure = r.error;
            controller.abort(r.error);
            return settle();
          }
          let written;
          try {
            written = host.recordCall(key, r);
          } catch (e) {
            return broke(e);
          }
          if (written === STORED) settle();
          else written.then(settle, broke);
        }, broke);
      } catch (e) {
        broke(e);
      }
    };
    if (b.input === null) call(view);
    else b.input.evaluate(view).then(call, broke);
  }
}

/**
 * Dynamic fan-out: one call per item of `map.items`, at most `map.concurrency` at once, each
 * recorded as `step[i]`. The first failure stops new items and aborts those in flight.
 */
export async function runMap(host: FanOutHost, step: CompiledStep, view: ContextView, skip?: FanOutDone): Promise<FanOutResult & { items?: number }> {
  const spec = step.map!;
  const items = await spec.items.evaluate(view);
  if (!Array.isArray(items)) {
    return {
      ok: false,
      error: { code: 'TROUPE_EXPRESSION_FAILED', message: `step ${step.id}: map.items must be an array, got ${typeof items}`, data: { path: `/steps/${step.id}/map/items` } },
    };
  }
  let next = 0;
  let failure: ErrorValue | null = null;
  const controller = new Cancellation(host.signal);
  const lane = async (): Promise<void> => {
    while (failure === null && next < items.length) {
      const i = next++;
      if (skip?.items.includes(i)) continue;
      const key = `${step.id}[${i}]`;
      const input = spec.input === null ? items[i] : await spec.input.evaluate({ ...view, item: items[i], index: i });
      const r = await callOnce(host, key, spec, input, undefined, controller);
      if (!r.ok) {
        failure ??= r.error;
        controller.abort(r.error);
        return;
      }
      await host.recordCall(key, r);
    }
  };
  const lanes = Math.max(1, Math.min(spec.concurrency, items.length));
  await Promise.all(Array.from({ length: lanes }, () => lane().catch((e: unknown) => void (failure ??= errorOf(e)))));
  controller.dispose();
  return failure ? { ok: false, error: failure } : { ok: true, items: items.length };
}

/** Any thrown value as an error value (a troupe code kept; anything else fails the run). */
export function errorOf(e: unknown): ErrorValue {
  return toErrorValue(e, 'TROUPE_RUN_FAILED');
}
