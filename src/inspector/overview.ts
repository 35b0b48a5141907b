import type { StepTotals } from '../metrics/index.js';
import type { RunRecord, RunStatus } from '../store/index.js';
import type { RunEvent, RunHandle } from '../workflow/index.js';

const FINISHED: ReadonlySet<string> = new Set(['completed', 'failed', 'cancelled']);

/** Where an {@link Overview} reads the runs and the steps' totals. */
export interface OverviewSource {
  /** A run of this process (live or recently finished), if any. */
  live(runId: string): RunHandle | undefined;
  /** The runs not finished. */
  active(): Iterable<RunHandle>;
  /** Every step so far (the step-duration histogram summed over agents and outcomes). */
  stepTotals(): StepTotals;
}

/** What a run's digest tuple is made of. */
type TupleFields = Readonly<Pick<RunRecord, 'id' | 'workflow' | 'status' | 'createdAt' | 'updatedAt' | 'headSeq' | 'parentRunId'>> & { readonly currentSteps: readonly string[] };

const NO_RUNS: ReadonlySet<string> = new Set();

/** Runs and what a digest says of each (JSON), in two lists. */
interface Said {
  readonly ids: string[];
  readonly json: string[];
}

/**
 * Runs that finished since the last digest, by column: a run kept until the digest adds a few
 * values to lists, no object of its own (its strings are the record's own); the digest's
 * `finished` columns are written at the flush, its times relative to the digest's.
 */
class Finished {
  readonly ids: string[] = [];
  readonly workflows: string[] = [];
  readonly statuses: RunStatus[] = [];
  readonly created: number[] = [];
  readonly updated: number[] = [];
  readonly heads: number[] = [];
  readonly parents: (string | undefined)[] = [];

  add(r: TupleFields): void {
    this.ids.push(r.id);
    this.workflows.push(r.workflow);
    this.statuses.push(r.status);
    this.created.push(r.createdAt);
    this.updated.push(r.updatedAt);
    this.heads.push(r.headSeq);
    this.parents.push(r.parentRunId);
  }
  /**
   * The runs as the digest's `finished` columns (docs/inspector-protocol.md), leaving out `skip`'s
   * runs; null for none. Columns, not a tuple per run: a client parses a few numbers and an id per
   * run, no array or status string of its own.
   */
  columns(at: number, workflows: Map<string, number>, skip: ReadonlySet<string>): string | null {
    // Which runs go in (all, unless some are followed): one look-up per run, not one per column.
    const kept = skip.size === 0 ? null : this.ids.map((id) => !skip.has(id));
    const pick = <T>(column: readonly T[]): readonly T[] => (kept === null ? column : column.filter((_, i) => kept[i]));
    const ids = pick(this.ids);
    if (ids.length === 0) return null;
    const statuses: RunStatus[] = [];
    const status = pick(this.statuses).map((s) => {
      const i = statuses.indexOf(s);
      return i < 0 ? statuses.push(s) - 1 : i;
    });
    const parents = pick(this.parents);
    const p = parents.some((x) => x !== undefined) ? `,"parent":${JSON.stringify(parents.map((x) => x ?? null))}` : '';
    const ago = (times: readonly number[]): string => pick(times).map((t) => at - t).join(',');
    return `{"statuses":${JSON.stringify(statuses)},"ids":${JSON.stringify(ids)},"workflow":[${pick(this.workflows).map((w) => index(workflows, w)).join(',')}],"status":[${status.join(',')}],"createdAgo":[${ago(this.created)}],"updatedAgo":[${ago(this.updated)}],"headSeq":[${pick(this.heads).join(',')}]${p}}`;
  }
}

/** One digest's content, made once at the flush and filtered per frame. */
interface Collected {
  /** Runs whose status changed (and did not finish): their tuples. */
  readonly runs: Said;
  /** Runs that finished, as columns (`null`: none). */
  readonly finished: string | null;
  /** Runs whose steps changed (only): `"id":[steps]`. */
  readonly steps: Said;
  /** The workflows the runs name, by index. */
  readonly workflows: string;
  readonly byName: Map<string, number>;
  /** The steps completed since the previous digest, as JSON (`null`: none). */
  readonly completed: string | null;
  readonly at: number;
}

/**
 * The all-runs feed as an overview, gathered over a digest interval (longer than the events'
 * batches: an overview of a thousand runs need not change twenty times a second). It costs the
 * runs nothing per step: the runtime's listener takes no step events for it. Per run it notes a
 * change of status as it comes (a finished run's fields are noted then, by column: it changes no
 * more, and the overview keeps neither the run nor a copy of its record), and at the flush it reads the runs
 * still going — whose steps changed since the previous digest — and the steps completed since then
 * from the step-duration histogram of the runtime's metrics. Framed as one `digest` frame per
 * distinct set of followed runs (a followed run is left out: its events come in full).
 */
export class Overview {
  /** Runs that finished since the last digest (a run finishes once). */
  #finished = new Finished();
  /** Runs whose status changed (but not to finished) since the last digest. */
  #changed = new Set<string>();
  /** The steps array of each run going at the last digest (a run replaces it as it moves, never changes it). */
  #said = new Map<string, readonly string[]>();
  /** The step totals at the last digest; null while the overview is off. */
  #totals: StepTotals | null = null;
  #collected: Collected | null = null;

  /**
   * @param settleMs - a new run shows up once it has run this long (the digest interval), or when
   *   its status changes (it waits, it ends): short runs, most of them at thousands a second, are
   *   told once, finished, instead of twice.
   */
  constructor(
    readonly source: OverviewSource,
    readonly settleMs = 0,
  ) {}

  /** Start gathering (idempotent): steps count from now. */
  start(): void {
    if (this.#totals === null) this.#totals = this.source.stepTotals();
  }

  /** Stop gathering and forget everything. */
  stop(): void {
    this.#totals = null;
    this.#said = new Map();
    this.clear();
  }

  /** Note a run's change of status (other events are ignored). */
  add(e: RunEvent): void {
    if (e.type !== 'run.status' || this.#totals === null) return;
    if (FINISHED.has(e.status)) {
      const handle = this.source.live(e.runId);
      if (handle !== undefined) this.#finished.add(handle.peek());
      this.#changed.delete(e.runId);
      this.#said.delete(e.runId);
    } else if (e.status !== 'running' || this.#said.has(e.runId)) this.#changed.add(e.runId); // a new run: the flush finds it
  }

  /** The `digest` frame for a client following `followed` (null: nothing for it). Call {@link clear} after the last one. */
  frame(followed: ReadonlySet<string>): string | null {
    const c = (this.#collected ??= this.#collect());
    if (c === null) return null;
    const runs = joined(c.runs, followed);
    const steps = joined(c.steps, followed);
    const finished = followed.size === 0 ? c.finished : this.#finished.columns(c.at, c.byName, followed);
    if (runs === '' && steps === '' && finished === null && c.completed === null) return null;
    return `{"type":"digest","at":${c.at},"workflows":${c.workflows},"runs":[${runs}],"finished":${finished ?? 'null'},"steps":{${steps}},"completed":${c.completed ?? 'null'}}`;
  }

  /** Forget this digest's content (after its frames are made). */
  clear(): void {
    this.#finished = new Finished();
    this.#changed = new Set();
    this.#collected = null;
  }

  #collect(): Collected | null {
    if (this.#totals === null) return null;
    const at = Date.now();
    const workflows = new Map<string, number>();
    const tuple = (r: TupleFields, approvals: readonly string[]): string => runTuple(r, approvals, at, workflows);
    const runs: Said = { ids: [], json: [] };
    const finished = this.#finished.columns(at, workflows, NO_RUNS);
    const steps: Said = { ids: [], json: [] };
    const said = new Map<string, readonly string[]>();
    for (const handle of this.source.active()) {
      const id = handle.id;
      const now = handle.currentSteps();
      const before = this.#said.get(id);
      const changed = this.#changed.has(id);
      if (before === undefined && !changed && at - handle.peek().createdAt < this.settleMs) continue; // new: told at a later digest, or when it ends
      said.set(id, now);
      if (before === undefined || changed) {
        runs.ids.push(id);
        runs.json.push(tuple(handle.peek(), handle.pendingApprovals()));
      } else if (before !== now && !sameSteps(before, now)) {
        steps.ids.push(id);
        steps.json.push(`${JSON.stringify(id)}:${JSON.stringify(now)}`);
      }
    }
    this.#said = said;
    const totals = this.source.stepTotals();
    const completed = stepsSince(this.#totals, totals);
    this.#totals = totals;
    return { runs, finished, steps, workflows: JSON.stringify([...workflows.keys()]), byName: workflows, completed, at };
  }
}

/**
 * The steps completed between two totals, as the digest's `completed`: `{count, failed, le,
 * counts}`, `le` the buckets' upper bounds in ms, `counts` the steps per bucket (one more, above the
 * last bound); null for none. Totals that went down (the metrics were reset) count from zero.
 */
function stepsSince(before: StepTotals, now: StepTotals): string | null {
  const reset = now.count < before.count;
  const count = reset ? now.count : now.count - before.count;
  if (count === 0) return null;
  const counts = Array.from(now.counts, (n, i) => (reset ? n : n - before.counts[i]!));
  const le = now.bounds.map((s) => Math.round(s * 1e6) / 1e3);
  return `{"count":${count},"failed":${reset ? now.failed : now.failed - before.failed},"le":${JSON.stringify(le)},"counts":${JSON.stringify(counts)}}`;
}

function sameSteps(a: readonly string[], b: readonly string[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * A run as a digest shows it, as JSON: `[id, workflow, status, createdAgo, updatedAgo, headSeq,
 * currentSteps, pendingApprovals]` and `parentRunId` last when it has one; `workflow` an index into
 * the digest's `workflows`, the times ms before its `at` (docs/inspector-protocol.md).
 */
function runTuple(r: TupleFields, approvals: readonly string[], at: number, workflows: Map<string, number>): string {
  const head = `[${JSON.stringify(r.id)},${index(workflows, r.workflow)},"${r.status}",${at - r.createdAt},${at - r.updatedAt},${r.headSeq},${list(r.currentSteps)},${list(approvals)}`;
  return r.parentRunId === undefined ? `${head}]` : `${head},${JSON.stringify(r.parentRunId)}]`;
}

/** A workflow's index in the digest's list (added on first use). */
function index(workflows: Map<string, number>, name: string): number {
  let i = workflows.get(name);
  if (i === undefined) workflows.set(name, (i = workflows.size));
  return i;
}

/** A list of names as JSON (most are empty). */
function list(names: readonly string[]): string {
  return names.length === 0 ? '[]' : JSON.stringify(names);
}

/** The JSON of the runs not followed, comma-separated. */
function joined(said: Said, followed: ReadonlySet<string>): string {
  if (followed.size === 0) return said.json.join(',');
  return said.json.filter((_, i) => !followed.has(said.ids[i]!)).join(',');
}
