/** One call waiting for room. */
interface Waiter {
  done: boolean;
  wake: () => void;
}

/** Rechecks back off up to this (a waiter is normally woken by room, not by its timer). */
const RECHECK_MAX_MS = 1_000;

/**
 * The calls waiting for mailbox or pool room, in arrival order per agent (a waiter is listed under
 * every agent it can use). Backpressure is FIFO: room wakes the longest waiter; a waiter's timed
 * recheck (an instance may come back from a restart without freeing room) wakes the longest waiter
 * too, never jumping ahead of it. No abort listener per waiter (thousands may wait on one
 * signal): `wakeAll` ends every wait when the runtime stops.
 */
export class WaitingLine {
  readonly #waiters = new Map<string, Waiter[]>();

  /** Whether any call waits for one of `agents` (the per-step path: no allocation). */
  has(agents: readonly { readonly id: string }[]): boolean {
    for (const a of agents) {
      const list = this.#waiters.get(a.id);
      if (list && list.some((w) => !w.done)) return true;
    }
    return false;
  }

  /** Wait in line for room on any of `agents`; resolves when woken (re-checking after `recheckMs`). */
  wait(agents: readonly { readonly id: string }[], recheckMs: number): Promise<void> {
    return new Promise<void>((resolve) => {
      let timer: ReturnType<typeof setTimeout>;
      const w: Waiter = {
        done: false,
        wake: () => {
          if (w.done) return;
          w.done = true;
          clearTimeout(timer);
          resolve();
        },
      };
      const recheck = (): void => {
        const head = this.#head(agents[0]!.id);
        if (head === undefined || head === w) return w.wake();
        head.wake();
        timer = setTimeout(recheck, Math.min(RECHECK_MAX_MS, recheckMs * 2));
      };
      timer = setTimeout(recheck, recheckMs);
      for (const { id } of agents) {
        let list = this.#waiters.get(id);
        if (!list) this.#waiters.set(id, (list = []));
        // Drop settled waiters from the head so the list stays short.
        while (list.length > 0 && list[0]!.done) list.shift();
        list.push(w);
      }
    });
  }

  /** A call on `agentId` finished: wake the longest waiter for it. */
  room(agentId: string): void {
    this.#head(agentId)?.wake();
  }

  /** End every wait (the runtime is stopping). */
  wakeAll(): void {
    for (const list of this.#waiters.values()) for (const w of list.splice(0)) w.wake();
  }

  /** The longest waiter still waiting for `agentId`. */
  #head(agentId: string): Waiter | undefined {
    const list = this.#waiters.get(agentId);
    if (!list) return undefined;
    while (list.length > 0 && list[0]!.done) list.shift();
    return list[0];
  }
}
