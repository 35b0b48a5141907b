import type { AnyActorRef } from 'xstate';
import type { Dispatcher, PolicyName } from '../agents/index.js';
import { TroupeError, type ErrorValue, fromErrorValue } from '../errors/index.js';
import { FINISHED_STATUSES, type RunStatus, type Store } from '../store/index.js';
import type { CompiledWorkflow } from './compile.js';
import type { RunCore } from './run.js';
import type { ResponseCache } from './response-cache.js';
import type { RunEvent } from './types.js';

/** What a run needs from the runtime. */
export interface RunEnv {
  readonly dispatcher: Dispatcher;
  readonly store: Store;
  readonly now: () => number;
  readonly policy: PolicyName;
  readonly autoApprove: boolean;
  /** The parent of root run actors (they share its actor system); null makes each run a root actor. */
  readonly runs: AnyActorRef | null;
  /** Runtime-wide event sink (metrics, inspector); null when nobody listens. */
  readonly emit: ((event: RunEvent) => void) | null;
  /** Some runtime-wide listener wants each step's routine events ({@link isPerStepEvent}): only then are they built. */
  readonly perStep: boolean;
  /** A run finished (completed, failed or cancelled). */
  finished(run: RunCore): void;
  /** Create a child run for a `workflow:` step. */
  child(parent: RunCore, step: string, wf: CompiledWorkflow, input: unknown): RunCore;
  /** The response cache and an agent's TTL in it, or `null` when the agent is not idempotent. */
  cacheFor(agentId: string): { readonly cache: ResponseCache; readonly ttlMs: number } | null;
}

export const FINISHED: ReadonlySet<RunStatus> = new Set(FINISHED_STATUSES);

/** The error a run's `result()` rejects with. */
export function runError(run: Pick<RunCore, 'id' | 'workflow'>, status: RunStatus, error: ErrorValue): TroupeError {
  if (status === 'cancelled') return new TroupeError('TROUPE_RUN_CANCELLED', error.message, { data: { runId: run.id } });
  return new TroupeError('TROUPE_RUN_FAILED', `run ${run.id} (${run.workflow}) failed: ${error.code}: ${error.message}`, {
    cause: fromErrorValue(error),
    data: { runId: run.id, error },
  });
}

/** One of a step's routine events, which runtime-wide listeners get only when they ask for them (`RunListenOptions.perStep`). */
export function isPerStepEvent(e: RunEvent): boolean {
  return e.type === 'step.completed' || e.type === 'entry.appended' || (e.type === 'step.started' && e.attempt === 1);
}

/** Call a listener; a throw is swallowed (listeners must not break a run). */
export function safely<E>(listener: (event: E) => void, event: E): void {
  try {
    listener(event);
  } catch {
    // ignored: see above
  }
}
