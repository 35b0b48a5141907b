// The page's picture of the server, kept up to date from the inspector protocol's snapshots and
// events (docs/inspector-protocol.md): runs, the actor tree, step attempts for the timelines,
// pending approvals, the selected run's context log. No DOM here: `apply` returns which panels
// changed and the page redraws those.

import { StepWindow } from './metrics.js';

/** Run statuses after which nothing more happens. */
const FINISHED = new Set(['completed', 'failed', 'cancelled']);
/** Supervisor decisions remembered for the tree panel. */
const MAX_DECISIONS = 50;
/** Runs whose attempts are kept (the newest); older finished ones are forgotten. */
const MAX_TRACKED_RUNS = 500;
/** Runs kept at all; older finished ones are forgotten (the API still lists them). */
const MAX_RUNS = 2000;

/** @param {string} status */
export function isFinished(status) {
  return FINISHED.has(status);
}

/**
 * One bar of a run's timeline: a step attempt, or a wait for approval.
 * @typedef {{ kind: 'step' | 'approval', step: string, agent?: string, attempt: number, start: number, end: number | null,
 *   outcome: 'running' | 'completed' | 'failed' | 'retried' | 'timed-out' | 'cancelled' | 'waiting' | 'approved' | 'rejected', fromLog?: boolean, seq?: number }} Attempt
 *   `seq`: the log entry of a completed step, when known (the same execution seen live and in the log is one bar)
 */

export class Model {
  /** @type {Map<string, any>} run id → run summary (as the protocol's `RunSummary`, plus `placeholder` until known) */
  runs = new Map();
  /** @type {Map<string, Attempt[]>} */
  attempts = new Map();
  /** @type {Map<string, { prompt?: string, since: number }>} `runId\u0000step` → the approval's prompt */
  prompts = new Map();
  /** @type {Map<string, any>} actor session id → actor info */
  actors = new Map();
  /** @type {{ at: number, supervisor: string, child: string, decision: string, delayMs?: number, error?: string }[]} newest first */
  decisions = [];
  /** @type {Map<string, string>} agent → circuit state */
  circuits = new Map();
  /** @type {string | null} */
  selected = null;
  /** @type {any[]} the selected run's context entries, by seq */
  entries = [];
  /** @type {(runId: string) => void} called once for a run an event names before any summary did */
  onUnknownRun = () => undefined;
  window;
  /** Digests came: the step counts are theirs (every step), not the events'. */
  #digests = false;

  /** @param {number} now */
  constructor(now) {
    this.window = new StepWindow(now);
  }

  /**
   * Take a subscription's snapshot.
   * @param {any} snap
   * @returns {Set<string>} the panels it changes
   */
  snapshot(snap) {
    switch (snap.kind) {
      case 'runs':
        for (const run of snap.runs) this.#setRun(run, true);
        return new Set(['runs', 'approvals', 'metrics', 'run']);
      case 'tree':
        this.actors = new Map(snap.actors.map((a) => [a.id, a]));
        return new Set(['tree']);
      case 'run':
        this.#setRun(snap.run, true);
        if (snap.run.id === this.selected) {
          // Merged, not replaced: events sent while the server read the snapshot may have come first.
          const seen = new Set(this.entries.map((e) => e.seq));
          this.entries.push(...snap.entries.filter((e) => !seen.has(e.seq)));
          this.entries.sort((a, b) => a.seq - b.seq);
          for (const e of this.entries) this.#attemptFromEntry(snap.run.id, e);
        }
        return new Set(['runs', 'run', 'log', 'approvals']);
      default:
        return new Set();
    }
  }

  /**
   * Take one event of the stream.
   * @param {any} e - the event
   * @param {number} at - when it happened (server time, epoch ms)
   * @returns {Set<string>} the panels it changes
   */
  apply(e, at) {
    switch (e.type) {
      case 'actor.spawned':
        this.actors.set(e.actor.id, e.actor);
        return new Set(['tree']);
      case 'actor.stopped': {
        const a = this.actors.get(e.id);
        if (a) this.actors.set(e.id, { ...a, status: e.status });
        return new Set(['tree']);
      }
      case 'supervisor.decision':
        this.decisions.unshift({ ...e, at });
        this.decisions.length = Math.min(this.decisions.length, MAX_DECISIONS);
        return new Set(['tree']);
      case 'circuit.changed':
        this.circuits.set(e.agent, e.state);
        return new Set(['metrics']);
      case 'step.started':
      case 'step.retried': {
        const run = this.#run(e.runId, at);
        if (e.type === 'step.retried') this.#close(e.runId, 'step', e.step, at, 'retried');
        // A bar drawn from the log for this very execution (the snapshot came first) gives way.
        const list = this.#attempts(e.runId);
        this.attempts.set(e.runId, list.filter((a) => !(a.fromLog && a.step === e.step && overlaps(a, at, Infinity))));
        this.#attempts(e.runId).push({ kind: 'step', step: e.step, agent: e.agent, attempt: e.attempt, start: at, end: null, outcome: 'running' });
        if (!run.currentSteps.includes(e.step)) run.currentSteps = [...run.currentSteps, e.step];
        return this.#changed(e.runId, ['runs']);
      }
      case 'step.completed':
      case 'step.failed': {
        const run = this.#run(e.runId, at);
        const failed = e.type === 'step.failed';
        const closed = this.#close(e.runId, 'step', e.step, at, failed ? 'failed' : 'completed', e.seq);
        // Started before the page watched (or its start was coalesced away): drawn from its
        // duration, unless the log drew it already (the same entry, or overlapping in time).
        const drawn = (/** @type {Attempt} */ a) => (e.seq !== undefined && a.seq === e.seq) || (a.kind === 'step' && a.step === e.step && overlaps(a, at - (e.durationMs ?? 0), at));
        if (!closed && e.durationMs !== undefined && !this.#attempts(e.runId).some(drawn)) {
          this.#attempts(e.runId).push({ kind: 'step', step: e.step, agent: e.agent, attempt: e.attempts ?? 1, start: at - e.durationMs, end: at, outcome: failed ? 'failed' : 'completed', ...(e.seq === undefined ? {} : { seq: e.seq }) });
        }
        run.currentSteps = run.currentSteps.filter((s) => s !== e.step);
        // Once digests come, their histograms count every step (a followed run's too).
        if (!this.#digests) this.window.record(at, e.durationMs, failed);
        return this.#changed(e.runId, ['runs', 'metrics']);
      }
      case 'step.timed-out': {
        const last = this.#attempts(e.runId).findLast((a) => a.kind === 'step' && a.step === e.step);
        if (last) last.outcome = 'timed-out';
        return this.#changed(e.runId, []);
      }
      case 'run.state': {
        this.#setRun(e.run);
        if (isFinished(e.run.status)) for (const a of this.#attempts(e.run.id)) if (a.end === null) Object.assign(a, { end: at, outcome: 'cancelled' });
        return this.#changed(e.run.id, ['runs', 'approvals', 'metrics']);
      }
      case 'approval.waiting': {
        const run = this.#run(e.runId, at);
        if (!run.pendingApprovals.includes(e.step)) run.pendingApprovals = [...run.pendingApprovals, e.step];
        this.prompts.set(key(e.runId, e.step), { ...(e.prompt === undefined ? {} : { prompt: e.prompt }), since: at });
        const open = this.#attempts(e.runId).find((a) => a.kind === 'approval' && a.step === e.step && a.end === null);
        if (open) Object.assign(open, { start: at, fromLog: false });
        else this.#attempts(e.runId).push({ kind: 'approval', step: e.step, attempt: 1, start: at, end: null, outcome: 'waiting' });
        return this.#changed(e.runId, ['runs', 'approvals']);
      }
      case 'approval.decided': {
        const run = this.#run(e.runId, at);
        run.pendingApprovals = run.pendingApprovals.filter((s) => s !== e.step);
        this.prompts.delete(key(e.runId, e.step));
        this.#close(e.runId, 'approval', e.step, at, e.approved ? 'approved' : 'rejected');
        return this.#changed(e.runId, ['runs', 'approvals']);
      }
      case 'context.appended': {
        const run = this.#run(e.runId, at);
        if (e.entry.seq > run.headSeq) Object.assign(run, { headSeq: e.entry.seq, headHash: e.entry.hash });
        if (e.runId === this.selected && !this.entries.some((x) => x.seq === e.entry.seq)) {
          this.entries.push(e.entry);
          this.entries.sort((a, b) => a.seq - b.seq);
        }
        this.#attemptFromEntry(e.runId, e.entry);
        return this.#changed(e.runId, []);
      }
      default:
        return new Set(); // reflection decisions and anything newer: not shown yet
    }
  }

  /**
   * Take a digest of the all-runs feed: the overview of the runs the page does not follow (its
   * other events come as `events`): the steps that completed, every run's (for the rates: a histogram), the steps running
   * now, the runs' latest states (tuples: docs/inspector-protocol.md).
   * @param {{ at: number, workflows: string[], runs: any[][], finished: { statuses: string[], ids: string[], workflow: number[], status: number[], createdAgo: number[], updatedAgo: number[], headSeq: number[], parent?: (string | null)[] } | null, steps: Record<string, string[]>, completed: { count: number, failed: number, le: number[], counts: number[] } | null }} d
   * @returns {Set<string>} the panels it changes
   */
  digest(d) {
    const panels = new Set();
    const add = (/** @type {Set<string>} */ changed) => changed.forEach((p) => panels.add(p));
    this.#digests = true;
    if (d.completed !== null) {
      this.window.recordDigest(d.at, d.completed);
      panels.add('metrics');
    }
    for (const [runId, steps] of Object.entries(d.steps)) {
      this.#run(runId, d.at).currentSteps = [...steps];
      add(this.#changed(runId, ['runs']));
    }
    // A digest leaves out the head's hash (the one known is kept); workflows by index, times before its `at`.
    const state = (/** @type {any[]} */ [id, workflow, status, createdAgo, updatedAgo, headSeq, currentSteps, pendingApprovals, parentRunId]) => {
      const run = {
        id,
        workflow: d.workflows[workflow],
        status,
        createdAt: d.at - createdAgo,
        updatedAt: d.at - updatedAgo,
        headSeq,
        headHash: this.runs.get(id)?.headHash ?? '',
        currentSteps,
        pendingApprovals,
        ...(parentRunId == null ? {} : { parentRunId }),
      };
      add(this.apply({ type: 'run.state', run }, d.at));
    };
    for (const tuple of d.runs) state(tuple);
    const f = d.finished;
    if (f) f.ids.forEach((id, i) => state([id, f.workflow[i], f.statuses[f.status[i]], f.createdAgo[i], f.updatedAgo[i], f.headSeq[i], [], [], f.parent?.[i]]));
    return panels;
  }

  /**
   * Follow another run: its log comes with the run subscription's snapshot.
   * @param {string | null} runId
   */
  select(runId) {
    this.selected = runId;
    this.entries = [];
  }

  /**
   * What `GET /runs/:id` said about a run the stream named first.
   * @param {{ run: any, pendingApprovals: string[] }} shown
   */
  fill(shown) {
    const current = this.runs.get(shown.run.id);
    if (current && !current.placeholder) return;
    this.#setRun({ ...shown.run, pendingApprovals: shown.pendingApprovals });
  }

  /** Every pending approval, oldest first. */
  pendingApprovals() {
    const out = [];
    for (const run of this.runs.values()) {
      for (const step of run.pendingApprovals) out.push({ run, step, ...(this.prompts.get(key(run.id, step)) ?? { since: run.updatedAt }) });
    }
    return out.sort((a, b) => a.since - b.since);
  }

  /** Runs by status. */
  counts() {
    /** @type {Record<string, number>} */
    const counts = {};
    for (const r of this.runs.values()) counts[r.status] = (counts[r.status] ?? 0) + 1;
    return counts;
  }

  /**
   * @param {any} summary
   * @param {boolean} [snapshot] - from a snapshot, which may be older than events already taken:
   *   kept only when it is not behind what the page has.
   */
  #setRun(summary, snapshot = false) {
    const old = this.runs.get(summary.id);
    if (snapshot && old && !old.placeholder && (old.updatedAt > summary.updatedAt || old.headSeq > summary.headSeq)) return;
    this.runs.set(summary.id, { ...summary, currentSteps: [...(summary.currentSteps ?? [])], pendingApprovals: [...(summary.pendingApprovals ?? [])], placeholder: false });
    if (!old) this.#forgetOld();
    // A wait that began before the page watched: drawn from the run's last change (at the latest).
    for (const step of summary.pendingApprovals ?? []) {
      const list = this.#attempts(summary.id);
      if (!list.some((a) => a.kind === 'approval' && a.step === step && a.end === null)) list.push({ kind: 'approval', step, attempt: 1, start: summary.updatedAt, end: null, outcome: 'waiting', fromLog: true });
    }
  }

  /** The run an event names; a placeholder (and a look-up) when none is known yet. */
  #run(runId, at) {
    let run = this.runs.get(runId);
    if (!run) {
      run = { id: runId, workflow: '…', status: 'running', currentSteps: [], createdAt: at, updatedAt: at, headSeq: 0, headHash: '', pendingApprovals: [], placeholder: true };
      this.runs.set(runId, run);
      this.onUnknownRun(runId);
    }
    return run;
  }

  /** @returns {Attempt[]} */
  #attempts(runId) {
    let list = this.attempts.get(runId);
    if (!list) this.attempts.set(runId, (list = []));
    return list;
  }

  /** Close the open bar of a step (`seq`: the log entry it became); false when none was open. */
  #close(runId, kind, step, at, outcome, seq = undefined) {
    const open = this.#attempts(runId).findLast((a) => a.kind === kind && a.step === step && a.end === null);
    if (!open) return false;
    Object.assign(open, { end: at, outcome, ...(seq === undefined ? {} : { seq }) });
    return true;
  }

  /** A bar for a logged step the page did not see run (it ran before the page watched). */
  #attemptFromEntry(runId, entry) {
    if (entry.kind !== 'step' && entry.kind !== 'error') return;
    const list = this.#attempts(runId);
    const start = entry.at - (entry.durationMs ?? 0);
    if (list.some((a) => a.seq === entry.seq || (a.kind === 'step' && a.step === entry.step && overlaps(a, start, entry.at)))) return;
    list.push({ kind: 'step', step: entry.step, agent: entry.agent, attempt: entry.attempts ?? 1, start, end: entry.at, outcome: entry.kind === 'error' ? 'failed' : 'completed', fromLog: true, seq: entry.seq });
    list.sort((a, b) => a.start - b.start);
  }

  /** The panels an event of `runId` changes: the run's own too when it is the selected one. */
  #changed(runId, panels) {
    const set = new Set(panels);
    if (runId === this.selected) set.add('run').add('log');
    return set;
  }

  /** Keep memory bounded: forget the oldest finished runs (first their attempts, then them). */
  #forgetOld() {
    const forget = (/** @type {Map<string, unknown>} */ map, /** @type {number} */ max) => {
      for (const id of map.keys()) {
        if (map.size <= max) return;
        const run = this.runs.get(id);
        if (id !== this.selected && (!run || isFinished(run.status))) map.delete(id);
      }
    };
    forget(this.attempts, MAX_TRACKED_RUNS);
    forget(this.runs, MAX_RUNS);
  }
}

/**
 * Whether a bar and a time range overlap (an open bar runs on): two bars of one step that overlap
 * are one execution seen twice (from the log and live); a loop's executions follow each other.
 * @param {Attempt} a @param {number} start @param {number} end
 */
function overlaps(a, start, end) {
  return a.start <= end && (a.end ?? Infinity) >= start;
}

/** @param {string} runId @param {string} step */
function key(runId, step) {
  return `${runId}\u0000${step}`;
}
