import type { RunEvent, RunHandle } from '../workflow/index.js';

/**
 * The runs some client follows, each through its own subscription (`RunHandle.on`): a followed
 * run's every event, step by step, while the runtime-wide listener may take no step events at all
 * (then the other runs cost nothing per step). A run not in this process yet is subscribed to
 * when it shows up (its first `run.status`, which every listener gets: {@link attach}).
 */
export class RunFollows {
  readonly #subscriptions = new Map<string, () => void>();

  constructor(
    readonly live: (runId: string) => RunHandle | undefined,
    readonly onEvent: (event: RunEvent, at: number) => void,
  ) {}

  /** Whether the run's own subscription brings its events. */
  has(runId: string): boolean {
    return this.#subscriptions.has(runId);
  }

  /** Follow exactly these runs: new ones subscribed if they are here, the others let go. */
  set(runIds: ReadonlySet<string>): void {
    for (const [runId, off] of this.#subscriptions) {
      if (runIds.has(runId)) continue;
      off();
      this.#subscriptions.delete(runId);
    }
    for (const runId of runIds) this.attach(runId);
  }

  /** Subscribe to a run now, if it is in this process and not subscribed to yet. */
  attach(runId: string): void {
    if (this.#subscriptions.has(runId)) return;
    const handle = this.live(runId);
    if (handle !== undefined) this.#subscriptions.set(runId, handle.on((e) => this.onEvent(e, Date.now())));
  }

  close(): void {
    this.set(new Set());
  }
}
