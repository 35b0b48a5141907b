import type { WorkerContext } from '../../../src/index.js';

/** Ignores its signal forever. */
export function spin(): never {
  for (;;) {
    // an infinite loop that never looks at its signal
  }
}

/** Allocates until its heap is exhausted. */
export function hog(): unknown {
  const keep: unknown[] = [];
  for (;;) keep.push({ a: Math.random(), b: 'x'.repeat(64) + keep.length, c: [keep.length] });
}

/** Exits its worker. */
export function exit(input: { code?: number }): unknown {
  process.exit(input.code ?? 3);
}

/** Throws something that is not an Error. */
export function throwValue(): unknown {
  throw 42;
}

/** Throws a typed error with data. */
export function throwTyped(): unknown {
  throw Object.assign(new Error('policy says no'), { code: 'TROUPE_AGENT_FAILED', data: { rule: 7 } });
}

/** Returns something that cannot cross a thread boundary. */
export function unclonable(): unknown {
  return { f: () => 1 };
}

/** Honours its signal: waits until aborted. */
export function waitForAbort(_input: unknown, ctx: WorkerContext): Promise<unknown> {
  return new Promise((_resolve, reject) => ctx.signal.addEventListener('abort', () => reject(ctx.signal.reason), { once: true }));
}
