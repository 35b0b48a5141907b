import { createActor, type ActorScope, type ActorSystem, type AnyActorRef, type EventObject, type Snapshot } from 'xstate';
import { TroupeError, toErrorValue } from '../../errors/index.js';
import { decide } from './strategy.js';
import type {
  Backoff,
  ChildExit,
  ChildSpec,
  Intensity,
  RestartKind,
  RestartRecord,
  StopReason,
  Strategy,
  SupervisedChild,
  SupervisionEvent,
  SupervisorEvent,
  SupervisorLogic,
  SupervisorOptions,
} from './types.js';
import { validateChildSpec, validateOptions } from './validate.js';

const ERROR_PREFIX = 'xstate.error.actor.';
const DONE_PREFIX = 'xstate.done.actor.';
const RESTART = 'supervisor.restart';

/** Internal: a scheduled restart of a group of children. Stale tokens are ignored. */
interface RestartEvent {
  readonly type: typeof RESTART;
  readonly ids: readonly string[];
  readonly token: number;
  readonly delayMs: number;
}

interface ChildEntry extends SupervisedChild {
  readonly spec: ChildSpec;
  readonly restart: RestartKind;
  ref: AnyActorRef | undefined;
  restarts: number;
  /** XState id of the live incarnation (`<id>#<n>`), so events from a stopped incarnation are recognised as stale. */
  actorId: string | undefined;
  /** Token of the pending restart, if one is scheduled. */
  pending: number | undefined;
}

/** The snapshot is the supervisor's mutable state; only the `SupervisorSnapshot` fields are public. */
type State = Snapshot<undefined> & Internal;

interface Internal {
  readonly id: string;
  readonly children: Map<string, ChildEntry>;
  /** Live incarnation XState id -> child id. */
  readonly live: Map<string, string>;
  history: readonly RestartRecord[];
  seq: number;
  token: number;
}

interface Config {
  readonly id: string;
  readonly strategy: Strategy;
  readonly intensity: Intensity;
  readonly backoff: Backoff;
  readonly children: readonly ChildSpec[];
  readonly onEscalate: ((error: unknown) => void) | undefined;
  readonly onEvent: ((event: SupervisionEvent) => void) | undefined;
  readonly now: (() => number) | undefined;
}

type Scope = ActorScope<State, EventObject, ActorSystem<any>, EventObject>;

/**
 * Create OTP-style supervisor logic: it starts its children, restarts them by `strategy` within the
 * restart `intensity` (with exponential `backoff`, scheduled on XState's clock), and past the
 * intensity stops every child and fails itself with `TROUPE_SUPERVISOR_ESCALATED`, which a parent
 * supervisor handles like any other failed child. Stopping it stops its children in reverse start
 * order and cancels pending restarts.
 *
 * @param options - see `SupervisorOptions`
 * @returns actor logic for `createActor(logic, { clock })` or for a `ChildSpec` of another supervisor
 * @throws TroupeError `TROUPE_RUNTIME_OPTIONS_INVALID` when an option or child spec is malformed or ids repeat
 * @example
 * ```ts
 * const sup = createActor(createSupervisor({
 *   id: 'agents', strategy: 'one-for-one',
 *   intensity: { maxRestarts: 3, withinMs: 5000 }, backoff: { baseMs: 100, maxMs: 2000 },
 *   children: [{ id: 'triage', logic: triageLogic, restart: 'permanent' }],
 *   onEscalate: (err) => runtime.fail(err),
 * })).start();
 * getChild(sup, 'triage')?.send({ type: 'work' });
 * ```
 */
export function createSupervisor(options: SupervisorOptions): SupervisorLogic {
  validateOptions(options);
  const config: Config = {
    id: options.id,
    strategy: options.strategy ?? 'one-for-one',
    intensity: options.intensity ?? { maxRestarts: 3, withinMs: 5000 },
    backoff: options.backoff ?? { baseMs: 0, maxMs: 0 },
    children: [...(options.children ?? [])],
    onEscalate: options.onEscalate,
    onEvent: options.onEvent,
    now: options.now,
  };

  const initial = (): State => {
    const children = new Map<string, ChildEntry>();
    for (const spec of config.children) children.set(spec.id, newEntry(spec));
    return { status: 'active', output: undefined, error: undefined, id: config.id, children, live: new Map(), history: [], seq: 0, token: 0 };
  };

  const logic = {
    config: options,
    getInitialSnapshot: (): State => initial(),
    // Supervisors are rebuilt, never restored (ARCHITECTURE "Durability"): start the configured children afresh.
    restoreSnapshot: (): State => initial(),
    start: (state: State, scope: Scope): void => {
      // Whatever else subscribes, an escalation must never surface as an uncaught exception (xstate#3645):
      // XState reports an error as unhandled only when no observer has an error handler.
      scope.self.subscribe({ error: () => undefined });
      for (const entry of state.children.values()) {
        spawn(config, state, entry, scope);
        notify(config, { type: 'child.started', supervisor: config.id, child: entry.id });
      }
    },
    transition: (state: State, event: EventObject, scope: Scope): State => {
      if (state.status !== 'active') return state;
      const type = event.type;
      if (type.startsWith(ERROR_PREFIX)) {
        const error = (event as { error?: unknown }).error;
        return onExit(config, state, type.slice(ERROR_PREFIX.length), { kind: 'error', error }, scope);
      }
      if (type.startsWith(DONE_PREFIX)) {
        const output = (event as { output?: unknown }).output;
        return onExit(config, state, type.slice(DONE_PREFIX.length), { kind: 'done', output }, scope);
      }
      switch (type) {
        case RESTART:
          return onRestart(config, state, event as RestartEvent, scope);
        case 'supervisor.add':
          return onAdd(config, state, (event as Extract<SupervisorEvent, { type: 'supervisor.add' }>).spec, scope);
        case 'supervisor.remove':
          return onRemove(config, state, (event as Extract<SupervisorEvent, { type: 'supervisor.remove' }>).id, scope);
        case 'xstate.stop':
          stopAll(config, state, 'shutdown', scope);
          return { ...state, status: 'stopped', output: undefined, error: undefined };
        default:
          // Anything else (e.g. a child's sendParent) is not the supervisor's business.
          return state;
      }
    },
    getPersistedSnapshot: (state: State) => ({
      status: state.status,
      output: undefined,
      error: state.error === undefined ? undefined : toErrorValue(state.error),
      id: state.id,
      children: [...state.children.keys()],
    }),
  };
  // The internal State is a SupervisorSnapshot with private fields; expose only the public shape.
  return logic as unknown as SupervisorLogic;
}

function newEntry(spec: ChildSpec): ChildEntry {
  return { id: spec.id, spec, restart: spec.restart ?? 'permanent', ref: undefined, restarts: 0, actorId: undefined, pending: undefined };
}

function notify(config: Config, event: SupervisionEvent): void {
  if (!config.onEvent) return;
  try {
    config.onEvent(event);
  } catch {
    // A broken observer must not take the supervisor down (xstate#5318 is the same trap for emit).
  }
}

function now(config: Config, scope: Scope): number {
  if (config.now) return config.now();
  const clock = scope.system._clock as { now?: () => number };
  return typeof clock.now === 'function' ? clock.now() : Date.now();
}

/** Start a new incarnation of `entry`. A failure to start arrives later as an ordinary error event. */
function spawn(config: Config, state: State, entry: ChildEntry, scope: Scope): void {
  const actorId = `${entry.id}#${++state.seq}`;
  entry.actorId = actorId;
  entry.pending = undefined;
  state.live.set(actorId, entry.id);
  let ref: AnyActorRef;
  try {
    ref = createActor(entry.spec.logic, {
      id: actorId,
      parent: scope.self,
      input: entry.spec.input,
      ...(entry.spec.systemId === undefined ? {} : { systemId: entry.spec.systemId }),
    });
  } catch (error) {
    // e.g. a systemId still held by another actor: route it through the normal failure path.
    scope.self.send({ type: `${ERROR_PREFIX}${actorId}`, error } as never);
    return;
  }
  entry.ref = ref;
  // An error while starting (getInitialSnapshot/start throwing) is relayed to us as xstate.error.actor.<actorId>.
  ref.start();
}

function stopEntry(config: Config, state: State, entry: ChildEntry, reason: StopReason, scope: Scope): void {
  entry.pending = undefined;
  if (entry.actorId !== undefined) state.live.delete(entry.actorId);
  entry.actorId = undefined;
  const ref = entry.ref;
  entry.ref = undefined;
  if (ref) {
    scope.stopChild(ref);
    notify(config, { type: 'child.stopped', supervisor: config.id, child: entry.id, reason });
  }
}

function stopAll(config: Config, state: State, reason: StopReason, scope: Scope): void {
  for (const entry of [...state.children.values()].reverse()) stopEntry(config, state, entry, reason, scope);
  state.children.clear();
  state.live.clear();
}

function onExit(config: Config, state: State, actorId: string, exit: ChildExit, scope: Scope): State {
  const childId = state.live.get(actorId);
  if (childId === undefined) return state; // an incarnation we already stopped or replaced
  const entry = state.children.get(childId)!;
  state.live.delete(actorId);
  entry.actorId = undefined;
  entry.ref = undefined;
  notify(
    config,
    exit.kind === 'error'
      ? { type: 'child.failed', supervisor: config.id, child: childId, error: exit.error }
      : { type: 'child.completed', supervisor: config.id, child: childId, output: exit.output },
  );

  const decision = decide({
    strategy: config.strategy,
    children: state.children.values(),
    failed: entry,
    exit,
    history: state.history,
    now: now(config, scope),
    intensity: config.intensity,
    backoff: config.backoff,
  });

  switch (decision.action) {
    case 'remove':
      state.children.delete(childId);
      return state;
    case 'escalate':
      return escalate(config, state, childId, exit, decision.reason, scope);
    case 'restart': {
      state.history = decision.history;
      for (const id of decision.stop) {
        const sibling = state.children.get(id);
        if (sibling) stopEntry(config, state, sibling, 'sibling-failed', scope);
      }
      for (const id of decision.remove) state.children.delete(id);
      const token = ++state.token;
      for (const id of decision.start) {
        const e = state.children.get(id);
        if (e) e.pending = token;
      }
      const restart: RestartEvent = { type: RESTART, ids: decision.start, token, delayMs: decision.delayMs };
      if (decision.delayMs > 0) {
        // XState's scheduler runs on the actor system's clock (SimulatedClock in tests) and is cancelled
        // with the actor: stopping or failing the supervisor leaves no timer behind.
        scope.system.scheduler.schedule(scope.self, scope.self, restart, decision.delayMs, `restart-${token}`);
        return state;
      }
      return onRestart(config, state, restart, scope);
    }
  }
}

function onRestart(config: Config, state: State, event: RestartEvent, scope: Scope): State {
  for (const id of event.ids) {
    const entry = state.children.get(id);
    if (!entry || entry.pending !== event.token) continue; // removed, or superseded by a later group restart
    entry.restarts += 1;
    spawn(config, state, entry, scope);
    notify(config, { type: 'child.restarted', supervisor: config.id, child: id, delayMs: event.delayMs });
  }
  return state;
}

function escalate(config: Config, state: State, childId: string, exit: ChildExit, reason: string, scope: Scope): State {
  const childError = exit.kind === 'error' ? exit.error : undefined;
  const error = new TroupeError('TROUPE_SUPERVISOR_ESCALATED', `supervisor '${config.id}' escalated: ${reason}`, {
    cause: childError,
    data: {
      supervisor: config.id,
      child: childId,
      ...(childError === undefined ? {} : { error: toErrorValue(childError, 'TROUPE_AGENT_CRASHED') }),
    },
  });
  stopAll(config, state, 'escalation', scope);
  notify(config, { type: 'supervisor.escalated', supervisor: config.id, child: childId, error });
  if (config.onEscalate) {
    try {
      config.onEscalate(error);
    } catch {
      // The escalation itself still reaches the parent through the error status below.
    }
  }
  return { ...state, status: 'error', output: undefined, error };
}

function onAdd(config: Config, state: State, spec: ChildSpec, scope: Scope): State {
  // `addChild` validates before sending; a raw event with a bad or duplicate spec is dropped.
  try {
    validateChildSpec(spec, `supervisor '${config.id}' child`);
  } catch {
    return state;
  }
  if (state.children.has(spec.id)) return state;
  const entry = newEntry(spec);
  state.children.set(spec.id, entry);
  spawn(config, state, entry, scope);
  notify(config, { type: 'child.started', supervisor: config.id, child: spec.id });
  return state;
}

function onRemove(config: Config, state: State, id: string, scope: Scope): State {
  const entry = state.children.get(id);
  if (!entry) return state;
  stopEntry(config, state, entry, 'removed', scope);
  state.children.delete(id);
  return state;
}
