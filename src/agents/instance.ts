import type { ActorLogic, ActorRef, Snapshot } from 'xstate';
import { TroupeError, toErrorValue, type ErrorValue } from '../errors/index.js';
import type { TaskPool } from '../pool/index.js';
import { Cancellation, type Cancellable } from '../util/index.js';
import { invoke } from './invoke.js';
import type { Agent, AgentContext, CorrectionFeedback, InlineAgentDefinition } from './types.js';

/** One call of an agent, as a message in an instance's mailbox. */
export interface AgentCall {
  readonly input: unknown;
  readonly runId: string;
  readonly stepId: string;
  readonly idempotencyKey: string;
  readonly attempt: number;
  readonly timeoutMs: number;
  readonly signal: Cancellable | undefined;
  readonly feedback: CorrectionFeedback | undefined;
  readonly reply: (outcome: CallOutcome) => void;
}

/**
 * What an instance answers. `requeue` means the call never started (the instance crashed or
 * stopped first): the dispatcher routes it again without counting an attempt.
 */
export type CallOutcome =
  | { readonly ok: true; readonly output: unknown }
  | { readonly ok: false; readonly error: ErrorValue; readonly requeue?: boolean };

/** Messages an agent instance actor accepts. */
export type InstanceEvent =
  | { readonly type: 'call'; readonly call: AgentCall }
  | { readonly type: 'crash'; readonly error: ErrorValue };

/** The state of one life of an instance; a restart starts a new one. */
export interface Incarnation {
  inFlight: number;
  readonly queue: AgentCall[];
  /** False until `setup` has resolved. */
  ready: boolean;
  stopped: boolean;
  /** True while `drain` runs: a synchronous call finishing inside it must not drain again (recursion). */
  draining: boolean;
  state: unknown;
  /** Aborted when this life ends: setup's signal, and calls that came without their caller's. */
  readonly abort: Cancellation;
  /** This life's actor: where a crash is reported. */
  readonly self: ActorRef<any, InstanceEvent>;
}

/**
 * A stable slot for instance `index` of an agent: what the router reads. It survives
 * restarts; each actor life attaches its own `Incarnation` and `ref`.
 */
export interface InstanceSlot {
  readonly agent: Agent;
  readonly index: number;
  life: Incarnation | null;
  ref: ActorRef<any, InstanceEvent> | null;
  /** Restarts so far (observability). */
  restarts: number;
  /** Called each time a call finishes and frees mailbox room (the router wakes a waiter). */
  onRoom: ((agentId: string) => void) | null;
  /** A worker agent's pool, created on first use (null for an inline agent). */
  pool: LazyPool | null;
}

/** A pool created on first use: `peek` does not create it. */
export interface LazyPool {
  get(): TaskPool;
  peek(): TaskPool | null;
}

type InstanceSnapshot = Snapshot<undefined> & { readonly context: InstanceSlot };

const STOP = 'xstate.stop';

/** Create an empty slot for instance `index` of `agent`. */
export function createSlot(agent: Agent, index: number): InstanceSlot {
  return { agent, index, life: null, ref: null, restarts: 0, onRoom: null, pool: null };
}

/** Calls the slot can take now without exceeding its mailbox. */
export function hasRoom(slot: InstanceSlot): boolean {
  const life = slot.life;
  if (life === null || life.stopped || life.inFlight + life.queue.length >= slot.agent.concurrency + slot.agent.mailbox) return false;
  // A pool shared with other agents may be full even when this agent's own count is not.
  return slot.pool === null || (slot.pool.peek()?.hasRoom() ?? true);
}

/**
 * The actor logic of one agent instance: a long-lived actor that receives calls as messages,
 * runs at most `concurrency` at once and queues at most `mailbox` more. A crash (setup throws,
 * or `execute` throws a `TROUPE_AGENT_CRASHED` error) puts the actor in error state, which its
 * supervisor sees; ordinary failures are answered to the caller and leave the actor running.
 */
export const agentInstanceLogic: ActorLogic<InstanceSnapshot, InstanceEvent | { type: typeof STOP }, InstanceSlot> = {
  getInitialSnapshot(_scope, slot) {
    return { status: 'active', output: undefined, error: undefined, context: slot };
  },
  start(snapshot, scope) {
    const slot = snapshot.context;
    const life: Incarnation = {
      inFlight: 0,
      queue: [],
      ready: inline(slot.agent).setup === undefined,
      draining: false,
      stopped: false,
      state: undefined,
      abort: new Cancellation(),
      self: scope.self,
    };
    slot.life = life;
    slot.ref = scope.self;
    const setup = inline(slot.agent).setup;
    if (setup) {
      Promise.resolve()
        .then(() => setup({ instance: slot.index, signal: life.abort.signal }))
        .then(
          (state) => {
            if (life.stopped) return;
            life.state = state;
            life.ready = true;
            drain(slot, life);
          },
          (err: unknown) => {
            if (life.stopped) return;
            scope.self.send({ type: 'crash', error: crashValue(slot, 'setup', err) });
          },
        );
    }
  },
  transition(snapshot, event) {
    if (snapshot.status !== 'active') return snapshot;
    const slot = snapshot.context;
    const life = slot.life!;
    switch (event.type) {
      case 'call':
        if (life.stopped) {
          event.call.reply({ ok: false, error: stoppedValue(slot), requeue: true });
        } else if (life.ready && life.inFlight < slot.agent.concurrency) {
          execute(slot, life, event.call);
        } else if (life.queue.length < slot.agent.mailbox) {
          life.queue.push(event.call);
        } else {
          event.call.reply({
            ok: false,
            requeue: true,
            error: { code: 'TROUPE_MAILBOX_FULL', message: `agent ${slot.agent.id}#${slot.index}: mailbox full (${slot.agent.mailbox})` },
          });
        }
        return snapshot;
      case 'crash':
        end(slot, life);
        return { status: 'error', output: undefined, error: new TroupeError('TROUPE_AGENT_CRASHED', event.error.message, { data: event.error }), context: slot } as InstanceSnapshot;
      case STOP:
        end(slot, life);
        return { status: 'stopped', output: undefined, error: undefined, context: slot } as unknown as InstanceSnapshot;
      default:
        return snapshot;
    }
  },
  getPersistedSnapshot(snapshot) {
    return { status: snapshot.status, output: undefined, error: undefined };
  },
};

function execute(slot: InstanceSlot, life: Incarnation, call: AgentCall): void {
  life.inFlight++;
  // Only the caller's signal (run cancelled, runtime stopping) aborts a call in flight: a sibling's
  // crash restarts the instance but lets the calls it already started finish.
  const signal = call.signal ?? life.abort;
  if (slot.pool !== null) return runInPool(slot, life, call, slot.pool.get(), signal);
  invoke(
    inline(slot.agent).execute as (input: unknown, ctx: AgentContext) => unknown,
    call.input,
    {
      attempt: call.attempt,
      runId: call.runId,
      stepId: call.stepId,
      idempotencyKey: call.idempotencyKey,
      instance: slot.index,
      state: life.state,
      feedback: call.feedback,
      timeoutMs: call.timeoutMs,
      signal,
    },
    () => `agent ${slot.agent.id} on step ${call.stepId} of run ${call.runId}`,
    // A synchronous agent is answered at once, inside this transition: the caller's continuation
    // must not throw (the dispatcher's reply handler catches) and sends to this actor queue.
    (output) => finish(slot, life, call, { ok: true, output }),
    (err: unknown) => {
      const error = toErrorValue(err);
      finish(slot, life, call, { ok: false, error });
      if (error.code === 'TROUPE_AGENT_CRASHED' && !life.stopped) life.self.send({ type: 'crash', error });
    },
  );
}

/** A worker agent's call: its pool queues it, times it from its start and answers (never synchronously). */
function runInPool(slot: InstanceSlot, life: Incarnation, call: AgentCall, pool: TaskPool, cancel: Cancellable): void {
  const spec = slot.agent.worker!;
  pool.run(
    {
      module: spec.module,
      exportName: spec.exportName,
      input: call.input,
      timeoutMs: call.timeoutMs,
      signal: cancel.signal,
      runId: call.runId,
      stepId: call.stepId,
      idempotencyKey: call.idempotencyKey,
      attempt: call.attempt,
      feedback: call.feedback,
      describe: () => `agent ${slot.agent.id} on step ${call.stepId} of run ${call.runId}`,
    },
    (result) => finish(slot, life, call, result),
  );
}

function inline(agent: Agent): Partial<InlineAgentDefinition> {
  return agent.definition as Partial<InlineAgentDefinition>;
}

function finish(slot: InstanceSlot, life: Incarnation, call: AgentCall, outcome: CallOutcome): void {
  life.inFlight--;
  try {
    call.reply(outcome);
  } finally {
    if (!life.stopped && life.queue.length > 0) drain(slot, life);
    slot.onRoom?.(slot.agent.id);
  }
}

function drain(slot: InstanceSlot, life: Incarnation): void {
  if (life.draining) return; // the loop below picks up the room a synchronous call just freed
  life.draining = true;
  try {
    while (life.ready && !life.stopped && life.inFlight < slot.agent.concurrency && life.queue.length > 0) {
      execute(slot, life, life.queue.shift()!);
    }
  } finally {
    life.draining = false;
  }
}

/** Stop a life: abort what runs, hand queued calls back for re-routing, tear down. */
function end(slot: InstanceSlot, life: Incarnation): void {
  if (life.stopped) return;
  life.stopped = true;
  life.abort.abort(stoppedError(slot));
  const queued = life.queue.splice(0);
  for (const call of queued) call.reply({ ok: false, error: stoppedValue(slot), requeue: true });
  const teardown = inline(slot.agent).teardown;
  if (teardown) {
    Promise.resolve()
      .then(() => teardown(life.state))
      .catch(() => undefined);
  }
}

function stoppedError(slot: InstanceSlot): TroupeError {
  return new TroupeError('TROUPE_AGENT_UNAVAILABLE', `agent ${slot.agent.id}#${slot.index} stopped`);
}

function stoppedValue(slot: InstanceSlot): ErrorValue {
  return { code: 'TROUPE_AGENT_UNAVAILABLE', message: `agent ${slot.agent.id}#${slot.index} is not running` };
}

function crashValue(slot: InstanceSlot, phase: string, err: unknown): ErrorValue {
  const v = toErrorValue(err, 'TROUPE_AGENT_CRASHED');
  return { code: 'TROUPE_AGENT_CRASHED', message: `agent ${slot.agent.id}#${slot.index} crashed in ${phase}: ${v.message}`, data: v };
}
