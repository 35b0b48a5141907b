/**
 * The Piscina worker of a thread pool. Piscina calls the default export once per task; the shared
 * slot table carries the task's start stamp and abort requests (see slots.ts).
 */
import { parentPort, threadId, workerData } from 'node:worker_threads';
import { move, transferableSymbol, valueSymbol } from 'piscina';
import { SlotTable } from './slots.js';
import { TaskRunner, type RunnerOutcome } from './task-runner.js';
import type { TaskMessage } from './types.js';

/** What a thread pool hands its workers at start-up. */
export interface ThreadWorkerData {
  readonly slots: SharedArrayBuffer;
  readonly epoch: number;
  /** Modules to import before the worker reports ready: one that throws on load fails start-up. */
  readonly preload: readonly string[];
}

/** The message a worker posts once it is ready (through Piscina's 'message' event). */
export interface ReadyMessage {
  readonly troupe: 'ready';
  readonly threadId: number;
}

const data = workerData as ThreadWorkerData;
const table = new SlotTable(data.slots, data.epoch);
const runner = new TaskRunner();

// Not a top-level await: Piscina loads this file through require() first, and tsx cannot require a
// module with top-level await. A module that fails here fails every task before it starts, which
// the pool counts as a start-up failure.
let preloaded = false;
const ready = Promise.all(data.preload.map((m) => runner.preload(m))).then(() => {
  preloaded = true;
  parentPort?.postMessage({ troupe: 'ready', threadId } satisfies ReadyMessage);
});
ready.catch(() => undefined);

/** Run one task. The reply's bytes (large payloads) are transferred, not copied. */
export default function runTask(msg: TaskMessage): unknown {
  if (!preloaded) return ready.then(() => runTask(msg));
  const slot = msg.slot;
  const outcome = runner.run(msg, {
    started: () => table.markStarted(slot, threadId),
    abortRequested: () => table.abortRequested(slot),
  });
  return outcome instanceof Promise ? outcome.then((o) => answer(slot, o)) : answer(slot, outcome);
}

function answer(slot: number, { reply, transfer }: RunnerOutcome): unknown {
  table.markAnswered(slot);
  if (transfer.length === 0) return reply;
  return move({ [transferableSymbol]: transfer, [valueSymbol]: reply } as never);
}
