import { TroupeError } from '../errors/index.js';
import { MAX_TIMER_MS } from './timeout.js';
import type { AgentContext, CorrectionFeedback } from './types.js';

/**
 * The context of one call. Its `signal` is created on first read: an agent that never looks at
 * it (a fast synchronous agent) costs no AbortController, no listener and no timer.
 */
class CallContext implements AgentContext {
  #controller: AbortController | null = null;
  #reason: unknown = undefined;

  constructor(
    readonly attempt: number,
    readonly runId: string,
    readonly stepId: string,
    readonly idempotencyKey: string,
    readonly instance: number,
    readonly state: unknown,
    readonly feedback: CorrectionFeedback | undefined,
    private readonly parent: AbortSignal | undefined,
  ) {}

  get signal(): AbortSignal {
    if (this.#controller === null) {
      this.#controller = new AbortController();
      if (this.#reason !== undefined) this.#controller.abort(this.#reason);
      else if (this.parent?.aborted) this.#controller.abort(this.parent.reason);
    }
    return this.#controller.signal;
  }

  abort(reason: unknown): void {
    this.#reason ??= reason;
    this.#controller?.abort(reason);
  }
}

/** What an invocation needs besides the function. */
export interface InvokeInfo {
  readonly attempt: number;
  readonly runId: string;
  readonly stepId: string;
  readonly idempotencyKey: string;
  readonly instance: number;
  readonly state: unknown;
  readonly feedback: CorrectionFeedback | undefined;
  readonly timeoutMs: number;
  readonly signal: AbortSignal | undefined;
}

/**
 * Call an agent's `execute` with a deadline and cancellation. A synchronous result returns at
 * once; for a promise, one timer and one parent listener are armed and removed on settle. On
 * timeout the context's signal aborts with `TROUPE_AGENT_TIMEOUT`.
 */
export function invoke(
  execute: (input: unknown, ctx: AgentContext) => unknown,
  input: unknown,
  info: InvokeInfo,
  describe: () => string,
): Promise<unknown> {
  const parent = info.signal;
  if (parent?.aborted) return Promise.reject(parent.reason);
  const ctx = new CallContext(info.attempt, info.runId, info.stepId, info.idempotencyKey, info.instance, info.state, info.feedback, parent);
  let result: unknown;
  try {
    result = execute(input, ctx);
  } catch (e) {
    return Promise.reject(e);
  }
  if (!isThenable(result)) return Promise.resolve(result);
  const ms = info.timeoutMs;
  return new Promise((resolve, reject) => {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const onAbort = (): void => {
      clearTimeout(timer);
      ctx.abort(parent!.reason);
      reject(parent!.reason);
    };
    if (ms < Infinity) {
      timer = setTimeout(
        () => {
          parent?.removeEventListener('abort', onAbort);
          const err = new TroupeError('TROUPE_AGENT_TIMEOUT', `${describe()} timed out after ${ms}ms`, { data: { timeoutMs: ms } });
          ctx.abort(err);
          reject(err);
        },
        Math.min(ms, MAX_TIMER_MS),
      );
    }
    parent?.addEventListener('abort', onAbort, { once: true });
    (result as PromiseLike<unknown>).then(
      (v) => {
        clearTimeout(timer);
        parent?.removeEventListener('abort', onAbort);
        resolve(v);
      },
      (e: unknown) => {
        clearTimeout(timer);
        parent?.removeEventListener('abort', onAbort);
        reject(e);
      },
    );
  });
}

function isThenable(v: unknown): v is PromiseLike<unknown> {
  return v !== null && (typeof v === 'object' || typeof v === 'function') && typeof (v as { then?: unknown }).then === 'function';
}
