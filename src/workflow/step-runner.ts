import type { Cancellable } from '../util/index.js';
import type { CallRequest, CallResult, Dispatcher, CorrectionFeedback, ValidationIssue } from '../agents/index.js';
import type { ErrorValue } from '../errors/index.js';
import type { CompiledCall, CompiledStep } from './compile.js';
import type { ContextView } from './context.js';
import type { ResponseCache } from './response-cache.js';
import { truthy } from './routing.js';

/** The part of a run a step runner needs. */
export interface StepHost {
  readonly runId: string;
  readonly dispatcher: Dispatcher;
  readonly signal: Cancellable;
  readonly policy: CallRequest['policy'];
  idempotencyKey(step: string): string;
  started(step: string, agent: string, attempt: number): void;
  /** The response cache and an agent's TTL in it, or `null` when calls to it are not cached. */
  cacheFor(agentId: string): { readonly cache: ResponseCache; readonly ttlMs: number } | null;
}

/** What one call produced. `input` is `undefined` when the step took the whole view (no mapping). */
export type CallDone = CallResult & { readonly input: unknown; readonly durationMs: number };


/**
 * Make one call of a step (with its timeout, retries, breaker and fallback). Callback form, for
 * the per-step path: `done` gets what the call produced, `failed` an unexpected throw.
 */
export function startCall(
  host: StepHost,
  stepKey: string,
  call: CompiledCall,
  input: unknown,
  feedback: CorrectionFeedback | undefined,
  signal: Cancellable | undefined,
  view: unknown,
  done: (r: CallDone) => void,
  failed: (e: unknown) => void,
): void {
  const t0 = performance.now();
  const recorded = input === view ? undefined : input;
  const send = (finish: (r: CallDone) => void): void =>
    host.dispatcher.dispatch(
      {
        agent: call.agent,
        capability: call.capability,
        input,
        runId: host.runId,
        stepId: stepKey,
        idempotencyKey: host.idempotencyKey(stepKey),
        signal: signal ?? host.signal,
        timeoutMs: call.timeoutMs,
        retry: call.retry,
        feedback,
        policy: host.policy,
        onAttempt: (agent, attempt) => host.started(stepKey, agent, attempt),
      },
      (r) => {
        const durationMs = performance.now() - t0;
        finish(
          r.ok
            ? { ok: true, output: r.output, agent: r.agent, attempts: r.attempts, input: recorded, durationMs }
            : { ok: false, error: r.error, agent: r.agent, attempts: r.attempts, input: recorded, durationMs },
        );
      },
      failed,
    );
  // An idempotent agent named by id: a fresh cached response is the output (not on correction rounds).
  const cached = call.agent !== undefined && feedback === undefined ? host.cacheFor(call.agent) : null;
  if (cached === null) return send(done);
  const agentId = call.agent!;
  const key = cached.cache.key(agentId, input);
  cached.cache.get(key).then((hit) => {
    if (hit) return done({ ok: true, output: hit.output, agent: agentId, attempts: 0, input: recorded, durationMs: performance.now() - t0 });
    send((r) => {
      if (r.ok && r.agent === agentId) cached.cache.put(key, r.output, cached.ttlMs);
      done(r);
    });
  }, failed);
}

/** {@link startCall} as a promise. */
export function callOnce(
  host: StepHost,
  stepKey: string,
  call: CompiledCall,
  input: unknown,
  feedback?: CorrectionFeedback,
  signal?: Cancellable,
  view?: unknown,
): Promise<CallDone> {
  return new Promise<CallDone>((resolve, reject) => startCall(host, stepKey, call, input, feedback, signal, view, resolve, reject));
}

/**
 * Run a task step with callbacks. A step that takes the whole view and has no correction loop
 * (the common case) goes straight to the dispatcher; the rest goes through {@link runTask}.
 */
export function startTask(host: StepHost, step: CompiledStep, view: ContextView, done: (r: CallDone) => void, failed: (e: unknown) => void): void {
  const call = step.call!;
  if (call.input === null && step.correct === null) startCall(host, step.id, call, view, undefined, undefined, view, done, failed);
  else runTask(host, step, view).then(done, failed);
}

/**
 * Run a task step, with its self-correction loop when it has one: a rejected output (schema
 * or `check`) is handed back as `ctx.feedback` until it passes or `correct.max` attempts are spent.
 * A rejected output never reaches the context.
 */
export async function runTask(host: StepHost, step: CompiledStep, view: ContextView): Promise<CallDone> {
  const call = step.call!;
  let input = call.input === null ? view : await call.input.evaluate(view);
  const max = step.correct?.max ?? 1;
  let feedback: CorrectionFeedback | undefined;
  for (let round = 1; ; round++) {
    // A correction round's mapping sees the errors as `feedback` (documented in the format).
    if (feedback && call.input !== null) input = await call.input.evaluate({ ...view, feedback });
    const r = await callOnce(host, step.id, call, input, feedback, undefined, view);
    let issues: readonly ValidationIssue[] | null = null;
    let rejected: unknown;
    if (!r.ok) {
      if (r.error.code !== 'TROUPE_AGENT_OUTPUT_INVALID' || step.correct === null) return r;
      const data = r.error.data as { issues?: ValidationIssue[]; output?: unknown } | undefined;
      issues = data?.issues ?? [{ path: '/', message: r.error.message }];
      rejected = data?.output;
    } else if (step.correct?.check) {
      const ok = truthy(await step.correct.check.evaluate({ ...view, [step.id]: r.output }));
      if (ok) return r;
      issues = [{ path: '/', message: `check failed: ${step.correct.check.source}` }];
      rejected = r.output;
    } else {
      return r;
    }
    if (round >= max) {
      const error: ErrorValue = {
        code: 'TROUPE_AGENT_OUTPUT_INVALID',
        message: `step ${step.id}: output still rejected after ${round} attempt(s): ${issues.map((i) => `${i.path} ${i.message}`).join('; ')}`,
        data: { issues, output: rejected, rounds: round },
      };
      return { ok: false, error, agent: r.agent, attempts: r.attempts, input, durationMs: r.durationMs };
    }
    feedback = { attempt: round, errors: issues, previousOutput: rejected };
  }
}
