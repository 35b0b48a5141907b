import type { AnyActorRef, InspectionEvent } from 'xstate';
import type { RunEvent, RunHandle } from '../workflow/index.js';
import type { RunRecord } from '../store/index.js';
import type { TroupeRuntime } from '../runtime/index.js';
import { entrySummary, type ActorInfo, type InspectorEvent, type RunSummary, type Snapshot, type SubscriptionTarget } from './protocol.js';

/** Someone following the hub: gets every event (filtering by subscription is theirs). */
export type HubListener = (event: InspectorEvent, at: number) => void;

/** At most this many finished actors are remembered for tree snapshots. */
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
  #unwatchTree: (() => void) | null = null;

  constructor(readonly runtime: TroupeRuntime) {}

  /** Follow every event. The first listener attaches the hub to the runtime; the last detaches it. */
  listen(listener: HubListener): () => void {
    this.#listeners.add(listener);
    if (this.#detach === null) this.#attach();
    return () => {
      this.#listeners.delete(listener);
      if (this.#listeners.size === 0) this.#detachAll();
    };
  }

  /**
   * Follow every actor of the runtime's XState system through XState's inspection API (it reports
   * each transition of each actor, so it costs on every step): on only while someone follows the
   * tree. Turning it on seeds the tree with the actors that exist already.
   */
  watchTree(on: boolean): void {
    if (on && this.#unwatchTree === null) {
      this.#seed(this.runtime.tree.root as unknown as AnyActorRef);
      const sub = this.runtime.tree.root.system.inspect((ev: InspectionEvent) => this.#onInspection(ev));
      this.#unwatchTree = () => sub.unsubscribe();
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
      case 'tree':
        this.watchTree(true);
        return { kind: 'tree', actors: [...this.#actors.values()] };
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
        const entries = await this.runtime.store.read(target.runId);
        return { kind: 'run', run: summary(record, handle), entries: entries.map(entrySummary) };
      }
    }
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

  #attach(): void {
    const offRuns = this.runtime.on((e) => this.#onRunEvent(e));
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
      offRuns();
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
    for (const run of this.runtime.activeRuns()) add((run as unknown as { actor?: AnyActorRef }).actor);
  }

  #onInspection(ev: InspectionEvent): void {
    if (ev.type === '@xstate.actor') {
      const info = actorInfo(ev.actorRef as AnyActorRef);
      this.#actors.set(info.id, info);
      this.#emit({ type: 'actor.spawned', actor: info });
      return;
    }
    if (ev.type !== '@xstate.snapshot') return;
    const status = (ev.snapshot as { status?: string }).status;
    if (status === 'active' || status === undefined) return;
    const id = ev.actorRef.sessionId;
    const known = this.#actors.get(id);
    if (!known || known.status !== 'active') return;
    const ended = status === 'done' ? 'done' : status === 'error' ? 'error' : 'stopped';
    this.#actors.set(id, { ...known, status: ended });
    this.#stopped.push(id);
    if (this.#stopped.length > MAX_STOPPED_ACTORS) this.#actors.delete(this.#stopped.shift()!);
    this.#emit({ type: 'actor.stopped', id, status: ended });
  }

  #onRunEvent(e: RunEvent): void {
    switch (e.type) {
      case 'step.started':
        this.#emit(e.attempt > 1 ? { ...e, type: 'step.retried' } : e);
        return;
      case 'step.completed':
        this.#emit({
          type: 'step.completed',
          runId: e.runId,
          step: e.entry.step,
          seq: e.entry.seq,
          ...(e.entry.agent === undefined ? {} : { agent: e.entry.agent }),
          ...(e.entry.durationMs === undefined ? {} : { durationMs: e.entry.durationMs }),
          ...(e.entry.attempts === undefined ? {} : { attempts: e.entry.attempts }),
        });
        return;
      case 'step.failed':
        this.#emit(e);
        if (e.error.code === 'TROUPE_AGENT_TIMEOUT') {
          const timeoutMs = (e.error.data as { timeoutMs?: number } | undefined)?.timeoutMs;
          this.#emit({ type: 'step.timed-out', runId: e.runId, step: e.step, ...(e.agent === undefined ? {} : { agent: e.agent }), ...(timeoutMs === undefined ? {} : { timeoutMs }) });
        }
        return;
      case 'approval.requested':
        this.#emit({ type: 'approval.waiting', runId: e.runId, step: e.step, ...(e.prompt === undefined ? {} : { prompt: e.prompt }) });
        return;
      case 'approval.decided':
        this.#emit(e);
        return;
      case 'entry.appended':
        this.#emit({ type: 'context.appended', runId: e.runId, entry: entrySummary(e.entry) });
        return;
      case 'run.status': {
        const handle = this.#live(e.runId);
        if (handle) this.#emit({ type: 'run.state', run: summary(handle.status(), handle) });
        return;
      }
      default:
        return; // compensation.completed and operator.recorded arrive as entry.appended too
    }
  }

  #emit(event: InspectorEvent): void {
    const at = Date.now();
    for (const l of this.#listeners) {
      try {
        l(event, at);
      } catch {
        // a listener must not break the runtime
      }
    }
  }
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

function actorInfo(ref: AnyActorRef): ActorInfo {
  const parent = (ref as unknown as { _parent?: AnyActorRef })._parent;
  const name = ref.id;
  // A supervised child's id is `<child id>#<incarnation>` (its restarts count up).
  const base = supervised(parent) ? name.replace(/#\d+$/, '') : name;
  const kind: ActorInfo['kind'] =
    base === 'runtime' || base === 'agents' || base === 'workflows' || base.startsWith('agent:')
      ? 'supervisor'
      : /#\d+$/.test(base) && parent?.id.startsWith('agent:')
        ? 'agent-instance'
        : parent !== undefined && parent.id.replace(/#\d+$/, '') === 'workflows'
          ? 'run'
          : 'actor';
  let status: string | undefined;
  try {
    status = (ref.getSnapshot() as { status?: string } | undefined)?.status;
  } catch {
    status = 'active'; // announced while it initialises itself (XState refuses to show its snapshot yet)
  }
  return {
    id: ref.sessionId,
    name,
    ...(parent ? { parent: parent.sessionId } : {}),
    kind,
    status: status === 'done' ? 'done' : status === 'error' ? 'error' : status === 'stopped' ? 'stopped' : 'active',
  };
}

function supervised(parent: AnyActorRef | undefined): boolean {
  if (!parent) return false;
  const p = parent.id.replace(/#\d+$/, '');
  return p === 'runtime' || p === 'agents' || p.startsWith('agent:');
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
