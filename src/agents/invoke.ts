import type { Cancellable } from '../util/index.js';
import { guard } from './timeout.js';
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
    private readonly parent: Cancellable | undefined,
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
  readonly signal: Cancellable | undefined;
}

/**
 * Call an agent's `execute` with a deadline and cancellation (see `guard`). A synchronous result
 * is delivered at once (synchronously, no promise); on timeout the context's signal aborts with
 * `TROUPE_AGENT_TIMEOUT`. Exactly one of `onValue` / `onError` is called.
 */
export function invoke(
  execute: (input: unknown, ctx: AgentContext) => unknown,
  input: unknown,
  info: InvokeInfo,
  describe: () => string,
  onValue: (output: unknown) => void,
  onError: (error: unknown) => void,
): void {
  const ctx = new CallContext(info.attempt, info.runId, info.stepId, info.idempotencyKey, info.instance, info.state, info.feedback, info.signal);
  guard(() => execute(input, ctx), ctx, info.timeoutMs, info.signal, describe, onValue, onError);
}
