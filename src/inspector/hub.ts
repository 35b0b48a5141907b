import type { AnyActorRef, InspectionEvent } from 'xstate';
import type { RunEvent, RunHandle } from '../workflow/index.js';
import type { RunRecord } from '../store/index.js';
import type { TroupeRuntime } from '../runtime/index.js';
import { entrySummary, type ActorInfo, type InspectorEvent, type RunSummary, type Snapshot, type SubscriptionTarget } from './protocol.js';

/**
 * Someone following the hub: gets every event (filtering by subscription is theirs). A run's
 * events come as the runtime emitted them, so that nothing is built for an event nobody wants:
 * {@link runEventToInspector} turns one into the protocol's events.
 */
export interface HubListener {
  /** Whether it wants each step's routine events of every run (`RunListenOptions.perStep`); read when it starts listening. */
  readonly perStep: boolean;
  /** A run's event (`at`: epoch ms). */
  run(event: RunEvent, at: number): void;
  /** Any other event: actors, supervision, circuits. */
  event(event: InspectorEvent, at: number): void;
}

/** The XState inspection events the tree is made of: an actor created, an actor's snapshot. */
type TreeInspectionEvent = Extract<InspectionEvent, { type: '@xstate.actor' | '@xstate.snapshot' }>;

/** At least this many finished actors (and at most twice as many) are remembered for tree snapshots. */
const MAX_STOPPED_ACTORS = 1_000;
/** Runs listed in a `runs` snapshot. */
const SNAPSHOT_RUNS = 500;

/**
 * Turns a runtime's activity into inspector events: run events, supervision decisions, and every
 * actor of its XState system through XState's inspection API (so actors nobody reports by hand —
 * a sub-workflow's child, a supervisor — are visible too). The inspection observer is attached
 * only while someone listens, so an unwatched runtime pays nothing for it.
 */
export class InspectorHub {
  readonly #listeners = new Set<HubListener>();
  readonly #actors = new Map<string, ActorInfo>();
  readonly #stopped: string[] = [];
  #detach: (() => void) | null = null;
  /** The runtime-wide run listener, and whether it takes each step's routine events. */
  #offRuns: (() => void) | null = null;
  #perStep = false;
  #unwatchTree: (() => void) | null = null;
  /** Whether the tree follows the runs' actors too (else it leaves them out from the start: they are most actors). */
  #treeRuns = true;

  constructor(readonly runtime: TroupeRuntime) {}

  /** Follow every event. The first listener attaches the hub to the runtime; the last detaches it. */
  listen(listener: HubListener): () => void {
    this.#listeners.add(listener);
    if (this.#detach === null) this.#attach();
    this.#listenToRuns();
    return () => {
      this.#listeners.delete(listener);
      if (this.#listeners.size === 0) this.#detachAll();
      else this.#listenToRuns();
    };
  }

  /**
   * Follow every actor of the runtime's XState system through XState's inspection API (it reports
   * each transition of each actor, so it costs on every step): on only while someone follows the
   * tree. Turning it on seeds the tree with the actors that exist already.
   */
  watchTree(on: boolean, runs = true): void {
    if (on && this.#unwatchTree !== null && runs !== this.#treeRuns) this.watchTree(false); // reseeded below
    if (on && this.#unwatchTree === null) {
      this.#treeRuns = runs;
      this.#seed(this.runtime.tree.root as unknown as AnyActorRef);
      this.#unwatchTree = tapInspection(this.runtime.tree.root.system, (ev) => this.#onInspection(ev));
    } else if (!on && this.#unwatchTree !== null) {
      this.#unwatchTree();
      this.#unwatchTree = null;
      this.#actors.clear(); // stale once unwatched: reseeded when watched again
      this.#stopped.length = 0;
    }
  }

  /** What a subscription starts with. */
  async snapshot(target: SubscriptionTarget): Promise<Snapshot> {
    switch (target.kind) {
      case 'tree': {
        if (this.#unwatchTree === null) this.watchTree(true, target.runs !== false);
        const actors = [...this.#actors.values()];
        return { kind: 'tree', actors: target.runs === false ? actors.filter((a) => a.kind !== 'run') : actors };
      }
      case 'runs': {
        const live = new Map(this.runtime.activeRuns().map((r) => [r.id, r]));
        const stored = await this.runtime.store.listRuns({ limit: SNAPSHOT_RUNS });
        const runs = stored.map((rec) => summary(live.get(rec.id)?.status() ?? rec, live.get(rec.id)));
        for (const [id, handle] of live) if (!stored.some((r) => r.id === id)) runs.push(summary(handle.status(), handle));
        return { kind: 'runs', runs };
      }
      case 'run': {
        const handle = this.#live(target.runId);
        const record = handle?.status() ?? (await this.runtime.store.getRun(target.runId));
        if (!record) throw Object.assign(new Error(`no run with id ${target.runId}`), { code: 'TROUPE_RUN_NOT_FOUND' });
        // A live run's context() includes every entry appended so far, even one the store commits later.
        const entries = handle === undefined ? await this.runtime.store.read(target.runId) : await handle.context();
        return { kind: 'run', run: summary(record, handle), entries: entries.map(entrySummary) };
      }
    }
  }

  /** The runtime's handle of a run it runs or finished recently, if any. */
  live(runId: string): RunHandle | undefined {
    return this.#live(runId);
  }

  /** The summary of a run now (live if it runs in this process). */
  async runSummary(runId: string): Promise<RunSummary | undefined> {
    const handle = this.#live(runId);
    const record = handle?.status() ?? (await this.runtime.store.getRun(runId));
    return record ? summary(record, handle) : undefined;
  }

  /** Detach from the runtime and drop every listener. */
  close(): void {
    this.#listeners.clear();
    this.#detachAll();
  }

  #live(runId: string): RunHandle | undefined {
    try {
      return this.runtime.getRun(runId);
    } catch {
      return undefined;
    }
  }

  /** (Re)subscribe to the runs' events, with each step's routine events only while some listener wants them. */
  #listenToRuns(): void {
    const perStep = [...this.#listeners].some((l) => l.perStep);
    if (this.#offRuns !== null && perStep === this.#perStep) return;
    this.#offRuns?.();
    this.#perStep = perStep;
    this.#offRuns = this.runtime.on((e) => this.#onRunEvent(e), { perStep });
  }

  #attach(): void {
    const offSupervision = this.runtime.agents.onEvent((e) => {
      const decision = e.type === 'child.restarted' ? 'restarted' : e.type === 'child.failed' ? 'failed' : e.type === 'child.stopped' ? 'stopped' : e.type === 'supervisor.escalated' ? 'escalated' : 'started';
      const error = 'error' in e ? describe(e.error) : undefined;
      this.#emit({
        type: 'supervisor.decision',
        supervisor: e.supervisor,
        child: e.child,
        decision,
        ...(e.type === 'child.restarted' ? { delayMs: e.delayMs } : {}),
        ...(error === undefined ? {} : { error }),
      });
    });
    const offCircuit = this.runtime.dispatcher.onCircuit((agent, state) => this.#emit({ type: 'circuit.changed', agent, state }));
    this.#detach = () => {
      this.#offRuns?.();
      this.#offRuns = null;
      offSupervision();
      offCircuit();
      this.watchTree(false);
    };
  }

  #detachAll(): void {
    this.#detach?.();
    this.#detach = null;
  }

  /** Actors that existed before the hub attached: the tree's known parts and the live runs. */
  #seed(root: AnyActorRef): void {
    const add = (ref: AnyActorRef | undefined): void => {
      if (!ref || this.#actors.has(ref.sessionId)) return;
      add((ref as unknown as { _parent?: AnyActorRef })._parent); // ancestors first
      this.#actors.set(ref.sessionId, actorInfo(ref));
    };
    add(root);
    add(this.runtime.tree.agents as unknown as AnyActorRef);
    add(this.runtime.tree.workflows);
    for (const agent of this.runtime.agents.registry.list()) for (const slot of this.runtime.agents.slots(agent.id)) add((slot.ref ?? undefined) as AnyActorRef | undefined);
    if (this.#treeRuns) for (const run of this.runtime.activeRuns()) add((run as unknown as { actor?: AnyActorRef }).actor);
  }

  #onInspection(ev: TreeInspectionEvent): void {
    if (ev.type === '@xstate.actor') {
      if (!this.#treeRuns && isRunActor(ev.actorRef as AnyActorRef)) return; // not followed: its stop is not either (unknown below)
      const info = actorInfo(ev.actorRef as AnyActorRef);
      this.#actors.set(info.id, info);
      this.#emit({ type: 'actor.spawned', actor: info });
      return;
    }
    const status = (ev.snapshot as { status?: string }).status;
    if (status === 'active' || status === undefined) return;
    const id = ev.actorRef.sessionId;
    const known = this.#actors.get(id);
    if (!known || known.status !== 'active') return;
    const ended = status === 'done' ? 'done' : status === 'error' ? 'error' : 'stopped';
    this.#actors.set(id, withStatus(known, ended));
    this.#stopped.push(id);
    // The oldest forgotten in chunks (a shift per actor moves the whole list each time).
    if (this.#stopped.length >= 2 * MAX_STOPPED_ACTORS) for (const old of this.#stopped.splice(0, this.#stopped.length - MAX_STOPPED_ACTORS)) this.#actors.delete(old);
    this.#emit({ type: 'actor.stopped', id, kind: known.kind, status: ended });
  }

  // A listener must not break the runtime: what it throws is dropped. (No closure per event: run
  // events come several per step.)
  #onRunEvent(e: RunEvent): void {
    const at = Date.now();
    for (const l of this.#listeners) {
      try {
        l.run(e, at);
      } catch {
        // dropped
      }
    }
  }

  #emit(event: InspectorEvent): void {
    const at = Date.now();
    for (const l of this.#listeners) {
      try {
        l.event(event, at);
      } catch {
        // dropped
      }
    }
  }
}

/**
 * A run's event as the protocol's events (none for the ones it does not stream: compensations and
 * operator entries arrive as `entry.appended` too). `handle` is the run's, for `run.status` (whose
 * `run.state` carries the run's summary as the handle tells it now).
 */
export function runEventToInspector(e: RunEvent, handle: RunHandle | undefined): InspectorEvent[] {
  switch (e.type) {
    case 'step.started':
      return [e.attempt > 1 ? { ...e, type: 'step.retried' } : e];
    case 'step.completed':
      return [
        {
          type: 'step.completed',
          runId: e.runId,
          step: e.entry.step,
          seq: e.entry.seq,
          ...(e.entry.agent === undefined ? {} : { agent: e.entry.agent }),
          ...(e.entry.durationMs === undefined ? {} : { durationMs: e.entry.durationMs }),
          ...(e.entry.attempts === undefined ? {} : { attempts: e.entry.attempts }),
        },
      ];
    case 'step.failed': {
      if (e.error.code !== 'TROUPE_AGENT_TIMEOUT') return [e];
      const timeoutMs = (e.error.data as { timeoutMs?: number } | undefined)?.timeoutMs;
      return [e, { type: 'step.timed-out', runId: e.runId, step: e.step, ...(e.agent === undefined ? {} : { agent: e.agent }), ...(timeoutMs === undefined ? {} : { timeoutMs }) }];
    }
    case 'approval.requested':
      return [{ type: 'approval.waiting', runId: e.runId, step: e.step, ...(e.prompt === undefined ? {} : { prompt: e.prompt }) }];
    case 'approval.decided':
      return [e];
    case 'entry.appended':
      return [{ type: 'context.appended', runId: e.runId, entry: entrySummary(e.entry) }];
    case 'run.status':
      return handle ? [{ type: 'run.state', run: summary(handle.status(), handle) }] : [];
    default:
      return [];
  }
}

/**
 * Follow the actor tree's XState inspection events at their source: XState builds an inspection
 * event for every transition, action and event of every actor, copies it for its `inspect()`
 * observers and calls each — ~2 µs each, ~8 per workflow step — while the tree needs only actors
 * created and actors whose snapshot is no longer active. So the system's inspection entry point is
 * wrapped: those reach `handler` uncopied, the rest pass through untouched to whoever else
 * inspects. Where a future XState has no such entry point, `system.inspect()` is used instead.
 * @returns the function that stops following.
 */
function tapInspection(system: AnyActorRef['system'], handler: (ev: TreeInspectionEvent) => void): () => void {
  const sys = system as unknown as { _sendInspectionEvent?: (ev: InspectionEvent) => void };
  const source = sys._sendInspectionEvent;
  const wanted = (ev: InspectionEvent): ev is TreeInspectionEvent => ev.type === '@xstate.actor' || (ev.type === '@xstate.snapshot' && (ev.snapshot as { status?: string }).status !== 'active');
  const take = (ev: InspectionEvent): void => {
    if (wanted(ev)) handler(ev);
  };
  if (typeof source !== 'function') {
    const sub = system.inspect(take);
    return () => sub.unsubscribe();
  }
  let on = true;
  // ~8 calls per workflow step: only the type test before passing the event on.
  const tap = (ev: InspectionEvent): void => {
    if (on && wanted(ev)) {
      try {
        handler(ev);
      } catch {
        // the tree must not break the actor that reports
      }
    }
    source.call(sys, ev);
  };
  sys._sendInspectionEvent = tap;
  return () => {
    on = false;
    if (sys._sendInspectionEvent === tap) sys._sendInspectionEvent = source; // else someone wrapped it since: ours stays, switched off
  };
}

/** The summary of a run record (with its pending approvals when live). */
export function summary(record: RunRecord, handle?: RunHandle): RunSummary {
  return {
    id: record.id,
    workflow: record.workflow,
    status: record.status,
    currentSteps: record.currentSteps,
    createdAt: record.createdAt,
    updatedAt: record.updatedAt,
    headSeq: record.headSeq,
    headHash: record.headHash,
    ...(record.parentRunId === undefined ? {} : { parentRunId: record.parentRunId }),
    pendingApprovals: handle?.pendingApprovals() ?? [],
  };
}

/** An actor's info with another status (as a literal: a spread of it is slower on V8 11). */
export function withStatus(a: ActorInfo, status: ActorInfo['status']): ActorInfo {
  return a.parent === undefined ? { id: a.id, name: a.name, kind: a.kind, status } : { id: a.id, name: a.name, kind: a.kind, status, parent: a.parent };
}

function actorInfo(ref: AnyActorRef): ActorInfo {
  const parent = (ref as unknown as { _parent?: AnyActorRef })._parent;
  const of = parent === undefined ? undefined : parentOf(parent);
  const name = ref.id;
  // A supervised child's id is `<child id>#<incarnation>` (its restarts count up).
  const base = of?.supervises ? name.replace(/#\d+$/, '') : name;
  const kind: ActorInfo['kind'] =
    base === 'runtime' || base === 'agents' || base === 'workflows' || base.startsWith('agent:')
      ? 'supervisor'
      : of?.agent === true && /#\d+$/.test(base)
        ? 'agent-instance'
        : of?.workflows === true
          ? 'run'
          : 'actor';
  const status = snapshotStatus(ref);
  const info: { -readonly [K in keyof ActorInfo]: ActorInfo[K] } = { id: ref.sessionId, name, kind, status: status === 'done' ? 'done' : status === 'error' ? 'error' : status === 'stopped' ? 'stopped' : 'active' };
  if (parent !== undefined) info.parent = parent.sessionId;
  return info;
}

/** A run's actor: a child of the workflows supervisor. */
function isRunActor(ref: AnyActorRef): boolean {
  const parent = (ref as unknown as { _parent?: AnyActorRef })._parent;
  return parent !== undefined && parentOf(parent).workflows;
}

/** What an actor's parent says of it (a parent has many children — every run is a child of `workflows` — so this is worked out once per parent). */
interface ParentFacts {
  /** It is one of the runtime's supervisors: its children's ids carry their incarnation. */
  readonly supervises: boolean;
  /** It is an agent's supervisor (`agent:<id>`): its children are the agent's instances. */
  readonly agent: boolean;
  /** It is the workflows supervisor: its children are runs. */
  readonly workflows: boolean;
}
const parentFacts = new WeakMap<AnyActorRef, ParentFacts>();

function parentOf(parent: AnyActorRef): ParentFacts {
  let facts = parentFacts.get(parent);
  if (facts === undefined) {
    const p = parent.id.replace(/#\d+$/, '');
    facts = { supervises: p === 'runtime' || p === 'agents' || p.startsWith('agent:'), agent: parent.id.startsWith('agent:'), workflows: p === 'workflows' };
    parentFacts.set(parent, facts);
  }
  return facts;
}

/**
 * An actor's snapshot status. XState announces an actor (`@xstate.actor`) before its first snapshot
 * exists, when `getSnapshot()` throws — building an Error with its stack for every run — so the
 * snapshot XState keeps is read where it is there to read ('active' while there is none yet).
 */
function snapshotStatus(ref: AnyActorRef): string | undefined {
  if ('_snapshot' in ref) return (ref as unknown as { _snapshot?: { status?: string } })._snapshot?.status ?? 'active';
  try {
    return (ref.getSnapshot() as { status?: string } | undefined)?.status;
  } catch {
    return 'active'; // announced while it initialises itself (XState refuses to show its snapshot yet)
  }
}


function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
