import { createActor, type AnyActor } from 'xstate';
import type { Dispatcher, PolicyName } from '../agents/index.js';
import { TroupeError, type ErrorValue } from '../errors/index.js';
import type { OperatorInfo, RunEvent, RunHandle } from './types.js';
import type { ContextEntry, RunRecord, RunStatus } from '../store/index.js';
import { Cancellation, hashValue, type Cancellable } from '../util/index.js';
import type { CompiledStep, CompiledWorkflow } from './compile.js';
import { ContextLog, STORED, type ContextView, type EntryDraft } from './context.js';
import type { MachineCore } from './machine.js';
import { resolveRunState } from './run-logic.js';
import { route, truthy } from './routing.js';
import { errorOf, runMap, runParallel, startParallel, type FanOutDone, type FanOutHost, type FanOutResult } from './fan-out.js';
import { proceed } from './proceed.js';
import type { ReplayState } from './replay.js';
import type { ResponseCache } from './response-cache.js';
import { Approvals } from './approvals.js';
import { viewOf } from './context.js';
import { callOnce, startTask, type CallDone } from './step-runner.js';
import { FINISHED, runError, safely, type RunEnv } from './run-env.js';

export type { RunEnv };

/**
 * One run: its actor (the workflow's statechart, as `wf.logic`), its context log, and the work of each step.
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
  readonly #abort = new Cancellation();
  readonly #visits = new Map<string, number>();
  // Created on first use: most runs never compensate, wait, delegate or get listeners.
  readonly #compensations: { step: CompiledStep; output: unknown }[] = [];
  readonly #approvals: Approvals;
  #listeners: Set<(e: RunEvent) => void> | null = null;
  #children: Map<string, RunCore> | null = null;
  #gate: Promise<unknown> | null = null;
  #settle: { resolve: (v: unknown) => void; reject: (e: unknown) => void } | null = null;
  #result: Promise<unknown> | null = null;
  #outcome: { readonly ok: boolean; readonly value: unknown } | null = null;
  #paused = false;
  /** Approval deadlines armed now, by step. */
  /** What a paused run does when it resumes (its next transition, or a restored step's start). */
  #parked: (() => void) | null = null;
  /** Set by the parent when this run is a delegated sub-run. */
  onDone: ((ok: boolean, value: unknown) => void) | null = null;

  constructor(
    readonly wf: CompiledWorkflow,
    readonly env: RunEnv,
    record: RunRecord,
    ready?: Promise<unknown>,
    policy?: PolicyName,
  ) {
    this.id = record.id;
    this.workflow = wf.name;
    // Past an approval's deadline, the step counts as rejected by "timeout".
    this.#approvals = new Approvals(record.id, env.store, env.now, (stepId) => this.#decide(stepId, false, { by: 'timeout', comment: 'no decision before the approval deadline' }));
    this.record = record;
    this.dispatcher = env.dispatcher;
    this.policy = policy ?? wf.policy ?? env.policy; // the run's own choice, then the workflow's, then the runtime's
    this.log = new ContextLog(record, env.store, env.now, record.input);
    if (wf.definition.durability) this.log.appendOptions = { durability: wf.definition.durability };
    this.log.onAppend = (entry) => {
      if (this.env.perStep || this.#listeners) this.#emit({ type: 'entry.appended', runId: this.id, entry });
    };
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

  /** Called by the run logic's initial snapshot with the actor that runs this core. */
  attach(actor: AnyActor): void {
    this.actor = actor;
  }

  get runId(): string {
    return this.id;
  }

  get signal(): Cancellable {
    return this.#abort;
  }

  /** Create and start this run's actor (root runs; a sub-run's actor is invoked by its parent). */
  start(): this {
    const runs = this.env.runs;
    // Watchers learn of the run before its first step (its record is already written as running).
    if (this.env.emit !== null || this.#listeners) this.#emit({ type: 'run.status', runId: this.id, status: this.record.status });
    createActor(this.wf.logic, runs ? { input: { core: this }, id: this.id, parent: runs } : { input: { core: this }, id: this.id }).start();
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

  currentSteps(): readonly string[] {
    return this.record.currentSteps;
  }

  peek(): Readonly<RunRecord> {
    return this.record;
  }

  pendingApprovals(): readonly string[] {
    return this.#approvals.ids();
  }

  approve(step: string, opts: { by?: string; comment?: string } = {}): void {
    this.#decide(step, true, opts);
  }

  reject(step: string, opts: { by?: string; comment?: string } = {}): void {
    this.#decide(step, false, opts);
  }

  cancel(reason = 'cancelled', by: OperatorInfo = {}): void {
    if (FINISHED.has(this.record.status)) return;
    this.#recordOperator('cancel', { comment: reason, ...by });
    const error: ErrorValue = { code: 'TROUPE_RUN_CANCELLED', message: `run ${this.id} cancelled: ${reason}` };
    this.#abort.abort(error);
    if (this.#children) for (const c of this.#children.values()) c.cancel(reason);
    this.#approvals.clear();
    void this.#finish('cancelled', undefined, error, 'run.cancel');
  }

  pause(by: OperatorInfo = {}): void {
    if (FINISHED.has(this.record.status) || this.#paused) return;
    this.#recordOperator('pause', by);
    this.#paused = true;
    this.#setStatus('paused');
  }

  resume(by: OperatorInfo = {}): void {
    if (!this.#paused || FINISHED.has(this.record.status)) return;
    this.#recordOperator('resume', by);
    this.#paused = false;
    this.#setStatus(this.#approvals.size > 0 ? 'waiting-approval' : 'running');
    const parked = this.#parked;
    this.#parked = null;
    parked?.();
  }

  /** Who paused, resumed or cancelled the run goes into its log (it never changes the view). */
  #recordOperator(command: 'pause' | 'resume' | 'cancel', info: OperatorInfo): void {
    const output = { command, by: info.by ?? 'api', ...(info.comment === undefined ? {} : { comment: info.comment }) };
    void this.log.append({ kind: 'operator', step: '', output }).then(
      (entry) => this.#emit({ type: 'operator.recorded', runId: this.id, entry }),
      () => undefined, // the store is closing
    );
  }

  /** Hold the run's next move until resume(). */
  #park(to: string | null): void {
    this.#parked = () => void this.#go(to).catch((e: unknown) => this.#fatal(errorOf(e)));
  }

  #setStatus(status: RunStatus): void {
    this.record.status = status;
    void this.env.store.updateRun(this.id, { status, currentSteps: this.record.currentSteps }).catch(() => undefined);
    this.#emit({ type: 'run.status', runId: this.id, status });
  }

  context(version?: number): Promise<ContextEntry[]> {
    // Entries appended before this call are in the answer, even with a store that commits later.
    return this.log.settled().then(() => this.env.store.read(this.id, version));
  }

  on(listener: (event: RunEvent) => void): () => void {
    (this.#listeners ??= new Set()).add(listener);
    return () => this.#listeners?.delete(listener);
  }

  // ---- StepHost --------------------------------------------------------------------------

  idempotencyKey(step: string): string {
    // The visit count of the step the call belongs to (`fan.b` and `m[3]` count under `fan`, `m`).
    let end = 0;
    while (end < step.length && step[end] !== '.' && step[end] !== '[') end++;
    return `${this.id}:${step}:${this.#visits.get(end === step.length ? step : step.slice(0, end)) ?? 1}`;
  }

  cacheFor(agentId: string): { readonly cache: ResponseCache; readonly ttlMs: number } | null {
    return this.env.cacheFor(agentId);
  }

  started(step: string, agent: string, attempt: number): void {
    // A first attempt is a routine event (built only for someone who wants those); a retry always is one to tell.
    if (this.#listeners !== null || (attempt === 1 ? this.env.perStep : this.env.emit !== null)) this.#emit({ type: 'step.started', runId: this.id, step, agent, attempt });
  }

  // ---- MachineCore -----------------------------------------------------------------------

  enter(stepId: string): void {
    if (FINISHED.has(this.record.status)) return;
    const step = this.wf.steps.get(stepId)!;
    const visits = (this.#visits.get(stepId) ?? 0) + 1;
    this.#visits.set(stepId, visits);
    this.record.currentSteps = [stepId];
    if (this.#gate) void this.#gate.then(() => (FINISHED.has(this.record.status) ? undefined : this.#start(step, visits)));
    else this.#start(step, visits);
  }

  /** Start a step's work. A task step runs on callbacks (the per-step path); the rest are async. */
  #start(step: CompiledStep, visits: number): void {
    const failed = (e: unknown): void => void this.#stepFailed(step, errorOf(e));
    try {
      if (step.maxVisits !== undefined && visits > step.maxVisits) {
        const error = { code: 'TROUPE_LOOP_LIMIT', message: `step ${step.id} entered ${visits} times; maxVisits is ${step.maxVisits}`, data: { step: step.id, maxVisits: step.maxVisits } } as const;
        void this.#stepFailed(step, error);
        return;
      }
      switch (step.kind) {
        case 'task':
          return startTask(this, step, this.log.view, (r) => this.#taskDone(step, r), failed);
        case 'parallel':
          return startParallel(this, step, this.log.view, (r) => (r.ok ? proceed(() => this.#joined(step)) : void this.#stepFailed(step, r.error)));
        case 'map':
          return void this.#fanOut(step, this.log.view).catch(failed);
        case 'approval':
          return void this.#afterOutput(step, undefined).catch(failed);
        case 'workflow':
          return; // the invoked child reports through onDone
      }
    } catch (e) {
      failed(e);
    }
  }

  /** A task step's call ended: record it, then go on. Promises only for the store and the slow paths. */
  #taskDone(step: CompiledStep, r: CallDone): void {
    if (!r.ok) {
      void this.#stepFailed(step, r.error, r);
      return;
    }
    const failed = (e: unknown): void => void this.#stepFailed(step, errorOf(e));
    try {
      const written = this.#write(step.id, r);
      const entry = this.log.lastEntry!;
      const go = (): void => {
        try {
          this.#completed(entry);
          this.#stepDone(step, r.output, failed);
        } catch (e) {
          failed(e);
        }
      };
      if (written === STORED) proceed(go);
      else written.then(go, failed);
    } catch (e) {
      failed(e);
    }
  }

  /** A parallel step's branches all succeeded (each is recorded): on to the next step. */
  #joined(step: CompiledStep): void {
    const failed = (e: unknown): void => void this.#stepFailed(step, errorOf(e));
    try {
      this.#stepDone(step, this.log.view[step.id], failed);
    } catch (e) {
      failed(e);
    }
  }

  /** A step's output is recorded: compensation noted, then on to the next step (synchronously when routing is static). */
  #stepDone(step: CompiledStep, output: unknown, failed: (e: unknown) => void): void {
    if (step.compensate) this.#compensations.push({ step, output });
    const next = step.next;
    if (step.approval !== null || next.kind !== 'static') this.#afterOutput(step, output).catch(failed);
    else if (next.to !== null) this.#goTo(next.to);
    else if (this.#paused) this.#park(null);
    else if (this.wf.output === null) this.#finish('completed', this.log.lastOutput, undefined, 'run.complete').catch(failed);
    else this.#go(null).catch(failed);
  }

  childInput(stepId: string): unknown {
    const step = this.wf.steps.get(stepId)!;
    const child = this.env.child(this, stepId, this.wf.children.get(step.workflow!)!, undefined);
    return { core: child };
  }

  // ---- steps -----------------------------------------------------------------------------

  /** A map step, or a parallel step's branches left after a restart. */
  async #fanOut(step: CompiledStep, view: ContextView, skip?: FanOutDone): Promise<void> {
    const r: FanOutResult & { items?: number } = step.kind === 'parallel' ? await runParallel(this, step, view, skip) : await runMap(this, step, view, skip);
    if (!r.ok) return this.#stepFailed(step, r.error);
    if (r.items === 0) await this.log.append({ kind: 'step', step: step.id, output: [] });
    this.#joined(step);
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
  recordCall(stepKey: string, r: CallDone & { ok: true }): Promise<void> | typeof STORED {
    const written = this.#write(stepKey, r);
    const entry = this.log.lastEntry!;
    if (written !== STORED) return written.then(() => this.#completed(entry));
    this.#completed(entry);
    return STORED;
  }

  #write(stepKey: string, r: CallDone & { ok: true }): Promise<void> | typeof STORED {
    return this.log.write({ kind: 'step', step: stepKey, agent: r.agent, inputHash: r.input === undefined ? undefined : hashValue(r.input), output: r.output, durationMs: r.durationMs, attempts: r.attempts });
  }

  #completed(entry: ContextEntry): void {
    if (this.#listeners !== null || this.env.perStep) this.#emit({ type: 'step.completed', runId: this.id, entry });
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
    this.#approvals.wait(step, output);
    if (step.kind !== 'approval') this.actor.send({ type: 'await' });
    this.#emit({ type: 'approval.requested', runId: this.id, step: step.id, prompt: step.approval?.prompt, output });
    if (!this.#paused) this.#setStatus('waiting-approval');
    if (this.env.autoApprove) queueMicrotask(() => this.#approvals.has(step.id) && this.approve(step.id, { by: 'auto-approve' }));
  }

  #decide(stepId: string, approved: boolean, opts: { by?: string; comment?: string }): void {
    const p = this.#approvals.take(stepId);
    if (this.#approvals.size === 0 && !this.#paused) this.record.status = 'running';
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
    if (error.code === 'TROUPE_RUN_CANCELLED' || this.#abort.aborted) return;
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
    if (this.#paused) return this.#park(to);
    if (to !== null) return this.#goTo(to);
    if (FINISHED.has(this.record.status)) return;
    const output = this.wf.output ? await this.wf.output.evaluate(this.log.view) : this.log.lastOutput;
    return this.#finish('completed', output, undefined, 'run.complete');
  }

  #goTo(to: string): void {
    if (this.#paused) this.#park(to);
    else if (!FINISHED.has(this.record.status)) this.actor.send(this.wf.goto.get(to)!);
  }

  /** The run failed: compensate completed steps in reverse order, then fail. */
  async #fail(error: ErrorValue): Promise<void> {
    if (this.#compensations.length > 0) {
      this.actor.send({ type: 'run.compensate' });
      while (this.#compensations.length > 0) {
        const { step, output } = this.#compensations.pop()!;
        const c = step.compensate!;
        const input = c.input === null ? output : await c.input.evaluate({ ...this.log.view, error });
        const r = await callOnce(this, `${step.id}.compensate`, c, input, undefined, new Cancellation());
        const entry = await this.log.append({ kind: 'compensation', step: step.id, agent: r.agent, output: r.ok ? r.output : { error: r.error }, durationMs: r.durationMs, attempts: r.attempts });
        this.#emit({ type: 'compensation.completed', runId: this.id, entry });
      }
    }
    return this.#finish('failed', undefined, error, 'run.fail');
  }

  /**
   * Recovery: rebuild this run from its committed log and carry on where it stopped. Recorded
   * steps are replayed, never re-executed; the step in flight is re-dispatched with the same
   * idempotency key (visits are restored); a run waiting for a human waits again.
   */
  restore(entries: readonly ContextEntry[], state: ReplayState): void {
    if (this.record.status === 'paused') this.#paused = true; // a paused run stays paused across a restart
    for (const e of entries) this.log.replay(e);
    for (const [step, n] of state.visits) this.#visits.set(step, n);
    for (const c of state.compensations) this.#compensations.push({ step: this.wf.steps.get(c.step)!, output: c.output });
    const p = state.position;
    const failed = (step: CompiledStep) => (e: unknown): void => void this.#stepFailed(step, errorOf(e));
    switch (p.kind) {
      case 'completed':
      case 'failed':
        // It finished before its record said so (a crash between the last entry and the record).
        this.#restoreActor(this.wf.start);
        void (p.kind === 'completed' ? this.#finish('completed', p.output, undefined, 'run.complete') : this.#finish('failed', undefined, p.error, 'run.fail'));
        return;
      case 'compensating':
        this.#restoreActor('compensating');
        void this.#fail(p.error);
        return;
      case 'awaiting-approval': {
        const step = this.wf.steps.get(p.step)!;
        this.#restoreActor({ [p.step]: step.kind === 'approval' ? 'waiting' : 'awaiting' });
        this.record.currentSteps = [p.step];
        this.#approvals.rewait(step, this.log.view[p.step]);
        if (!this.#paused) this.record.status = 'waiting-approval';
        this.#emit({ type: 'approval.requested', runId: this.id, step: p.step, prompt: step.approval?.prompt, output: this.log.view[p.step] });
        // A decision recorded while no process ran this run (`troupe approve` on a stopped directory).
        this.env.store
          .takeDecision(this.id, p.step)
          .then((d) => d && this.#approvals.has(p.step) && this.#decide(p.step, d.approved, { ...(d.by ? { by: d.by } : {}), ...(d.comment ? { comment: d.comment } : {}) }))
          .catch(() => undefined);
        if (this.env.autoApprove) queueMicrotask(() => this.#approvals.has(p.step) && this.approve(p.step, { by: 'auto-approve' }));
        return;
      }
      case 'step': {
        const step = this.wf.steps.get(p.step)!;
        this.#restoreActor(p.step);
        this.record.currentSteps = [p.step];
        if ((step.kind === 'parallel' || step.kind === 'map') && (p.done.branches.length > 0 || p.done.items.length > 0)) {
          // Inputs see the view as it was when the step was entered, without its own partial results.
          let cut = entries.length;
          const mine = (key: string): boolean => key.startsWith(`${step.id}.`) || key.startsWith(`${step.id}[`);
          while (cut > 0 && entries[cut - 1]!.kind === 'step' && mine(entries[cut - 1]!.step)) cut--;
          void this.#fanOut(step, viewOf(this.record.input, entries.slice(0, cut)), p.done).catch(failed(step));
        } else if (this.#paused) {
          // Paused before this step started (or while it ran): start it when resumed.
          this.#parked = () => this.#start(step, state.visits.get(p.step) ?? 1);
        } else {
          this.#start(step, state.visits.get(p.step) ?? 1);
        }
        return;
      }
    }
  }

  /** Create this run's actor at a state without running entry actions (recovery). */
  #restoreActor(value: string | Record<string, string>): void {
    const snapshot = resolveRunState(value, this);
    const runs = this.env.runs;
    const actor = createActor(this.wf.logic, runs && this.onDone === null ? { snapshot, input: { core: this }, id: this.id, parent: runs } : { snapshot, input: { core: this }, id: this.id });
    this.attach(actor);
    actor.start();
  }

  /** The runtime is stopping: stop the actor and abort its work, but leave the record as it is (recovery resumes it). */
  interrupt(): void {
    if (FINISHED.has(this.record.status)) return;
    const error = new TroupeError('TROUPE_RUNTIME_STOPPED', `run ${this.id} was interrupted: the runtime stopped`, { data: { runId: this.id } });
    this.#abort.abort(error);
    this.#approvals.clear();
    this.#stopActor();
    this.#conclude(false, error);
  }

  /**
   * Stop a root run's actor (it is usually done already: every `run.*` event ends in a final state).
   * A sub-run's actor was spawned by its parent's actor, which stops it when it leaves the step;
   * a run under the runs actor is stopped by it (XState refuses to stop a non-root actor directly).
   */
  #stopActor(): void {
    const actor = this.actor as AnyActor | undefined;
    if (this.onDone !== null || actor === undefined || actor.getSnapshot().status !== 'active') return;
    if (this.env.runs) this.env.runs.send({ type: 'run.stop', ref: actor });
    else actor.stop();
  }

  #fatal(error: ErrorValue): void {
    void this.#finish('failed', undefined, error, 'run.fail');
  }

  async #finish(status: RunStatus, output: unknown, error: ErrorValue | undefined, event: 'run.complete' | 'run.fail' | 'run.cancel'): Promise<void> {
    if (FINISHED.has(this.record.status)) return;
    this.#approvals.disarm();
    this.record.status = status;
    this.record.currentSteps = [];
    this.record.updatedAt = this.env.now();
    if (status === 'completed') this.record.output = output;
    if (error) this.record.error = error;
    this.actor.send({ type: event });
    try {
      const patch: Partial<RunRecord> = { status, currentSteps: [], updatedAt: this.record.updatedAt };
      if (status === 'completed') patch.output = output;
      if (error) patch.error = error;
      await this.env.store.updateRun(this.id, patch);
    } catch {
      // the store is closing: the in-memory outcome still stands for this process
    }
    // After a wait: a step that ended on the in-memory store may finish the run from within the
    // actor's own transition, where the event above waits in its mailbox until the transition ends.
    this.#stopActor();
    this.#emit({ type: 'run.status', runId: this.id, status });
    this.#conclude(status === 'completed', status === 'completed' ? output : runError(this, status, error!));
    this.onDone?.(status === 'completed', status === 'completed' ? output : error);
    this.env.finished(this);
  }

  #emit(event: RunEvent): void {
    // A throwing listener must not break the run.
    if (this.#listeners) for (const l of this.#listeners) safely(l, event);
    const emit = this.env.emit;
    if (emit !== null) safely(emit, event);
  }
}

/** A draft for a recorded step, exported for recovery code that replays it. */
export type { EntryDraft };

/** The store name of a step's approval deadline. */
