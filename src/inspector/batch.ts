import type { RunEvent, RunHandle } from '../workflow/index.js';
import type { RunRecord } from '../store/index.js';
import { runEventToInspector, summary } from './hub.js';
import type { InspectorEvent } from './protocol.js';

/** What a client's subscriptions cover. A batch is filtered and framed once per distinct feed. */
export interface Feed {
  /** The all-runs feed… */
  readonly runs: boolean;
  /** …taken as a digest: the overview's events go in `digest` frames, the rest in `events` frames. */
  readonly digest: boolean;
  readonly tree: boolean;
  /** Followed runs' ids. */
  readonly followed: ReadonlySet<string>;
}

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
  readonly event: InspectorEvent | null;
  /** Actor events go to the tree's followers, circuits and the like to everyone subscribed. */
  readonly audience: 'tree' | 'all' | 'run';
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

  /** Keep another event. */
  add(event: InspectorEvent, at: number): void {
    const audience = event.type.startsWith('actor.') || event.type === 'supervisor.decision' ? 'tree' : 'all';
    this.#entries.push({ at, run: null, event, audience, dropped: false, json: undefined });
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

/** A run's part of one overview. */
interface OverviewRun {
  readonly runId: string;
  /** Its status changed in this interval. */
  status: boolean;
  /** Once it finished (it changes no more): its record then, copied, so that the overview does not keep the whole run (its log, its actor) alive until the flush; null when it is not in this process. */
  finished: RunRecord | null | undefined;
  /** What the digest says of it, as JSON, made at the flush, once for every frame ('' when it is not in this process): its tuple, or its steps running now. */
  json: string | undefined;
}

/**
 * The all-runs feed as an overview, gathered over a digest interval (longer than the events'
 * batches: an overview of a thousand runs need not change twenty times a second): per run, only
 * whether its status or its steps changed; per completed step, its duration. Nothing per event is
 * kept, and nothing is built until the flush. Framed as one `digest` frame per distinct set of
 * followed runs (a followed run is left out: its events come in full).
 */
export class Overview {
  #runs = new Map<string, OverviewRun>();
  #last: OverviewRun | undefined;
  /** The steps completed in this interval (for the digests' rates): whose, and how long each took (NaN: unknown; a list of plain doubles). */
  #doneRuns: string[] = [];
  #doneMs: number[] = [];

  constructor(readonly live: (runId: string) => RunHandle | undefined) {}

  get size(): number {
    return this.#runs.size;
  }

  /** Note a run's event the overview stands for (others are ignored). */
  add(e: RunEvent): void {
    if (!inOverview(e)) return;
    // A step's end and the next step's start come one after the other: the run is often the last one.
    let run = this.#last !== undefined && this.#last.runId === e.runId ? this.#last : this.#runs.get(e.runId);
    if (run === undefined) {
      run = { runId: e.runId, status: false, finished: undefined, json: undefined };
      this.#runs.set(e.runId, run);
    }
    this.#last = run;
    if (e.type === 'step.completed') {
      this.#doneRuns.push(e.runId);
      this.#doneMs.push(e.entry.durationMs ?? NaN);
    } else if (e.type === 'run.status') {
      run.status = true;
      if (FINISHED.has(e.status)) run.finished = this.live(e.runId)?.status() ?? null;
    }
  }

  /** The `digest` frame for a client following `followed` (null: nothing for it). Call {@link clear} after the last one. */
  frame(followed: ReadonlySet<string>): string | null {
    let completed = '';
    for (let i = 0; i < this.#doneRuns.length; i++) {
      if (followed.size === 0 || !followed.has(this.#doneRuns[i]!)) completed += `${completed === '' ? '' : ','}${ms(this.#doneMs[i]!)}`;
    }
    let runs = '';
    let steps = '';
    for (const run of this.#runs.values()) {
      if (followed.size > 0 && followed.has(run.runId)) continue;
      const json = this.#json(run);
      if (json === '') continue;
      if (run.status) runs += `${runs === '' ? '' : ','}${json}`;
      else steps += `${steps === '' ? '' : ','}${json}`;
    }
    if (runs === '' && steps === '' && completed === '') return null;
    return `{"type":"digest","at":${Date.now()},"runs":[${runs}],"steps":{${steps}},"completed":[${completed}]}`;
  }

  clear(): void {
    this.#runs = new Map();
    this.#last = undefined;
    this.#doneRuns = [];
    this.#doneMs = [];
  }

  #json(run: OverviewRun): string {
    if (run.json === undefined) {
      if (run.finished !== undefined) run.json = run.finished === null ? '' : runTuple(run.finished, []);
      else {
        const handle = this.live(run.runId);
        if (handle === undefined) run.json = '';
        else if (run.status) run.json = runTuple(handle.status(), handle.pendingApprovals());
        else run.json = `${JSON.stringify(run.runId)}:${list(handle.currentSteps())}`;
      }
    }
    return run.json;
  }
}

/**
 * A run as a digest shows it, as JSON: `[id, workflow, status, createdAt, updatedAt, headSeq,
 * currentSteps, pendingApprovals]` and `parentRunId` last when it has one (docs/inspector-protocol.md).
 */
function runTuple(r: RunRecord, approvals: readonly string[]): string {
  const head = `[${JSON.stringify(r.id)},${JSON.stringify(r.workflow)},"${r.status}",${r.createdAt},${r.updatedAt},${r.headSeq},${list(r.currentSteps)},${list(approvals)}`;
  return r.parentRunId === undefined ? `${head}]` : `${head},${JSON.stringify(r.parentRunId)}]`;
}

/** A list of names as JSON (most are empty). */
function list(names: readonly string[]): string {
  return names.length === 0 ? '[]' : JSON.stringify(names);
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

/** A duration for the digest: to the µs (null: unknown, NaN). */
function ms(durationMs: number): string {
  return Number.isNaN(durationMs) ? 'null' : String(Math.round(durationMs * 1000) / 1000);
}
