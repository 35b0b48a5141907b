import { TroupeError } from '../errors/index.js';
import type { Store } from '../store/index.js';
import type { CompiledStep } from './compile.js';

/** A step waiting for a human, with the output its decision gates. */
export interface Pending {
  readonly step: CompiledStep;
  readonly output: unknown;
}

/**
 * The approvals a run waits for, and their deadlines: durable timers in the store (so a restart
 * re-arms them from their recorded time) mirrored by in-process timers.
 */
export class Approvals {
  readonly #pending = new Map<string, Pending>();
  #timers: Map<string, ReturnType<typeof setTimeout>> | null = null;

  constructor(
    private readonly runId: string,
    private readonly store: Store,
    private readonly now: () => number,
    /** Called when a deadline passes with the step still pending. */
    private readonly onDeadline: (stepId: string) => void,
  ) {}

  get size(): number {
    return this.#pending.size;
  }

  ids(): string[] {
    return [...this.#pending.keys()];
  }

  has(stepId: string): boolean {
    return this.#pending.has(stepId);
  }

  /** Start waiting at `step`; its deadline (if it has `approval.timeout`) is written to the store and armed. */
  wait(step: CompiledStep, output: unknown): void {
    this.#pending.set(step.id, { step, output });
    const wait = step.approval?.timeoutMs;
    if (wait === undefined) return;
    const deadline = this.now() + wait;
    this.store.putTimer(this.runId, timerName(step.id), deadline).catch(() => undefined);
    this.#arm(step.id, deadline);
  }

  /** Recovery: wait again at `step`, re-arming its deadline from the time the store recorded. */
  rewait(step: CompiledStep, output: unknown): void {
    this.#pending.set(step.id, { step, output });
    this.store
      .getTimer(this.runId, timerName(step.id))
      .then((at) => at !== undefined && this.#pending.has(step.id) && this.#arm(step.id, at))
      .catch(() => undefined);
  }

  /**
   * Stop waiting at `stepId` (it was decided): its deadline is disarmed and removed from the store.
   * @throws TroupeError `TROUPE_APPROVAL_NOT_PENDING` naming what does wait.
   */
  take(stepId: string): Pending {
    const p = this.#pending.get(stepId);
    if (!p) {
      throw new TroupeError('TROUPE_APPROVAL_NOT_PENDING', `run ${this.runId}: step ${stepId} is not waiting for approval (waiting: ${this.ids().join(', ') || 'none'})`, {
        data: { runId: this.runId, step: stepId },
      });
    }
    this.#pending.delete(stepId);
    const timer = this.#timers?.get(stepId);
    if (timer !== undefined) {
      clearTimeout(timer);
      this.#timers!.delete(stepId);
    }
    if (p.step.approval?.timeoutMs !== undefined) this.store.deleteTimer(this.runId, timerName(stepId)).catch(() => undefined);
    return p;
  }

  /** Forget every pending approval (the run was cancelled or stopped). */
  clear(): void {
    this.#pending.clear();
  }

  /** Disarm every timer (the run finished, or the process is stopping: deadlines stay recorded). */
  disarm(): void {
    if (!this.#timers) return;
    for (const t of this.#timers.values()) clearTimeout(t);
    this.#timers.clear();
  }

  #arm(stepId: string, deadline: number): void {
    const timer = setTimeout(
      () => {
        this.#timers?.delete(stepId);
        if (this.#pending.has(stepId)) this.onDeadline(stepId);
      },
      Math.max(0, Math.min(deadline - this.now(), 2 ** 31 - 1)),
    );
    (this.#timers ??= new Map()).set(stepId, timer);
  }
}

function timerName(stepId: string): string {
  return `approval:${stepId}`;
}
