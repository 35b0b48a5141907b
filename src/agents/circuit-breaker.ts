import type { Agent } from './types.js';

/** A circuit breaker's options in milliseconds, as on a defined agent. */
export type BreakerOptions = NonNullable<Agent['breaker']>;

/** Where a breaker is: `closed` passes calls, `open` refuses them, `half-open` lets trials through. */
export type BreakerStatus = 'closed' | 'open' | 'half-open';

/** What happened: a call was let through (`pass`), or a call ended (`success` / `failure`). */
export type BreakerEvent = 'pass' | 'success' | 'failure';

/** A breaker's whole state: a small immutable value. */
export interface BreakerState {
  readonly state: BreakerStatus;
  /** Consecutive failures while closed. */
  readonly failures: number;
  /** When it last opened (ms, the injected clock); 0 when it has not. */
  readonly openedAt: number;
  /** Trial calls let through since it half-opened. */
  readonly trials: number;
}

/** The state of a new breaker. */
export const CLOSED: BreakerState = Object.freeze({ state: 'closed', failures: 0, openedAt: 0, trials: 0 });

/**
 * Whether a call may go through now. An `open` breaker whose `resetTimeoutMs` has elapsed counts
 * as `half-open` (checked lazily here: there are no timers). Pure.
 *
 * @param s - the breaker's state.
 * @param now - the current time in ms.
 * @param opts - the breaker's options.
 * @returns `true` when a call may be let through; then apply the `pass` event.
 */
export function canPass(s: BreakerState, now: number, opts: BreakerOptions): boolean {
  switch (s.state) {
    case 'closed':
      return true;
    case 'open':
      return now - s.openedAt >= opts.resetTimeoutMs;
    default:
      return s.trials < opts.halfOpenMax;
  }
}

/**
 * The status a breaker has at `now`, with the lazy open → half-open step applied.
 *
 * @param s - the breaker's state.
 * @param now - the current time in ms.
 * @param opts - the breaker's options.
 * @returns `closed`, `open` or `half-open`.
 */
export function breakerStatus(s: BreakerState, now: number, opts: BreakerOptions): BreakerStatus {
  return s.state === 'open' && now - s.openedAt >= opts.resetTimeoutMs ? 'half-open' : s.state;
}

/**
 * The breaker's next state. Returns `s` itself when nothing changes (no allocation). Pure.
 *
 * - `pass`: closed stays; open (reset timeout elapsed) → half-open with 1 trial; half-open
 *   counts one more trial. A `pass` the breaker would refuse (see {@link canPass}) changes nothing.
 * - `success`: closed resets its failure count; half-open → closed; open ignores a late success
 *   (one admitted before it opened) until its reset timeout has elapsed, then it counts as half-open.
 * - `failure`: closed counts it and opens at `failureThreshold`; half-open → open again (the reset
 *   timeout restarts); open ignores a late failure, with the same lazy half-open rule.
 *
 * @param s - the current state.
 * @param event - what happened.
 * @param now - the current time in ms.
 * @param opts - the breaker's options.
 * @returns the next state.
 * @example
 * ```ts
 * let s = CLOSED;
 * for (let i = 0; i < 5; i++) s = breakerTransition(s, 'failure', now, opts); // s.state === 'open'
 * ```
 */
export function breakerTransition(s: BreakerState, event: BreakerEvent, now: number, opts: BreakerOptions): BreakerState {
  switch (event) {
    case 'pass':
      if (s.state === 'open') {
        return now - s.openedAt >= opts.resetTimeoutMs ? { state: 'half-open', failures: 0, openedAt: s.openedAt, trials: 1 } : s;
      }
      if (s.state === 'half-open' && s.trials < opts.halfOpenMax) {
        return { state: 'half-open', failures: 0, openedAt: s.openedAt, trials: s.trials + 1 };
      }
      return s;
    case 'success':
      if (s.state === 'open' && now - s.openedAt < opts.resetTimeoutMs) return s;
      return s.failures === 0 && s.state === 'closed' ? s : CLOSED;
    case 'failure':
      if (s.state === 'open' && now - s.openedAt < opts.resetTimeoutMs) return s;
      if (s.state !== 'closed' || s.failures + 1 >= opts.failureThreshold) {
        return { state: 'open', failures: 0, openedAt: now, trials: 0 };
      }
      return { state: 'closed', failures: s.failures + 1, openedAt: s.openedAt, trials: 0 };
    default:
      return s;
  }
}

/**
 * A circuit breaker over {@link breakerTransition} with an injected clock. No timers: the
 * open → half-open step happens lazily when a call asks to pass.
 *
 * @example
 * ```ts
 * const breaker = new CircuitBreaker(agent.breaker!, runtime.now);
 * if (!breaker.tryPass()) throw new TroupeError('TROUPE_CIRCUIT_OPEN', `${agent.id}: circuit open`, { data: { retryAt: breaker.retryAt() } });
 * try { const out = await call(); breaker.success(); return out; } catch (e) { breaker.failure(); throw e; }
 * ```
 */
export class CircuitBreaker {
  #state: BreakerState = CLOSED;
  readonly #opts: BreakerOptions;
  readonly #now: () => number;

  /**
   * @param opts - failure threshold, reset timeout (ms) and half-open trials.
   * @param now - the clock. @defaultValue `Date.now`
   */
  constructor(opts: BreakerOptions, now: () => number = Date.now) {
    this.#opts = opts;
    this.#now = now;
  }

  /** The status now (an elapsed open breaker reads `half-open`). */
  get status(): BreakerStatus {
    return breakerStatus(this.#state, this.#now(), this.#opts);
  }

  /** The raw state value (for inspection and metrics). */
  get state(): BreakerState {
    return this.#state;
  }

  /**
   * Whether a call could go through now, without counting it. Use it to filter candidates;
   * admit the chosen call with {@link CircuitBreaker.tryPass} so half-open trials stay bounded.
   *
   * @returns `true` when the breaker is closed, half-open with trials left, or open past its reset timeout.
   */
  canPass(): boolean {
    return canPass(this.#state, this.#now(), this.#opts);
  }

  /**
   * Ask to let a call through; when allowed, it is counted (as a trial when half-open).
   *
   * @returns `true` when the call may go; `false` when the caller should fail it with `TROUPE_CIRCUIT_OPEN`.
   */
  tryPass(): boolean {
    const now = this.#now();
    if (!canPass(this.#state, now, this.#opts)) return false;
    this.#set(breakerTransition(this.#state, 'pass', now, this.#opts));
    return true;
  }

  /** Record that a call succeeded. */
  success(): void {
    this.#set(breakerTransition(this.#state, 'success', this.#now(), this.#opts));
  }

  /** Record that a call failed. */
  failure(): void {
    this.#set(breakerTransition(this.#state, 'failure', this.#now(), this.#opts));
  }

  /** Told when the breaker moves between closed, open and half-open (the inspector). A throw is ignored. */
  onChange: ((status: BreakerStatus) => void) | null = null;

  #set(next: BreakerState): void {
    const was = this.#state.state;
    this.#state = next;
    if (next.state !== was && this.onChange !== null) {
      try {
        this.onChange(next.state);
      } catch {
        // an observer must not break a call
      }
    }
  }

  /**
   * When an open breaker will let a trial through.
   *
   * @returns that time in ms, or `null` when it is not open.
   */
  retryAt(): number | null {
    return this.#state.state === 'open' ? this.#state.openedAt + this.#opts.resetTimeoutMs : null;
  }

  /** Close the breaker and forget its failures. */
  reset(): void {
    this.#set(CLOSED);
  }
}
