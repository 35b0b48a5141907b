import { createActor, type AnyActor } from 'xstate';
import type { Dispatcher, PolicyName } from '../agents/index.js';
import { TroupeError, type ErrorValue, fromErrorValue } from '../errors/index.js';
import type { RunEvent, RunHandle } from './types.js';
import type { ContextEntry, RunRecord, RunStatus, Store } from '../store/index.js';
import { hashValue } from '../util/index.js';
import type { CompiledStep, CompiledWorkflow } from './compile.js';
import { ContextLog, type ContextView, type EntryDraft } from './context.js';
import type { MachineCore } from './machine.js';
import { route, truthy } from './routing.js';
import { errorOf, runMap, runParallel, type FanOutHost } from './fan-out.js';
import { callOnce, runTask, type CallDone } from './step-runner.js';

/** What a run needs from the runtime. */
export interface RunEnv {
  readonly dispatcher: Dispatcher;
  readonly store: Store;
  readonly now: () => number;
  readonly policy: PolicyName;
  readonly autoApprove: boolean;
  /** Runtime-wide event sink (metrics, inspector); called only when someone listens. */
  readonly emit: ((event: RunEvent) => void) | null;
  /** A run finished (completed, failed or cancelled). */
  finished(run: RunCore): void;
  /** Create a child run for a `workflow:` step. */
  child(parent: RunCore, step: string, wf: CompiledWorkflow, input: unknown): RunCore;
}

type Pending = { readonly step: CompiledStep; readonly output: unknown };
const FINISHED: ReadonlySet<RunStatus> = new Set(['completed', 'failed', 'cancelled']);

/**
 * One run: its actor (the workflow's machine), its context log, and the work of each step.
 * It is also the `RunHandle` users hold. Runs share nothing mutable with each other.
 */
export class RunCore implements RunHandle, MachineCore, FanOutHost {
  readonly id: string;
  readonly workflow: string;
  readonly record: RunRecord;
  readonly log: ContextLog;
  actor!: AnyActor;
  readonly dispatcher: Dispatcher;
  readonly policy: PolicyName;
  readonly #abort = new AbortController();
  readonly #visits = new Map<string, number>();
  // Created on first use: most runs never compensate, wait, delegate or get listeners.
  readonly #compensations: { step: CompiledStep; output: unknown }[] = [];
  readonly #pending = new Map<string, Pending>();
  #listeners: Set<(e: RunEvent) => void> | null = null;
  #children: Map<string, RunCore> | null = null;
  #gate: Promise<unknown> | null = null;
  #settle: { resolve: (v: unknown) => void; reject: (e: unknown) => void } | null = null;
  #result: Promise<unknown> | null = null;
  #outcome: { readonly ok: boolean; readonly value: unknown } | null = null;
  /** Set by the parent when this run is a delegated sub-run. */
  onDone: ((ok: boolean, value: unknown) => void) | null = null;

  constructor(
    readonly wf: CompiledWorkflow,
    readonly env: RunEnv,
    record: RunRecord,
    ready?: Promise<unknown>,
  ) {
    this.id = record.id;
    this.workflow = wf.name;
    this.record = record;
    this.dispatcher = env.dispatcher;
    this.policy = wf.policy ?? env.policy;
    this.log = new ContextLog(record, env.store, env.now, record.input);
    if (ready) {
      // A sub-run: its input and record are written before any step runs.
      this.#gate = ready.then(
        (input) => {
          this.log.setInput(input);
          this.#gate = null;
        },
        (e: unknown) => this.#fatal(errorOf(e)),
      );
    }
  }

  /** Called by the machine's context factory with the actor that runs this core. */
  attach(actor: AnyActor): void {
    this.actor = actor;
  }

  get runId(): string {
    return this.id;
  }

  get signal(): AbortSignal {
    return this.#abort.signal;
  }

  /** Create and start this run's actor (root runs; a sub-run's actor is invoked by its parent). */
  start(): this {
    createActor(this.wf.machine, { input: { core: this }, id: this.id }).start();
    return this;
  }

  // ---- RunHandle -------------------------------------------------------------------------

  result(): Promise<unknown> {
    // Made on first ask, so a failed run nobody awaits is never an unhandled rejection.
    if (!this.#result) {
      const o = this.#outcome;
      this.#result = o ? (o.ok ? Promise.resolve(o.value) : Promise.reject(o.value)) : new Promise((resolve, reject) => (this.#settle = { resolve, reject }));
    }
    return this.#result;
  }

  #conclude(ok: boolean, value: unknown): void {
    if (this.#outcome) return;
    this.#outcome = { ok, value };
    if (this.#settle) (ok ? this.#settle.resolve : this.#settle.reject)(value);
  }

  status(): RunRecord {
    return { ...this.record, currentSteps: [...this.record.currentSteps] };
  }

  pendingApprovals(): readonly string[] {
    return [...this.#pending.keys()];
  }

  approve(step: string, opts: { by?: string; comment?: string } = {}): void {
    this.#decide(step, true, opts);
  }

  reject(step: string, opts: { by?: string; comment?: string } = {}): void {
    this.#decide(step, false, opts);
  }

  cancel(reason = 'cancelled'): void {
    if (FINISHED.has(this.record.status)) return;
    const error: ErrorValue = { code: 'TROUPE_RUN_CANCELLED', message: `run ${this.id} cancelled: ${reason}` };
    this.#abort.abort(error);
    if (this.#children) for (const c of this.#children.values()) c.cancel(reason);
    this.#pending.clear();
    void this.#finish('cancelled', undefined, error, 'run.cancel');
  }

  context(version?: number): Promise<ContextEntry[]> {
    return this.env.store.read(this.id, version);
  }

  on(listener: (event: RunEvent) => void): () => void {
    (this.#listeners ??= new Set()).add(listener);
    return () => this.#listeners?.delete(listener);
  }

  // ---- StepHost --------------------------------------------------------------------------

  idempotencyKey(step: string): string {
    return `${this.id}:${step}:${this.#visits.get(step.split(/[.[]/, 1)[0]!) ?? 1}`;
  }

  started(step: string, agent: string, attempt: number): void {
    if (this.#listeners !== null || this.env.emit) this.#emit({ type: 'step.started', runId: this.id, step, agent, attempt });
  }

  // ---- MachineCore -----------------------------------------------------------------------

  enter(stepId: string): void {
    if (FINISHED.has(this.record.status)) return;
    const step = this.wf.steps.get(stepId)!;
    const visits = (this.#visits.get(stepId) ?? 0) + 1;
    this.#visits.set(stepId, visits);
    this.record.currentSteps = [stepId];
    const go = (): Promise<void> => this.#runStep(step, visits).catch((e: unknown) => this.#stepFailed(step, errorOf(e)));
    if (this.#gate) void this.#gate.then(() => (FINISHED.has(this.record.status) ? undefined : go()));
    else void go();
  }

  childInput(stepId: string): unknown {
    const step = this.wf.steps.get(stepId)!;
    const child = this.env.child(this, stepId, this.wf.children.get(step.workflow!)!, undefined);
    return { core: child };
  }

  // ---- steps -----------------------------------------------------------------------------

  async #runStep(step: CompiledStep, visits: number): Promise<void> {
    if (step.maxVisits !== undefined && visits > step.maxVisits) {
      return this.#stepFailed(step, {
        code: 'TROUPE_LOOP_LIMIT',
        message: `step ${step.id} entered ${visits} times; maxVisits is ${step.maxVisits}`,
        data: { step: step.id, maxVisits: step.maxVisits },
      });
    }
    const view = this.log.view;
    switch (step.kind) {
      case 'task': {
        const r = await runTask(this, step, view);
        if (!r.ok) return this.#stepFailed(step, r.error, r);
        await this.recordCall(step.id, r);
        if (step.compensate) this.#compensations.push({ step, output: r.output });
        return this.#afterOutput(step, r.output);
      }
      case 'parallel':
      case 'map':
        return this.#fanOut(step, view);
      case 'approval':
        return this.#afterOutput(step, undefined);
      case 'workflow':
        return; // the invoked child reports through onDone
    }
  }

  async #fanOut(step: CompiledStep, view: ContextView): Promise<void> {
    const r = step.kind === 'parallel' ? await runParallel(this, step, view) : await runMap(this, step, view);
    if (!r.ok) return this.#stepFailed(step, r.error);
    if ('items' in r && r.items === 0) await this.log.append({ kind: 'step', step: step.id, output: [] });
    const output = this.log.view[step.id];
    if (step.compensate) this.#compensations.push({ step, output });
    return this.#afterOutput(step, output);
  }

  /** FanOutHost: a parallel branch completed and was recorded. */
  branchJoined(stepKey: string): void {
    this.actor.send({ type: `branch.${stepKey}` });
  }

  /** A sub-run finished: record its outcome as this step's. */
  childDone(stepId: string, ok: boolean, value: unknown, child: RunCore): void {
    this.#children?.delete(child.id);
    const step = this.wf.steps.get(stepId)!;
    const go = async (): Promise<void> => {
      if (!ok) return this.#stepFailed(step, { code: 'TROUPE_RUN_FAILED', message: `sub-workflow ${child.workflow} (run ${child.id}) failed: ${(value as ErrorValue).message}`, data: { runId: child.id, cause: value } });
      await this.log.append({ kind: 'step', step: stepId, agent: `workflow:${child.workflow}`, output: value });
      if (step.compensate) this.#compensations.push({ step, output: value });
      return this.#afterOutput(step, value);
    };
    go().catch((e: unknown) => this.#fatal(errorOf(e)));
  }

  /** Track a child run (for cancel and for `childDone`). */
  adopt(child: RunCore): void {
    (this.#children ??= new Map()).set(child.id, child);
  }

  /** FanOutHost: append a successful call's result to the log. */
  async recordCall(stepKey: string, r: CallDone & { ok: true }): Promise<void> {
    const entry = await this.log.append(
      { kind: 'step', step: stepKey, agent: r.agent, inputHash: r.input === undefined ? undefined : hashValue(r.input), output: r.output, durationMs: r.durationMs, attempts: r.attempts },
    );
    if (this.#listeners !== null || this.env.emit) this.#emit({ type: 'step.completed', runId: this.id, entry });
  }

  async #afterOutput(step: CompiledStep, output: unknown): Promise<void> {
    if (step.approval) {
      const req = step.approval.required;
      const needed = typeof req === 'boolean' ? req : truthy(await req.evaluate(this.log.view));
      if (needed) return this.#await(step, output);
    }
    const next = step.next;
    return this.#go(next.kind === 'static' ? next.to : await route(next, this.log.view));
  }

  #await(step: CompiledStep, output: unknown): void {
    this.#pending.set(step.id, { step, output });
    this.record.status = 'waiting-approval';
    void this.env.store.updateRun(this.id, { status: 'waiting-approval' }).catch(() => undefined);
    if (step.kind !== 'approval') this.actor.send({ type: 'await' });
    this.#emit({ type: 'approval.requested', runId: this.id, step: step.id, prompt: step.approval?.prompt, output });
    this.#emit({ type: 'run.status', runId: this.id, status: 'waiting-approval' });
    if (this.env.autoApprove) queueMicrotask(() => this.#pending.has(step.id) && this.approve(step.id, { by: 'auto-approve' }));
  }

  #decide(stepId: string, approved: boolean, opts: { by?: string; comment?: string }): void {
    const p = this.#pending.get(stepId);
    if (!p) {
      throw new TroupeError('TROUPE_APPROVAL_NOT_PENDING', `run ${this.id}: step ${stepId} is not waiting for approval (waiting: ${[...this.#pending.keys()].join(', ') || 'none'})`, {
        data: { runId: this.id, step: stepId },
      });
    }
    this.#pending.delete(stepId);
    if (this.#pending.size === 0) this.record.status = 'running';
    const decision = { approved, ...(opts.by ? { by: opts.by } : {}), ...(opts.comment ? { comment: opts.comment } : {}) };
    const go = async (): Promise<void> => {
      // A pure approval step's output is the decision; on a task step it gates the output already recorded.
      const kind = p.step.kind === 'approval' ? 'step' : 'approval';
      await this.log.append({ kind, step: stepId, output: decision }, { status: this.record.status });
      this.#emit({ type: 'approval.decided', runId: this.id, step: stepId, ...decision });
      this.#emit({ type: 'run.status', runId: this.id, status: this.record.status });
      if (approved) return this.#go(await route(p.step.next, this.log.view));
      if (p.step.approval?.reject) return this.#go(p.step.approval.reject);
      return this.#fail({ code: 'TROUPE_APPROVAL_REJECTED', message: `step ${stepId} was rejected${opts.by ? ` by ${opts.by}` : ''}${opts.comment ? `: ${opts.comment}` : ''}`, data: { step: stepId } });
    };
    go().catch((e: unknown) => this.#fatal(errorOf(e)));
  }

  async #stepFailed(step: CompiledStep, error: ErrorValue, call?: { agent: string | undefined; durationMs: number; attempts: number }): Promise<void> {
    if (FINISHED.has(this.record.status)) return;
    if (error.code === 'TROUPE_RUN_CANCELLED' || this.#abort.signal.aborted) return;
    try {
      await this.log.append({ kind: 'error', step: step.id, agent: call?.agent, output: error, durationMs: call?.durationMs, attempts: call?.attempts });
      this.#emit({ type: 'step.failed', runId: this.id, step: step.id, error, ...(call?.agent ? { agent: call.agent } : {}), ...(call ? { durationMs: call.durationMs, attempts: call.attempts } : {}) });
      if (step.onError) {
        const to = await route(step.onError, { ...this.log.view, error });
        if (to !== null) return this.#go(to);
      }
      return this.#fail(error);
    } catch (e) {
      this.#fatal(errorOf(e));
    }
  }

  async #go(to: string | null): Promise<void> {
    if (FINISHED.has(this.record.status)) return;
    if (to !== null) {
      this.actor.send({ type: `to.${to}` });
      return;
    }
    const output = this.wf.output ? await this.wf.output.evaluate(this.log.view) : this.log.lastOutput;
    return this.#finish('completed', output, undefined, 'run.complete');
  }

  /** The run failed: compensate completed steps in reverse order, then fail. */
  async #fail(error: ErrorValue): Promise<void> {
    if (this.#compensations.length > 0) {
      this.actor.send({ type: 'run.compensate' });
      while (this.#compensations.length > 0) {
        const { step, output } = this.#compensations.pop()!;
        const c = step.compensate!;
        const input = c.input === null ? output : await c.input.evaluate({ ...this.log.view, error });
        const r = await callOnce(this, `${step.id}.compensate`, c, input, undefined, new AbortController().signal);
        const entry = await this.log.append({ kind: 'compensation', step: step.id, agent: r.agent, output: r.ok ? r.output : { error: r.error }, durationMs: r.durationMs, attempts: r.attempts });
        this.#emit({ type: 'compensation.completed', runId: this.id, entry });
      }
    }
    return this.#finish('failed', undefined, error, 'run.fail');
  }

  /** The runtime is stopping: stop the actor and abort its work, but leave the record as it is (recovery resumes it). */
  interrupt(): void {
    if (FINISHED.has(this.record.status)) return;
    const error = new TroupeError('TROUPE_RUNTIME_STOPPED', `run ${this.id} was interrupted: the runtime stopped`, { data: { runId: this.id } });
    this.#abort.abort(error);
    this.#pending.clear();
    if (this.onDone === null) this.actor?.stop();
    this.#conclude(false, error);
  }

  #fatal(error: ErrorValue): void {
    void this.#finish('failed', undefined, error, 'run.fail');
  }

  async #finish(status: RunStatus, output: unknown, error: ErrorValue | undefined, event: 'run.complete' | 'run.fail' | 'run.cancel'): Promise<void> {
    if (FINISHED.has(this.record.status)) return;
    this.record.status = status;
    this.record.currentSteps = [];
    this.record.updatedAt = this.env.now();
    if (status === 'completed') this.record.output = output;
    if (error) this.record.error = error;
    this.actor.send({ type: event });
    // A root run's actor is ours to stop; a sub-run's actor was invoked by its parent's machine,
    // which stops it when it leaves the step (XState refuses to stop a non-root actor directly).
    if (this.onDone === null) this.actor.stop();
    try {
      await this.env.store.updateRun(this.id, { status, currentSteps: [], updatedAt: this.record.updatedAt, ...(status === 'completed' ? { output } : {}), ...(error ? { error } : {}) });
    } catch {
      // the store is closing: the in-memory outcome still stands for this process
    }
    this.#emit({ type: 'run.status', runId: this.id, status });
    this.#conclude(status === 'completed', status === 'completed' ? output : runError(this, status, error!));
    this.onDone?.(status === 'completed', status === 'completed' ? output : error);
    this.env.finished(this);
  }

  #emit(event: RunEvent): void {
    if (this.#listeners) for (const l of this.#listeners) {
      try {
        l(event);
      } catch {
        // a throwing listener must not break the run
      }
    }
    if (this.env.emit) {
      try {
        this.env.emit(event);
      } catch {
        // ditto
      }
    }
  }
}

/** A draft for a recorded step, exported for recovery code that replays it. */
export type { EntryDraft };

function runError(run: RunCore, status: RunStatus, error: ErrorValue): TroupeError {
  if (status === 'cancelled') return new TroupeError('TROUPE_RUN_CANCELLED', error.message, { data: { runId: run.id } });
  return new TroupeError('TROUPE_RUN_FAILED', `run ${run.id} (${run.workflow}) failed: ${error.code}: ${error.message}`, {
    cause: fromErrorValue(error),
    data: { runId: run.id, error },
  });
}
