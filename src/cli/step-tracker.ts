import type { RunEvent } from '../index.js';
import type { StepRow } from './format.js';

interface Pending {
  row: StepRow;
  runId: string;
  rawStep: string;
  /** Just completed: an `approval.requested` for it may still follow. */
  fresh: boolean;
}

/**
 * Turns a run's events (its sub-runs' included) into table rows, in completion order. A row is
 * released once it is final: a completed step is held until the next event shows whether it
 * waits for an approval, and a waiting one until the decision.
 */
export class StepTracker {
  readonly rows: StepRow[] = [];
  readonly #rootId: string;
  readonly #onRow: (row: StepRow) => void;
  readonly #now: () => number;
  readonly #autoApprove: boolean;
  readonly #started = new Map<string, { runId: string; step: string; agent: string; at: number; attempts: number }>();
  readonly #ended = new Set<string>();
  readonly #queue: Pending[] = [];

  /**
   * @param rootId - the run the CLI started; events of other ids are its sub-runs.
   * @param onRow - called once per row, when it is final.
   */
  constructor(options: { rootId: string; autoApprove: boolean; onRow: (row: StepRow) => void; now?: () => number }) {
    this.#rootId = options.rootId;
    this.#onRow = options.onRow;
    this.#autoApprove = options.autoApprove;
    this.#now = options.now ?? (() => performance.now());
  }

  /** Feed one event. */
  handle(e: RunEvent): void {
    if (e.type !== 'approval.requested') for (const p of this.#queue) p.fresh = false;
    switch (e.type) {
      case 'step.started': {
        const key = keyOf(e.runId, e.step);
        const prev = this.#started.get(key);
        this.#started.set(key, { runId: e.runId, step: e.step, agent: e.agent, at: prev?.at ?? this.#now(), attempts: e.attempt });
        break;
      }
      case 'step.completed': {
        const { entry } = e;
        this.#ended.add(keyOf(e.runId, entry.step));
        const started = this.#started.get(keyOf(e.runId, entry.step));
        const row: StepRow = {
          step: this.label(e.runId, entry.step),
          agent: entry.agent ?? started?.agent ?? null,
          durationMs: entry.durationMs ?? null,
          attempts: entry.attempts ?? started?.attempts ?? 1,
          outcome: 'ok',
        };
        this.#queue.push({ row, runId: e.runId, rawStep: entry.step, fresh: true });
        break;
      }
      case 'step.failed': {
        this.#ended.add(keyOf(e.runId, e.step));
        const started = this.#started.get(keyOf(e.runId, e.step));
        const row: StepRow = {
          step: this.label(e.runId, e.step),
          agent: started?.agent ?? null,
          durationMs: started ? this.#now() - started.at : null,
          attempts: started?.attempts ?? 1,
          outcome: 'failed',
          error: e.error,
        };
        this.#queue.push({ row, runId: e.runId, rawStep: e.step, fresh: false });
        break;
      }
      case 'approval.requested': {
        let p = this.#queue.find((q) => q.fresh && q.runId === e.runId && q.rawStep === e.step);
        if (!p) {
          p = { row: { step: this.label(e.runId, e.step), agent: null, durationMs: null, attempts: 1, outcome: 'ok' }, runId: e.runId, rawStep: e.step, fresh: false };
          this.#queue.push(p);
        }
        p.fresh = false;
        // With --auto-approve the runtime approves at once; otherwise the CLI reports the decision.
        p.row.outcome = this.#autoApprove ? 'approved' : 'waiting';
        break;
      }
      case 'run.status':
        break;
    }
    this.#drain();
  }

  /** Record the decision the CLI made on a waiting step. */
  decided(runId: string, step: string, approved: boolean): void {
    const p = this.#queue.find((q) => q.runId === runId && q.rawStep === step && q.row.outcome === 'waiting');
    if (p) p.row.outcome = approved ? 'approved' : 'rejected';
    this.#drain();
  }

  /**
   * The run is over: release every row still held (waiting ones stay `waiting`).
   *
   * @param cancelled - the run was cancelled: steps still in flight get a `cancelled` row.
   */
  finish(cancelled = false): void {
    for (const p of this.#queue) p.fresh = false;
    if (cancelled) {
      for (const [key, s] of this.#started) {
        if (this.#ended.has(key)) continue;
        const row: StepRow = { step: this.label(s.runId, s.step), agent: s.agent, durationMs: this.#now() - s.at, attempts: s.attempts, outcome: 'cancelled' };
        this.#queue.push({ row, runId: s.runId, rawStep: s.step, fresh: false });
      }
    }
    this.#drain(true);
  }

  /** The table label of a step: sub-run steps are prefixed with the calling steps (`call/step`). */
  label(runId: string, step: string): string {
    if (runId === this.#rootId || !runId.startsWith(`${this.#rootId}/`)) return step;
    // Sub-run ids are `<parent>/<step>:<suffix>`, nested once per level.
    const path = runId
      .slice(this.#rootId.length + 1)
      .split('/')
      .map((part) => part.replace(/:[^:]*$/, ''));
    return [...path, step].join('/');
  }

  #drain(all = false): void {
    while (this.#queue.length > 0) {
      const head = this.#queue[0]!;
      if (!all && (head.fresh || head.row.outcome === 'waiting')) return;
      this.#queue.shift();
      this.rows.push(head.row);
      this.#onRow(head.row);
    }
  }
}

function keyOf(runId: string, step: string): string {
  return `${runId}\u0000${step}`;
}
