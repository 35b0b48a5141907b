import { TroupeError, isTroupeError, toErrorValue, type ErrorValue } from '../errors/index.js';
import { importModule } from '../util/index.js';
import { decodePayload, encodePayload, OUTPUT_ENCODING, type Encoded } from './codec.js';
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
  /** Resolved task functions by `module#export`: the per-task path needs no await. */
  readonly #fns = new Map<string, TaskFn>();
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

  /** Run one task to its reply; never throws or rejects. A synchronous task is answered synchronously. */
  run(msg: TaskMessage, hooks: RunnerHooks): RunnerOutcome | Promise<RunnerOutcome> {
    this.count++;
    const fn = this.#fns.get(msg.module + '#' + msg.exportName);
    if (fn !== undefined) return this.#execute(fn, msg, hooks);
    return this.#resolve(msg).then(
      (f) => this.#execute(f, msg, hooks),
      (e: unknown) =>
        failure(isTroupeError(e) ? toErrorValue(e) : { code: 'TROUPE_MODULE_LOAD_FAILED', message: `cannot load worker module ${msg.module}: ${messageOf(e)}`, data: { module: msg.module } }),
    );
  }

  #execute(execute: TaskFn, msg: TaskMessage, hooks: RunnerHooks): RunnerOutcome | Promise<RunnerOutcome> {
    hooks.started();
    const ctx = new TaskContext(msg, hooks, Date.now() + msg.timeoutMs);
    let result: unknown;
    try {
      const input = decodePayload(msg.payload);
      // Cancelled (or timed out) while it waited for this worker to start: do not begin.
      ctx.throwIfAborted();
      result = execute(input, ctx);
    } catch (e) {
      return failure(toErrorValue(e));
    }
    if (!isThenable(result)) return reply(ctx, result);
    return watch(result, ctx).then(
      (output) => reply(ctx, output),
      (e: unknown) => failure(toErrorValue(e)),
    );
  }

  async #resolve(msg: TaskMessage): Promise<TaskFn> {
    const mod = await this.preload(msg.module);
    const fn = mod[msg.exportName] ?? (msg.exportName === 'execute' ? mod['default'] : undefined);
    if (typeof fn !== 'function') {
      throw new TroupeError('TROUPE_MODULE_LOAD_FAILED', `worker module ${msg.module} has no function export "${msg.exportName}"${msg.exportName === 'execute' ? ' (nor a default export)' : ''}`, {
        data: { module: msg.module, export: msg.exportName },
      });
    }
    this.#fns.set(msg.module + '#' + msg.exportName, fn as TaskFn);
    return fn as TaskFn;
  }
}

type TaskFn = (input: unknown, ctx: WorkerContext) => unknown;

/**
 * What a task's `execute` gets. Its AbortController is created on first read of `signal`: a
 * synchronous task that only calls `throwIfAborted` costs no controller.
 */
class TaskContext implements WorkerContext {
  #controller: AbortController | null = null;
  #reason: TroupeError | null = null;

  constructor(
    private readonly msg: TaskMessage,
    private readonly hooks: RunnerHooks,
    readonly deadline: number,
  ) {}

  get signal(): AbortSignal {
    if (this.#controller === null) {
      this.#controller = new AbortController();
      if (this.#reason !== null) this.#controller.abort(this.#reason);
    }
    return this.#controller.signal;
  }

  get attempt(): number {
    return this.msg.attempt;
  }
  get runId(): string {
    return this.msg.runId;
  }
  get stepId(): string {
    return this.msg.stepId;
  }
  get idempotencyKey(): string {
    return this.msg.idempotencyKey;
  }
  get feedback(): unknown {
    return this.msg.feedback;
  }

  /** The reason to stop, once there is one (deadline passed, timed out or cancelled by the pool). */
  check(): TroupeError | null {
    if (this.#reason !== null) return this.#reason;
    const flag = this.hooks.abortRequested();
    if (flag === 2) this.#abort(new TroupeError('TROUPE_RUN_CANCELLED', `${this.#describe()} was cancelled`));
    else if (flag === 1 || Date.now() >= this.deadline) this.#abort(this.timeoutError());
    return this.#reason;
  }

  throwIfAborted(): void {
    const reason = this.check();
    if (reason !== null) throw reason;
  }

  timeoutError(): TroupeError {
    return new TroupeError('TROUPE_AGENT_TIMEOUT', `worker task for ${this.#describe()} timed out after ${this.msg.timeoutMs}ms`, { data: { timeoutMs: this.msg.timeoutMs } });
  }

  #abort(reason: TroupeError): void {
    this.#reason = reason;
    this.#controller?.abort(reason);
  }

  #describe(): string {
    return `step ${this.msg.stepId} of run ${this.msg.runId}`;
  }
}

/** Encode a task's output; one that arrives after the deadline is a timeout, as it is for an inline agent. */
function reply(ctx: TaskContext, output: unknown): RunnerOutcome {
  if (Date.now() > ctx.deadline) return failure(toErrorValue(ctx.timeoutError()));
  let encoded: Encoded;
  try {
    encoded = encodePayload(output, OUTPUT_ENCODING);
  } catch (e) {
    return failure({ code: 'TROUPE_AGENT_OUTPUT_INVALID', message: `output of worker task for step ${ctx.stepId} of run ${ctx.runId} cannot be sent back: ${messageOf(e)}` });
  }
  return { reply: { ok: true, payload: encoded.payload }, transfer: encoded.transfer };
}

/** Await `p`, aborting the task's signal at its deadline or on a cancellation request; the task gets a chance to honour it. */
function watch(p: PromiseLike<unknown>, ctx: TaskContext): Promise<unknown> {
  return new Promise((resolve, reject) => {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const arm = (): void => {
      timer = setTimeout(tick, Math.max(0, Math.min(ABORT_POLL_MS, ctx.deadline - Date.now())));
    };
    const tick = (): void => {
      const reason = ctx.check();
      // The task has its signal; if it ignores it, the pool terminates this worker.
      if (reason !== null) reject(reason);
      else arm();
    };
    arm();
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
