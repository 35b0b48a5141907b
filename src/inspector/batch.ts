import type { RunEvent, RunHandle } from '../workflow/index.js';
import { runEventToInspector, summary } from './hub.js';
import type { InspectorEvent, RunSummary } from './protocol.js';

/** What a client's subscriptions cover. A batch is filtered and framed once per distinct feed. */
export interface Feed {
  /** The all-runs feed… */
  readonly runs: boolean;
  /** …taken as a digest. */
  readonly digest: boolean;
  readonly tree: boolean;
  /** Followed runs' ids. */
  readonly followed: ReadonlySet<string>;
}

/** A run's part of one batch. */
interface RunSlot {
  readonly runId: string;
  /** The run's handle, looked up at its first status event of the batch (or at the flush). */
  handle: RunHandle | undefined;
  /** Its status changed in this batch. */
  status: boolean;
  /** The entry of its last `run.status` of the batch, when some feed takes events: the earlier ones are dropped (the latest state wins). */
  statusEntry: Entry | null;
  /** First attempts started in this batch whose end has not come yet, by step: dropped (but for the run's followers) when it comes. */
  open: Map<string, Entry> | null;
  /** A step started or ended in this batch (the digest's `steps`). */
  moved: boolean;
  /** Its summary for the digest, taken once, at the flush (the latest) or when it finished, and as JSON. */
  summary: RunSummary | null | undefined;
  digestJson: string | undefined;
}

/** One event of the batch: a run's (raw, as the runtime emitted it) or another (built). */
interface Entry {
  readonly at: number;
  readonly run: RunEvent | null;
  readonly event: InspectorEvent | null;
  readonly slot: RunSlot | null;
  /** Actor events go to the tree's followers, circuits and the like to everyone subscribed. */
  readonly audience: 'tree' | 'all' | 'run';
  dropped: boolean;
  /** Its stamped events as JSON (comma-separated; '' for none), made once for every feed that wants it. */
  json: string | undefined;
}

const FINISHED: ReadonlySet<string> = new Set(['completed', 'failed', 'cancelled']);

/** Run events the digest's overview stands for (for runs the client does not follow). */
function inOverview(e: RunEvent): boolean {
  return e.type === 'run.status' || e.type === 'step.completed' || (e.type === 'step.started' && e.attempt === 1);
}

/**
 * The events of one flush interval, kept as they come (a run's events raw: nothing is built for
 * them until the flush), coalesced — a run's latest state only, a step's start dropped when its end
 * is in the same batch — and framed once per distinct feed: an `events` frame, or a `digest`
 * frame for a client that takes the all-runs feed as an overview.
 */
export class EventBatch {
  #entries: Entry[] = [];
  #slots = new Map<string, RunSlot>();
  /** The steps completed in this batch (for the digests' rates): whose, and how long each took. */
  #doneSlots: RunSlot[] = [];
  #doneMs: (number | undefined)[] = [];
  /** Whether some client takes the all-runs feed as events, and the runs some client follows. */
  #full = false;
  #followed: ReadonlySet<string> = new Set();

  constructor(readonly live: (runId: string) => RunHandle | undefined) {}

  /**
   * Who the events are for (set when subscriptions change, which flushes first). When every client
   * of the all-runs feed takes it as a digest, a run nobody follows keeps no event the digest's
   * overview stands for: its steps and states are noted on the run, nothing per event is kept.
   */
  interest(full: boolean, followed: ReadonlySet<string>): void {
    this.#full = full;
    this.#followed = followed;
  }

  get size(): number {
    return this.#entries.length + this.#slots.size;
  }

  /** Keep a run's event. */
  addRun(e: RunEvent, at: number): void {
    let slot = this.#slots.get(e.runId);
    if (slot === undefined) {
      slot = { runId: e.runId, handle: undefined, status: false, statusEntry: null, open: null, moved: false, summary: undefined, digestJson: undefined };
      this.#slots.set(e.runId, slot);
    }
    const keep = this.#full || !inOverview(e) || this.#followed.has(e.runId);
    const entry: Entry | null = keep ? { at, run: e, event: null, slot, audience: 'run', dropped: false, json: undefined } : null;
    switch (e.type) {
      case 'step.started':
        slot.moved = true;
        if (entry !== null && e.attempt === 1) (slot.open ??= new Map()).set(e.step, entry);
        break;
      case 'step.completed':
      case 'step.failed': {
        slot.moved = true;
        const step = e.type === 'step.completed' ? e.entry.step : e.step;
        const started = slot.open?.get(step);
        if (started !== undefined) {
          started.dropped = true;
          slot.open!.delete(step);
        }
        if (e.type === 'step.completed') {
          this.#doneSlots.push(slot);
          this.#doneMs.push(e.entry.durationMs);
        }
        break;
      }
      case 'run.status':
        slot.status = true;
        slot.handle ??= this.live(e.runId);
        // A finished run changes no more: its summary is taken now, so the batch does not keep the
        // whole run (its log, its actor) alive until the flush.
        if (FINISHED.has(e.status)) {
          slot.summary = slot.handle === undefined ? null : summary(slot.handle.status(), slot.handle);
          slot.handle = undefined;
        }
        if (entry !== null) {
          if (slot.statusEntry !== null) slot.statusEntry.dropped = true;
          slot.statusEntry = entry;
          // In a stream of events, the state as it was then: a run's record may be further on by
          // the flush (it finishes before it says so), and a state must not come before the events that led to it.
          const run = slot.summary ?? (slot.handle === undefined ? null : summary(slot.handle.status(), slot.handle));
          entry.json = run === null ? '' : stamped(at, `{"type":"run.state","run":${JSON.stringify(run)}}`);
        }
        break;
      case 'compensation.completed':
      case 'operator.recorded':
        return; // they arrive as entry.appended too
    }
    if (entry !== null) this.#entries.push(entry);
  }

  /** Keep another event. */
  add(event: InspectorEvent, at: number): void {
    const audience = event.type.startsWith('actor.') || event.type === 'supervisor.decision' ? 'tree' : 'all';
    this.#entries.push({ at, run: null, event, slot: null, audience, dropped: false, json: undefined });
  }

  /** The frame for `feed` (null: nothing for it). Call {@link clear} after the last feed. */
  frame(feed: Feed): string | null {
    return feed.digest && feed.runs ? this.#digest(feed) : this.#events(feed);
  }

  clear(): void {
    this.#entries = [];
    this.#slots = new Map();
    this.#doneSlots = [];
    this.#doneMs = [];
  }

  #events(feed: Feed): string | null {
    let body = '';
    for (const entry of this.#entries) {
      if (!wants(feed, entry) || (entry.dropped && !followed(feed, entry))) continue;
      const json = this.#json(entry);
      if (json !== '') body = body === '' ? json : `${body},${json}`;
    }
    return body === '' ? null : `{"type":"events","events":[${body}]}`;
  }

  #digest(feed: Feed): string | null {
    let events = '';
    for (const entry of this.#entries) {
      const e = entry.run;
      if (e !== null && inOverview(e) && !feed.followed.has(e.runId)) continue; // the overview stands for it
      if (!wants(feed, entry) || (entry.dropped && !followed(feed, entry))) continue;
      const json = this.#json(entry);
      if (json !== '') events = events === '' ? json : `${events},${json}`;
    }
    let completed = '';
    for (let i = 0; i < this.#doneSlots.length; i++) {
      if (!feed.followed.has(this.#doneSlots[i]!.runId)) completed += `${completed === '' ? '' : ','}${ms(this.#doneMs[i])}`;
    }
    let runs = '';
    let steps = '';
    for (const slot of this.#slots.values()) {
      if (feed.followed.has(slot.runId)) continue;
      if (slot.status) {
        const json = this.#digestRun(slot);
        if (json !== '') runs += `${runs === '' ? '' : ','}${json}`;
      } else if (slot.moved) {
        slot.handle ??= this.live(slot.runId);
        if (slot.handle !== undefined) steps += `${steps === '' ? '' : ','}${JSON.stringify(slot.runId)}:${JSON.stringify(slot.handle.status().currentSteps)}`;
      }
    }
    if (events === '' && runs === '' && steps === '' && completed === '') return null;
    return `{"type":"digest","at":${Date.now()},"runs":[${runs}],"steps":{${steps}},"completed":[${completed}],"events":[${events}]}`;
  }

  /** A run's summary, taken once per batch: the latest (null when the run is not in this process). */
  #summary(slot: RunSlot): RunSummary | null {
    if (slot.summary === undefined) slot.summary = slot.handle === undefined ? null : summary(slot.handle.status(), slot.handle);
    return slot.summary;
  }

  /**
   * The summary as a digest shows it ('' for none): without the head's hash (an overview's reader
   * has no use for it; a followed run's states carry it), and without empty lists.
   */
  #digestRun(slot: RunSlot): string {
    if (slot.digestJson === undefined) {
      const run = this.#summary(slot);
      slot.digestJson =
        run === null
          ? ''
          : JSON.stringify({
              ...run,
              headHash: undefined,
              currentSteps: run.currentSteps.length === 0 ? undefined : run.currentSteps,
              pendingApprovals: run.pendingApprovals.length === 0 ? undefined : run.pendingApprovals,
            });
    }
    return slot.digestJson;
  }

  #json(entry: Entry): string {
    if (entry.json !== undefined) return entry.json;
    let json = '';
    if (entry.event !== null) json = stamped(entry.at, JSON.stringify(entry.event));
    else for (const ev of runEventToInspector(entry.run!, undefined)) json += `${json === '' ? '' : ','}${stamped(entry.at, JSON.stringify(ev))}`;
    entry.json = json;
    return json;
  }
}

function stamped(at: number, event: string): string {
  return `{"at":${at},"event":${event}}`;
}

/** Whether a feed covers an entry: run events go to the run's followers and (but for context entries) to the all-runs feed; actor events to the tree's; the rest to everyone subscribed. */
function wants(feed: Feed, entry: Entry): boolean {
  if (entry.audience === 'all') return true;
  if (entry.audience === 'tree') return feed.tree;
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

/** A duration for the digest: to the µs (null: unknown). */
function ms(durationMs: number | undefined): string {
  return durationMs === undefined ? 'null' : String(Math.round(durationMs * 1000) / 1000);
}
