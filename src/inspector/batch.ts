import type { RunEvent, RunHandle } from '../workflow/index.js';
import { runEventToInspector, summary, withStatus } from './hub.js';
import type { Feed } from './feed.js';
import type { InspectorEvent } from './protocol.js';

export type { Feed } from './feed.js';

/** A run's place in one events batch: what coalescing needs. */
interface RunSlot {
  readonly runId: string;
  /** The run's handle, looked up at its first status event of the batch. */
  handle: RunHandle | undefined;
  /** The entry of its last `run.status` of the batch: the earlier ones are dropped (the latest state wins). */
  statusEntry: Entry | null;
  /** First attempts started in this batch whose end has not come yet, by step: dropped (but for the run's followers) when it comes. */
  open: Map<string, Entry> | null;
  /** Its summary, once it finished (it changes no more). */
  finished: ReturnType<typeof summary> | null | undefined;
}

/** One event of the batch: a run's (raw, as the runtime emitted it) or another (built). */
interface Entry {
  readonly at: number;
  readonly run: RunEvent | null;
  event: InspectorEvent | null;
  /** Actor events go to the tree's followers, circuits and the like to everyone subscribed. */
  readonly audience: 'tree' | 'tree-run' | 'all' | 'run';
  dropped: boolean;
  /** Its stamped events as JSON (comma-separated; '' for none), made once for every feed that wants it. */
  json: string | undefined;
}

const FINISHED: ReadonlySet<string> = new Set(['completed', 'failed', 'cancelled']);

/** Run events a digest's overview stands for (for runs the client does not follow). */
export function inOverview(e: RunEvent): boolean {
  return e.type === 'run.status' || e.type === 'step.completed' || (e.type === 'step.started' && e.attempt === 1);
}

/**
 * The events of one flush interval, kept as they come (a run's events raw: nothing is built for
 * them until the flush), coalesced — a run's latest state only, a step's start dropped when its end
 * is in the same batch — and framed once per distinct feed as an `events` frame. A feed that takes
 * the all-runs feed as a digest gets here only what the {@link Overview} does not stand for.
 */
export class EventBatch {
  #entries: Entry[] = [];
  #slots = new Map<string, RunSlot>();
  /** This batch's `actor.spawned` entries, by actor id. */
  #spawned = new Map<string, Entry>();
  /** Whether some client takes the all-runs feed as events, and the runs some client follows. */
  #full = false;
  #followed: ReadonlySet<string> = new Set();

  constructor(readonly live: (runId: string) => RunHandle | undefined) {}

  /**
   * Who the events are for (set when subscriptions change, which flushes first). When every client
   * of the all-runs feed takes it as a digest, the events the overview stands for are not kept for
   * runs nobody follows.
   */
  interest(full: boolean, followed: ReadonlySet<string>): void {
    this.#full = full;
    this.#followed = followed;
  }

  get size(): number {
    return this.#entries.length;
  }

  /** Keep a run's event (if some feed takes it as an event). */
  addRun(e: RunEvent, at: number): void {
    if (!this.#full && inOverview(e) && !this.#followed.has(e.runId)) return;
    if (e.type === 'compensation.completed' || e.type === 'operator.recorded') return; // they arrive as entry.appended too
    const entry: Entry = { at, run: e, event: null, audience: 'run', dropped: false, json: undefined };
    let slot = this.#slots.get(e.runId);
    if (slot === undefined) {
      slot = { runId: e.runId, handle: undefined, statusEntry: null, open: null, finished: undefined };
      this.#slots.set(e.runId, slot);
    }
    switch (e.type) {
      case 'step.started':
        if (e.attempt === 1) (slot.open ??= new Map()).set(e.step, entry);
        break;
      case 'step.completed':
      case 'step.failed': {
        const step = e.type === 'step.completed' ? e.entry.step : e.step;
        const started = slot.open?.get(step);
        if (started !== undefined) {
          started.dropped = true;
          slot.open!.delete(step);
        }
        break;
      }
      case 'run.status': {
        slot.handle ??= this.live(e.runId);
        // A finished run changes no more: its summary is taken now, so the batch does not keep the
        // whole run (its log, its actor) alive until the flush.
        if (FINISHED.has(e.status)) {
          slot.finished = slot.handle === undefined ? null : summary(slot.handle.status(), slot.handle);
          slot.handle = undefined;
        }
        if (slot.statusEntry !== null) slot.statusEntry.dropped = true;
        slot.statusEntry = entry;
        // In a stream of events, the state as it was then: a run's record may be further on by
        // the flush (it finishes before it says so), and a state must not come before the events that led to it.
        const run = slot.finished ?? (slot.handle === undefined ? null : summary(slot.handle.status(), slot.handle));
        entry.json = run === null ? '' : stamped(at, `{"type":"run.state","run":${JSON.stringify(run)}}`);
        break;
      }
    }
    this.#entries.push(entry);
  }

  /**
   * Keep another event. An actor that comes and goes within the batch (a run of a few ms) is told
   * once: by its `actor.spawned`, which carries its final status.
   */
  add(event: InspectorEvent, at: number): void {
    if (event.type === 'actor.stopped') {
      const spawned = this.#spawned.get(event.id);
      if (spawned !== undefined) {
        const { actor } = spawned.event as Extract<InspectorEvent, { type: 'actor.spawned' }>;
        spawned.event = { type: 'actor.spawned', actor: withStatus(actor, event.status) };
        this.#spawned.delete(event.id);
        return;
      }
    }
    const entry: Entry = { at, run: null, event, audience: audienceOf(event), dropped: false, json: undefined };
    if (event.type === 'actor.spawned') this.#spawned.set(event.actor.id, entry);
    this.#entries.push(entry);
  }

  /** The `events` frame for `feed` (null: nothing for it). Call {@link clear} after the last feed. */
  frame(feed: Feed): string | null {
    const overview = feed.digest && feed.runs;
    let body = '';
    for (const entry of this.#entries) {
      const e = entry.run;
      if (overview && e !== null && inOverview(e) && !feed.followed.has(e.runId)) continue; // the overview stands for it
      if (!wants(feed, entry) || (entry.dropped && !followed(feed, entry))) continue;
      const json = this.#json(entry);
      if (json !== '') body = body === '' ? json : `${body},${json}`;
    }
    return body === '' ? null : `{"type":"events","events":[${body}]}`;
  }

  clear(): void {
    this.#entries = [];
    this.#slots = new Map();
    this.#spawned = new Map();
  }

  #json(entry: Entry): string {
    if (entry.json !== undefined) return entry.json;
    let json = '';
    if (entry.event !== null) json = stamped(entry.at, eventJson(entry.event));
    else for (const ev of runEventToInspector(entry.run!, undefined)) json += `${json === '' ? '' : ','}${stamped(entry.at, JSON.stringify(ev))}`;
    entry.json = json;
    return json;
  }
}

/**
 * An event as JSON. The tree's events, one or two per run, are written by hand (a third of the
 * cost of `JSON.stringify` on their nested object), as `JSON.stringify` would write them.
 */
function eventJson(e: InspectorEvent): string {
  if (e.type === 'actor.stopped') return `{"type":"actor.stopped","id":${JSON.stringify(e.id)},"kind":"${e.kind}","status":"${e.status}"}`;
  if (e.type !== 'actor.spawned') return JSON.stringify(e);
  const a = e.actor;
  const parent = a.parent === undefined ? '' : `,"parent":${JSON.stringify(a.parent)}`;
  return `{"type":"actor.spawned","actor":{"id":${JSON.stringify(a.id)},"name":${JSON.stringify(a.name)},"kind":"${a.kind}","status":"${a.status}"${parent}}}`;
}

function stamped(at: number, event: string): string {
  return `{"at":${at},"event":${event}}`;
}

/** Who an event other than a run's is for: the tree's followers (a run's actor: those that take the runs' actors), or everyone subscribed. */
function audienceOf(event: InspectorEvent): Entry['audience'] {
  if (event.type === 'actor.spawned') return event.actor.kind === 'run' ? 'tree-run' : 'tree';
  if (event.type === 'actor.stopped') return event.kind === 'run' ? 'tree-run' : 'tree';
  return event.type.startsWith('actor.') || event.type === 'supervisor.decision' ? 'tree' : 'all';
}

/** Whether a feed covers an entry: run events go to the run's followers and (but for context entries) to the all-runs feed; actor events to the tree's; the rest to everyone subscribed. */
function wants(feed: Feed, entry: Entry): boolean {
  if (entry.audience === 'all') return true;
  if (entry.audience === 'tree') return feed.tree;
  if (entry.audience === 'tree-run') return feed.tree && feed.treeRuns;
  const e = entry.run!;
  return feed.followed.has(e.runId) || (feed.runs && e.type !== 'entry.appended');
}

/**
 * Whether the feed follows the entry's run. A followed run is the detail: it gets every start of a
 * step (its timeline is drawn from them), only the all-runs feed drops the starts of steps that
 * ended in the same batch. Its superseded states are dropped for every feed.
 */
function followed(feed: Feed, entry: Entry): boolean {
  return entry.run !== null && entry.run.type === 'step.started' && feed.followed.has(entry.run.runId);
}
