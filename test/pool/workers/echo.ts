import { threadId } from 'node:worker_threads';
import type { WorkerContext } from '../../../src/index.js';

/** Echoes its input with where it ran; `sleepMs` waits (honouring the signal); `spinMs` burns CPU. */
export async function execute(input: { value?: unknown; sleepMs?: number; spinMs?: number }, ctx: WorkerContext): Promise<unknown> {
  if (input.spinMs) {
    const end = Date.now() + input.spinMs;
    while (Date.now() < end) ctx.throwIfAborted();
  }
  if (input.sleepMs) {
    await new Promise<void>((resolve, reject) => {
      const t = setTimeout(resolve, input.sleepMs);
      ctx.signal.addEventListener('abort', () => (clearTimeout(t), reject(ctx.signal.reason)), { once: true });
    });
  }
  return { value: input.value, threadId, pid: process.pid, attempt: ctx.attempt, stepId: ctx.stepId };
}
