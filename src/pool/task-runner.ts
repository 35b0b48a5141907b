import { TroupeError, isTroupeError, toErrorValue, type ErrorValue } from '../errors/index.js';
import { importModule } from '../util/index.js';
import { decodePayload, encodePayload, type Encoded } from './codec.js';
import type { TaskMessage, TaskReply, WorkerContext } from './types.js';

/** What the worker side of a pool tells the runner (thread: the shared slot table; process: IPC). */
export interface RunnerHooks {
  /** The task starts running now. */
  started(): void;
  /** 0 = go on; 1 = timed out; 2 = cancelled. */
  abortRequested(): number;
}

/** A worker's answer and the buffers to transfer with it. */
export interface RunnerOutcome {
  readonly reply: TaskReply;
  readonly transfer: ArrayBuffer[];
}

/** How often a pending asynchronous task looks at the abort flag (cancellation from the pool). */
const ABORT_POLL_MS = 50;

/**
 * Loads worker modules and runs tasks inside a worker thread or child process. One per worker;
 * the module cache is per worker, so a module's top-level state is shared by the tasks of that
 * worker only — never by the runtime or by other runs' contexts.
 */
export class TaskRunner {
  readonly #modules = new Map<string, Promise<Record<string, unknown>>>();
  /** Tasks this worker ran (for recycling). */
  count = 0;

  /** Import a module ahead of its first task (start-up), so a module that throws on load fails the worker early. */
  preload(module: string): Promise<Record<string, unknown>> {
    let p = this.#modules.get(module);
    if (!p) {
      p = importModule(module);
      this.#modules.set(module, p);
      p.catch(() => this.#modules.delete(module));
    }
    return p;
  }

  /** Run one task to its reply; never rejects. */
  async run(msg: TaskMessage, hooks: RunnerHooks): Promise<RunnerOutcome> {
    this.count++;
    let execute: (input: unknown, ctx: WorkerContext) => unknown;
    try {
      execute = await this.#resolve(msg);
    } catch (e) {
      return failure(isTroupeError(e) ? toErrorValue(e) : { code: 'TROUPE_MODULE_LOAD_FAILED', message: `cannot load worker module ${msg.module}: ${messageOf(e)}`, data: { module: msg.module } });
    }
    hooks.started();
    const startedAt = Date.now();
    const deadline = startedAt + msg.timeoutMs;
    const ac = new AbortController();
    const describe = `step ${msg.stepId} of run ${msg.runId}`;
    const timeoutError = (): TroupeError =>
      new TroupeError('TROUPE_AGENT_TIMEOUT', `worker task for ${describe} timed out after ${msg.timeoutMs}ms`, { data: { timeoutMs: msg.timeoutMs } });
    const check = (): void => {
      if (ac.signal.aborted) return;
      const flag = hooks.abortRequested();
      if (flag === 2) ac.abort(new TroupeError('TROUPE_RUN_CANCELLED', `${describe} was cancelled`));
      else if (flag === 1 || Date.now() >= deadline) ac.abort(timeoutError());
    };
    const ctx: WorkerContext = {
      signal: ac.signal,
      deadline,
      throwIfAborted() {
        check();
        ac.signal.throwIfAborted();
      },
      attempt: msg.attempt,
      runId: msg.runId,
      stepId: msg.stepId,
      idempotencyKey: msg.idempotencyKey,
      feedback: msg.feedback,
    };
    let output: unknown;
    try {
      const input = decodePayload(msg.payload);
      // Cancelled (or timed out) while it waited for this worker to start: do not begin.
      ctx.throwIfAborted();
      let result = execute(input, ctx);
      if (isThenable(result)) result = await watch(result, ac, check, deadline, timeoutError);
      output = result;
    } catch (e) {
      return failure(toErrorValue(e));
    }
    // A result that arrives after the deadline is a timeout, as it is for an inline agent.
    if (Date.now() > deadline) return failure(toErrorValue(timeoutError()));
    let encoded: Encoded;
    try {
      encoded = encodePayload(output);
    } catch (e) {
      return failure({ code: 'TROUPE_AGENT_OUTPUT_INVALID', message: `output of worker task for ${describe} cannot be sent back: ${messageOf(e)}` });
    }
    return { reply: { ok: true, payload: encoded.payload }, transfer: encoded.transfer };
  }

  async #resolve(msg: TaskMessage): Promise<(input: unknown, ctx: WorkerContext) => unknown> {
    const mod = await this.preload(msg.module);
    const fn = mod[msg.exportName] ?? (msg.exportName === 'execute' ? mod['default'] : undefined);
    if (typeof fn !== 'function') {
      throw new TroupeError('TROUPE_MODULE_LOAD_FAILED', `worker module ${msg.module} has no function export "${msg.exportName}"${msg.exportName === 'execute' ? ' (nor a default export)' : ''}`, {
        data: { module: msg.module, export: msg.exportName },
      });
    }
    return fn as (input: unknown, ctx: WorkerContext) => unknown;
  }
}

/** Await `p`, aborting `ac` at the deadline or on a cancellation request; the task gets a chance to honour its signal. */
function watch(p: PromiseLike<unknown>, ac: AbortController, check: () => void, deadline: number, timeoutError: () => TroupeError): Promise<unknown> {
  return new Promise((resolve, reject) => {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const tick = (): void => {
      check();
      if (ac.signal.aborted) {
        // The task has its signal; if it ignores it, the pool terminates this worker.
        if ((ac.signal.reason as { code?: string } | undefined)?.code === 'TROUPE_AGENT_TIMEOUT') reject(timeoutError());
        else reject(ac.signal.reason);
        return;
      }
      timer = setTimeout(tick, Math.max(0, Math.min(ABORT_POLL_MS, deadline - Date.now())));
    };
    timer = setTimeout(tick, Math.max(0, Math.min(ABORT_POLL_MS, deadline - Date.now())));
    p.then(
      (v) => {
        clearTimeout(timer);
        resolve(v);
      },
      (e: unknown) => {
        clearTimeout(timer);
        reject(e);
      },
    );
  });
}

function failure(error: ErrorValue): RunnerOutcome {
  return { reply: { ok: false, error: cloneable(error) }, transfer: [] };
}

/** An error crosses the boundary as `{code, message, data}`; `data` that cannot be cloned is dropped. */
function cloneable(error: ErrorValue): ErrorValue {
  if (error.data === undefined) return error;
  try {
    structuredClone(error.data);
    return error;
  } catch {
    return { code: error.code, message: error.message };
  }
}

function messageOf(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

function isThenable(v: unknown): v is PromiseLike<unknown> {
  return (typeof v === 'object' || typeof v === 'function') && v !== null && typeof (v as { then?: unknown }).then === 'function';
}
