/**
 * The main module of a process pool's child (see process-pool.ts). It imports the modules named on
 * its command line, reports `ready`, then runs one task at a time with a {@link TaskRunner},
 * talking to the pool over Node's IPC channel (advanced serialization). The child holds only what
 * its tasks send it: no runtime, no store, no other run's data.
 */
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ErrorValue } from '../errors/index.js';
import { toErrorValue } from '../errors/index.js';
import { TaskRunner } from './task-runner.js';
import type { TaskMessage, TaskReply } from './types.js';

/** Abort codes a pool sends (the same values as the thread pool's slot table: 1 timed out, 2 cancelled). */
export type AbortCode = 1 | 2;

/** What a process pool sends its child. */
export type ParentMessage =
  /** Run a task (the child runs one at a time). */
  | { readonly t: 'task'; readonly id: number; readonly msg: TaskMessage }
  /** Ask the running task `id` to stop: its signal aborts, `throwIfAborted` throws. */
  | { readonly t: 'abort'; readonly id: number; readonly code: AbortCode };

/** What a child sends its process pool. */
export type ChildMessage =
  /** Every preloaded module imported: the child takes tasks. */
  | { readonly t: 'ready'; readonly pid: number }
  /** A preloaded module failed to load; the child exits after this. */
  | { readonly t: 'startup-failed'; readonly error: ErrorValue }
  /** Task `id` starts running now (its deadline counts from here). */
  | { readonly t: 'started'; readonly id: number }
  /** Task `id`'s answer. */
  | { readonly t: 'reply'; readonly id: number; readonly reply: TaskReply };

/** Exit code of a child whose preload failed (it reported why in a `startup-failed` message first). */
const STARTUP_FAILED_EXIT_CODE = 70;

// Runs only as a forked child's main module: the pool imports nothing but the types above.
if (process.send !== undefined && process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) void main(process.argv.slice(2));

async function main(preload: readonly string[]): Promise<void> {
  // The parent died or let go of us: leave no orphan behind. (A task stuck in a synchronous loop
  // sees this only when it yields; the pool kills such a child at the task's hard deadline.)
  process.on('disconnect', () => process.exit(0));
  // A terminal's Ctrl-C reaches the whole process group: the pool, not the terminal, decides when
  // its children stop (its shutdown gives running tasks their grace, then kills them).
  process.on('SIGINT', () => undefined);
  const runner = new TaskRunner();
  try {
    for (const m of preload) await runner.preload(m);
  } catch (e) {
    const error = toErrorValue(e, 'TROUPE_MODULE_LOAD_FAILED');
    send({ t: 'startup-failed', error: { code: error.code, message: `cannot load ${preload.join(', ')}: ${error.message}` } }, () => process.exit(STARTUP_FAILED_EXIT_CODE));
    return;
  }

  let current: { id: number; abort: number } | null = null;
  const queue: { id: number; msg: TaskMessage }[] = [];
  const runNext = async (): Promise<void> => {
    while (current === null && queue.length > 0) {
      const { id, msg } = queue.shift()!;
      const task = { id, abort: 0 };
      current = task;
      const { reply } = await runner.run(msg, {
        started: () => send({ t: 'started', id }),
        abortRequested: () => task.abort,
      });
      current = null;
      send({ t: 'reply', id, reply }, undefined, () =>
        // The reply could not be serialized (an `error.data` the runner let through): answer without it.
        send({ t: 'reply', id, reply: reply.ok ? { ok: false, error: { code: 'TROUPE_AGENT_OUTPUT_INVALID', message: 'output cannot be sent back to the pool' } } : { ok: false, error: { code: reply.error.code, message: reply.error.message } } }),
      );
    }
  };

  process.on('message', (m: ParentMessage) => {
    if (m?.t === 'task') {
      // The pool sends one task at a time; a second one waits rather than run concurrently.
      queue.push({ id: m.id, msg: m.msg });
      void runNext();
    } else if (m?.t === 'abort' && current?.id === m.id) {
      current.abort = m.code;
    }
  });
  send({ t: 'ready', pid: process.pid });
}

/**
 * Send `m` to the pool. `onSent` runs once it is written; `onUnsendable` when it cannot be
 * serialized. A closed channel is not an error here: the 'disconnect' handler exits.
 */
function send(m: ChildMessage, onSent?: () => void, onUnsendable?: () => void): void {
  try {
    process.send!(m, undefined, undefined, () => onSent?.());
  } catch {
    onUnsendable?.();
  }
}
