import { TroupeError, type ErrorValue } from '../errors/index.js';
import type { ContextEntry } from '../store/index.js';
import type { CompiledStep, CompiledWorkflow } from './compile.js';
import { applyEntry, type ContextView } from './context.js';
import { errorOf } from './fan-out.js';
import { route, truthy } from './routing.js';

/** Where a replayed run stands: what recovery must do next. */
export type ReplayPosition =
  /** In progress: re-dispatch this step (a parallel or map step: only the branches or items not in `done`). */
  | { readonly kind: 'step'; readonly step: string; readonly done: { readonly branches: string[]; readonly items: number[] } }
  /** The step's output (or, for a pure approval step, nothing) is recorded; a human has not decided yet. */
  | { readonly kind: 'awaiting-approval'; readonly step: string }
  /** The run failed with `error`; the compensations left on the stack have not run yet. */
  | { readonly kind: 'compensating'; readonly error: ErrorValue }
  /** The run finished: `output` is `wf.output` evaluated, or the output of the step that completed last. */
  | { readonly kind: 'completed'; readonly output: unknown }
  /** The run failed and every compensation is recorded. */
  | { readonly kind: 'failed'; readonly error: ErrorValue };

/** What {@link replayRun} found: everything a `RunCore` holds in memory, rebuilt from the log. */
export interface ReplayState {
  /** The view after all entries (equal to `viewOf(input, entries)`). */
  readonly view: ContextView;
  /** How often each step was entered, as `RunCore` counts them (the step in progress included). */
  readonly visits: Map<string, number>;
  /** Completed steps with `compensate`, in completion order, minus those already compensated. */
  readonly compensations: { step: string; output: unknown }[];
  readonly position: ReplayPosition;
  /** The step whose output was recorded in full last (a parallel or map step as a whole), or null. */
  readonly lastCompleted: string | null;
}

/** Where the walk goes from a step: another step, or a position where it stops. */
type Goto = { readonly to: string } | { readonly end: ReplayPosition };

/**
 * Walk a workflow from its start exactly as `RunCore` would, consuming the recorded entries of
 * a run's context log instead of executing anything, and report where the run stands. Routing
 * rules, approval conditions and `map.items` are evaluated on the view as it was when `RunCore`
 * evaluated them, so the walk takes the same branches. Async only because expressions are.
 *
 * @param wf - the compiled workflow the run was started with
 * @param input - the run's input
 * @param entries - the run's committed context log, in seq order (any prefix of it works)
 * @returns the view, visit counts, compensation stack and position after the last entry
 * @throws `TROUPE_REPLAY_DIVERGED` when an entry names a step the walk is not at (the definition
 *   changed); `data` is `{ seq, step, expected }`. An expression that fails where `RunCore` recorded
 *   its failure as the step's `error` entry rethrows when the log ends before that entry.
 * @example
 * ```ts
 * const state = await replayRun(wf, record.input, await store.read(record.id));
 * if (state.position.kind === 'step') redispatch(state.position.step, state.position.done);
 * ```
 */
export async function replayRun(wf: CompiledWorkflow, input: unknown, entries: readonly ContextEntry[]): Promise<ReplayState> {
  // Operator entries (who paused, resumed, cancelled) record acts on the run, not its path.
  return new Walk(wf, input, entries.some((e) => e.kind === 'operator') ? entries.filter((e) => e.kind !== 'operator') : entries).run();
}

class Walk {
  #view: ContextView;
  #i = 0;
  #last: unknown = undefined;
  #lastCompleted: string | null = null;
  readonly #visits = new Map<string, number>();
  readonly #compensations: { step: string; output: unknown }[] = [];

  constructor(
    private readonly wf: CompiledWorkflow,
    input: unknown,
    private readonly entries: readonly ContextEntry[],
  ) {
    this.#view = Object.freeze({ input });
  }

  async run(): Promise<ReplayState> {
    let to = this.wf.start;
    let end: ReplayPosition;
    for (;;) {
      const g = await this.#step(this.wf.steps.get(to)!);
      if ('end' in g) {
        end = g.end;
        break;
      }
      to = g.to;
    }
    const extra = this.#peek();
    if (extra) throw this.#diverged(extra, null, `has ${end.kind === 'completed' ? 'completed' : 'failed'}`);
    return { view: this.#view, visits: this.#visits, compensations: this.#compensations, position: end, lastCompleted: this.#lastCompleted };
  }

  #peek(): ContextEntry | undefined {
    return this.entries[this.#i];
  }

  /** Consume the next entry: the view and the last output move as `ContextLog` moves them. */
  #take(): ContextEntry {
    const e = this.entries[this.#i++]!;
    this.#view = applyEntry(this.#view, e);
    if (e.kind === 'step') this.#last = this.#view[stepOf(e.step)];
    return e;
  }

  #diverged(e: ContextEntry, expected: string | null, doing: string): TroupeError {
    return new TroupeError(
      'TROUPE_REPLAY_DIVERGED',
      `workflow ${this.wf.name}: the log does not match the workflow at seq ${e.seq}: it has a ${e.kind} entry for step ${e.step}, but the run ${doing}`,
      { data: { seq: e.seq, step: e.step, expected } },
    );
  }

  /** Enter a step (as `RunCore.enter` does) and consume its entries. */
  async #step(step: CompiledStep): Promise<Goto> {
    const id = step.id;
    const visits = (this.#visits.get(id) ?? 0) + 1;
    this.#visits.set(id, visits);
    const inProgress: Goto = { end: { kind: 'step', step: id, done: { branches: [], items: [] } } };
    if (step.maxVisits !== undefined && visits > step.maxVisits) return (await this.#error(step, null)) ?? inProgress;
    switch (step.kind) {
      case 'task':
      case 'workflow': {
        const e = this.#peek();
        if (!e) return inProgress;
        if (e.kind === 'error' && e.step === id) return this.#failed(step, this.#take().output as ErrorValue);
        const agent = step.kind === 'workflow' ? `workflow:${this.wf.children.get(step.workflow!)!.name}` : e.agent;
        if (e.kind !== 'step' || e.step !== id || e.agent !== agent) throw this.#diverged(e, id, `is at step ${id}`);
        this.#take();
        break;
      }
      case 'parallel': {
        const g = await this.#fanOut(step, step.branches.map((b) => `${id}.${b.name}`));
        if (g) return g;
        break;
      }
      case 'map': {
        let keys: string[] | null = null;
        try {
          const items = await step.map!.items.evaluate(this.#view);
          if (Array.isArray(items)) keys = items.map((_, i) => `${id}[${i}]`);
        } catch {
          // RunCore records the failure as the step's error entry, which #error expects
        }
        if (keys === null) return (await this.#error(step, null)) ?? inProgress;
        // An empty list: RunCore records `[]` for the step itself.
        const g = await this.#fanOut(step, keys.length === 0 ? [id] : keys);
        if (g) return g;
        break;
      }
      case 'approval':
        return this.#afterOutput(step);
    }
    this.#lastCompleted = id;
    if (step.compensate) this.#compensations.push({ step: id, output: this.#view[id] });
    return this.#afterOutput(step);
  }

  /** Consume a fan-out step's entries (any order) until every key is recorded; a Goto when it did not complete. */
  async #fanOut(step: CompiledStep, keys: string[]): Promise<Goto | null> {
    const id = step.id;
    const left = new Set(keys);
    const done: string[] = [];
    while (left.size > 0) {
      const e = this.#peek();
      if (!e) {
        const branches = step.kind === 'parallel' ? done.map((k) => k.slice(id.length + 1)) : [];
        const items = step.kind === 'map' ? done.filter((k) => k !== id).map((k) => Number(k.slice(id.length + 1, -1))) : [];
        return { end: { kind: 'step', step: id, done: { branches, items } } };
      }
      if (e.kind === 'error' && e.step === id) return this.#failed(step, this.#take().output as ErrorValue);
      if (e.kind !== 'step' || !left.has(e.step)) throw this.#diverged(e, id, `is at step ${id} (waiting for ${[...left].join(', ')})`);
      left.delete(e.step);
      done.push(e.step);
      this.#take();
    }
    return null;
  }

  /** The step's output is recorded: its approval gate, then routing (as `RunCore.#afterOutput`). */
  async #afterOutput(step: CompiledStep): Promise<Goto> {
    let to: string | null;
    try {
      const req = step.approval?.required ?? false;
      if (typeof req === 'boolean' ? req : truthy(await req.evaluate(this.#view))) to = null;
      else {
        to = step.next.kind === 'static' ? step.next.to : await route(step.next, this.#view);
        if (to === null) return { end: { kind: 'completed', output: await this.#output() } };
      }
    } catch (err) {
      // A sub-workflow step's continuation fails the run outright; the others record an error entry.
      if (step.kind === 'workflow') return { end: { kind: 'failed', error: errorOf(err) } };
      const g = await this.#error(step, err);
      if (g) return g;
      throw err;
    }
    return to === null ? this.#decision(step) : { to };
  }

  /** A human's decision on an approval gate (a pure approval step records it as its output). */
  async #decision(step: CompiledStep): Promise<Goto> {
    const id = step.id;
    const e = this.#peek();
    if (!e) return { end: { kind: 'awaiting-approval', step: id } };
    const kind = step.kind === 'approval' ? 'step' : 'approval';
    if (e.kind !== kind || e.step !== id) throw this.#diverged(e, id, `waits for the approval of step ${id}`);
    this.#take();
    if (step.kind === 'approval') this.#lastCompleted = id;
    const d = (e.output ?? {}) as { approved?: boolean; by?: string; comment?: string };
    if (d.approved !== true) {
      if (step.approval?.reject) return { to: step.approval.reject };
      const message = `step ${id} was rejected${d.by ? ` by ${d.by}` : ''}${d.comment ? `: ${d.comment}` : ''}`;
      return this.#fail({ code: 'TROUPE_APPROVAL_REJECTED', message, data: { step: id } });
    }
    try {
      const to = await route(step.next, this.#view);
      return to === null ? { end: { kind: 'completed', output: await this.#output() } } : { to };
    } catch (err) {
      return { end: { kind: 'failed', error: errorOf(err) } }; // RunCore's #decide: a fatal failure, nothing recorded
    }
  }

  #output(): Promise<unknown> | unknown {
    return this.wf.output ? this.wf.output.evaluate(this.#view) : this.#last;
  }

  /**
   * The step failed and `RunCore` recorded an `error` entry for it: consume it and go on. Null when
   * the log ended first; `cause` (an expression's failure) explains a divergence.
   */
  async #error(step: CompiledStep, cause: unknown): Promise<Goto | null> {
    const e = this.#peek();
    if (!e) return null;
    if (e.kind !== 'error' || e.step !== step.id) {
      const why = cause === null ? 'failed' : `failed (${errorOf(cause).message})`;
      throw this.#diverged(e, step.id, `expects the error entry of step ${step.id}, which ${why}`);
    }
    return this.#failed(step, this.#take().output as ErrorValue);
  }

  /** After a step's error entry: its `onError` route, or the run fails (as `RunCore.#stepFailed`). */
  async #failed(step: CompiledStep, error: ErrorValue): Promise<Goto> {
    if (step.onError) {
      let to: string | null;
      try {
        to = await route(step.onError, { ...this.#view, error });
      } catch (err) {
        return { end: { kind: 'failed', error: errorOf(err) } };
      }
      if (to !== null) return { to };
    }
    return this.#fail(error);
  }

  /** The run failed: compensation entries pop the stack in reverse completion order. */
  #fail(error: ErrorValue): Goto {
    while (this.#compensations.length > 0) {
      const top = this.#compensations.at(-1)!;
      const e = this.#peek();
      if (!e) return { end: { kind: 'compensating', error } };
      if (e.kind !== 'compensation' || e.step !== top.step) throw this.#diverged(e, top.step, `is compensating step ${top.step}`);
      this.#take();
      this.#compensations.pop();
    }
    return { end: { kind: 'failed', error } };
  }
}

/** The step id of an entry's key: `fan.b1` and `m[3]` belong to `fan` and `m`. */
function stepOf(key: string): string {
  const m = /[.[]/.exec(key);
  return m ? key.slice(0, m.index) : key;
}
