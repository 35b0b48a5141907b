import type { ErrorValue, RunHandle } from '../../src/index.js';

/** A promise with its resolve/reject exposed: how tests wait for an event without sleeping. */
export interface Deferred<T = void> {
  readonly promise: Promise<T>;
  resolve(value: T): void;
  reject(error: unknown): void;
}

export function deferred<T = void>(): Deferred<T> {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/** A small deterministic PRNG (mulberry32) in [0, 1). */
export function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Let pending promise callbacks and I/O callbacks run (a turn of the event loop, not a sleep). */
export function turn(times = 1): Promise<void> {
  let p = Promise.resolve();
  for (let i = 0; i < times; i++) p = p.then(() => new Promise<void>((r) => setImmediate(r)));
  return p;
}

/** The step error a failed run ended with (`TROUPE_RUN_FAILED`'s `data.error`), or the error itself. */
export async function failureOf(run: RunHandle): Promise<{ code: string; runCode: string; error: ErrorValue; message: string }> {
  try {
    const out = await run.result();
    throw new Error(`expected run ${run.id} to fail, but it completed with ${JSON.stringify(out)}`);
  } catch (e) {
    const err = e as { code: string; message: string; data?: { error?: ErrorValue } };
    if (err.code === undefined) throw e;
    const error = err.data?.error ?? { code: err.code, message: err.message };
    return { code: error.code, runCode: err.code, error, message: error.message };
  }
}

/** The error a promise rejects with (fails the test when it resolves). */
export async function rejectionOf(p: Promise<unknown> | (() => unknown)): Promise<{ code: string; message: string; data?: any }> {
  try {
    await (typeof p === 'function' ? p() : p);
  } catch (e) {
    return e as { code: string; message: string; data?: any };
  }
  throw new Error('expected a rejection');
}

/** Resolve when `predicate` holds, checking after each event-loop turn (bounded by `maxMs` of wall time). */
export async function until(predicate: () => boolean, what: string, maxMs = 5_000): Promise<void> {
  const deadline = Date.now() + maxMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await turn();
  }
}
