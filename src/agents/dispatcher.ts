import { setTimeout as delay } from 'node:timers/promises';
import { abortReasonValue, type ErrorValue } from '../errors/index.js';
import { cancellableOf, type Cancellable } from '../util/index.js';
import { CircuitBreaker, type BreakerStatus } from './circuit-breaker.js';
import { hasRoom, type CallOutcome, type InstanceSlot } from './instance.js';
import { getPolicy, weighted } from './policies.js';
import { retryDelay, shouldRetry } from './retry.js';
import { WaitingLine } from './waiting-line.js';
import type { Agent, CorrectionFeedback, InstanceLoad, PolicyName, PolicyState, RoutingPolicy } from './types.js';

/** What the dispatcher needs to know about the agents that exist now. */
export interface AgentDirectory {
  agent(id: string): Agent | undefined;
  withCapability(capability: string): readonly Agent[];
  slots(agentId: string): readonly InstanceSlot[];
  weight(agentId: string): number;
  /** False when the agent was stopped by its supervisor (escalated). */
  isUp(agentId: string): boolean;
}

/** One step's request to whichever agent serves it. */
export interface CallRequest {
  readonly agent?: string | undefined;
  readonly capability?: string | undefined;
  readonly input: unknown;
  readonly runId: string;
  readonly stepId: string;
  readonly idempotencyKey: string;
  /** Cancels the call (a run's cancellation, or any `AbortSignal`). */
  readonly signal?: Cancellable | AbortSignal | undefined;
  /** Overrides the agent's own timeout. */
  readonly timeoutMs?: number | undefined;
  /** Overrides the agent's own retry policy. */
  readonly retry?: Agent['retry'] | undefined;
  readonly feedback?: CorrectionFeedback | undefined;
  readonly policy?: PolicyName | undefined;
  /** Called when an attempt starts on an instance. */
  readonly onAttempt?: ((agentId: string, attempt: number) => void) | undefined;
}

/** The outcome of a call: never a rejection. */
export type CallResult =
  | { readonly ok: true; readonly output: unknown; readonly agent: string; readonly attempts: number }
  | { readonly ok: false; readonly error: ErrorValue; readonly agent: string | undefined; readonly attempts: number };

/** Observes the dispatcher's work (metrics), synchronously on the per-step path: keep it cheap. A throw is ignored. */
export interface DispatchObserver {
  /** A call ended, after its retries and fallback: `agent` answered (undefined: none could), `capability` when asked for, `code` null on success. */
  callEnded(agent: string | undefined, capability: string | undefined, code: string | null, durationMs: number): void;
  /** An attempt failed, or its input was rejected before it; `retrying` when another attempt follows. */
  attemptFailed(agent: string, code: string, retrying: boolean): void;
}

/** Options of the dispatcher. */
export interface DispatcherOptions {
  readonly directory: AgentDirectory;
  readonly policy: PolicyName;
  readonly now: () => number;
  readonly random: () => number;
  /** Aborted when the runtime stops: every wait ends. */
  readonly signal: AbortSignal;
  /** Told of every call's end and every failed attempt. */
  readonly observer?: DispatchObserver | undefined;
}

/**
 * A call that finds every mailbox and pool queue full waits for room: it is woken as soon as a
 * call on one of its agents finishes, and otherwise re-checks after an exponential backoff (an
 * instance may come back from a restart without freeing room), from the first to the last value.
 */
const WAIT_RECHECK_FIRST_MS = 10;
const WAIT_RECHECK_MAX_MS = 1_000;
const MAX_FALLBACK_DEPTH = 3;

/**
 * The router and resilience layer of every step: picks an instance by policy, applies
 * backpressure, timeout, retries with backoff, the circuit breaker, validation and fallback.
 */
export class Dispatcher {
  readonly #o: DispatcherOptions;
  readonly #breakers = new Map<string, CircuitBreaker>();
  readonly #circuitListeners = new Set<(agentId: string, status: BreakerStatus) => void>();
  /** The routing policies' state, per agent id and per capability. */
  readonly #agentPolicyState = new Map<string, PolicyState>();
  readonly #capabilityPolicyState = new Map<string, PolicyState>();
  /** Calls waiting for mailbox or pool room, FIFO per agent. */
  readonly #line = new WaitingLine();

  constructor(options: DispatcherOptions) {
    this.#o = options;
  }

  /** The breaker of an agent (created on first use). */
  breaker(agent: Agent): CircuitBreaker | null {
    if (!agent.breaker) return null;
    let b = this.#breakers.get(agent.id);
    if (!b) {
      b = new CircuitBreaker(agent.breaker, this.#o.now);
      b.onChange = (status) => {
        for (const l of this.#circuitListeners) l(agent.id, status);
      };
      this.#breakers.set(agent.id, b);
    }
    return b;
  }

  /** Be told when an agent's circuit breaker moves between closed, open and half-open. Returns the unsubscribe function. */
  onCircuit(listener: (agentId: string, status: BreakerStatus) => void): () => void {
    this.#circuitListeners.add(listener);
    return () => this.#circuitListeners.delete(listener);
  }

  /** Run a call to completion: the output, or the typed failure after the last retry and fallback. */
  call(req: CallRequest): Promise<CallResult> {
    return new Promise<CallResult>((resolve, reject) => this.dispatch(req, resolve, reject));
  }

  /**
   * {@link call} with callbacks: `done` gets the result, `failed` an unexpected throw. The common
   * case (an instance has room, a synchronous reply path) costs one state object and one reply
   * closure, no promise: this is the per-step path. `done` may run synchronously.
   */
  dispatch(req: CallRequest, done: (r: CallResult) => void, failed: (e: unknown) => void, depth = 0): void {
    const observer = this.#o.observer;
    if (observer !== undefined && depth === 0) done = observed(observer, req, done);
    const dir = this.#o.directory;
    const agents = req.agent !== undefined ? single(dir.agent(req.agent)) : dir.withCapability(req.capability ?? '');
    if (agents.length === 0) {
      const what = req.agent !== undefined ? `agent ${req.agent}` : `capability ${req.capability}`;
      done(fail({ code: 'TROUPE_AGENT_NOT_FOUND', message: `no ${what} is registered (step ${req.stepId})` }, undefined, 0));
      return;
    }
    // By the agent's or capability's own name (no key string made per call: its hash is cached).
    const states = req.agent !== undefined ? this.#agentPolicyState : this.#capabilityPolicyState;
    const key = req.agent ?? req.capability ?? '';
    let state = states.get(key);
    if (!state) states.set(key, (state = { cursor: 0 }));
    const c: CallState = {
      req,
      cancel: cancellableOf(req.signal),
      depth,
      agents,
      policy: getPolicy(req.policy ?? this.#o.policy),
      state,
      attempt: 0,
      waits: 0,
      // Backpressure is FIFO: when others already wait for these agents, queue behind them.
      mustWait: this.#line.has(agents),
      last: undefined,
      inputChecked: undefined,
      done,
      failed,
    };
    this.#next(c);
  }

  /** Route and send the next attempt of `c`, or end it. Re-entered after every wait. */
  #next(c: CallState): void {
    const { req } = c;
    for (;;) {
      if (this.#o.signal.aborted || c.cancel?.aborted) return c.done(fail(abortedValue(req, c.cancel), c.last?.agent.id, c.attempt));
      const pick = c.mustWait ? 'busy' : this.#route(c.agents, c.policy, c.state);
      c.mustWait = false;
      if (pick === 'open') {
        const retryAt = this.breaker(c.agents[0]!)?.retryAt();
        return this.#fallback(c, c.agents[0]!, { code: 'TROUPE_CIRCUIT_OPEN', message: `the circuit breaker of ${what(req)} is open (too many failures); calls are refused until it half-opens`, data: { retryAt } });
      }
      if (pick === 'unavailable') {
        return this.#fallback(c, c.agents[0]!, { code: 'TROUPE_AGENT_UNAVAILABLE', message: `no instance of ${what(req)} can take work (taken out of service by its supervisor)` });
      }
      if (pick === 'busy') {
        // Backpressure: every mailbox is full. Wait for room, in line, and route again; never a failure.
        const backoff = Math.min(WAIT_RECHECK_MAX_MS, WAIT_RECHECK_FIRST_MS * 2 ** c.waits++);
        this.#line.wait(c.agents, backoff).then(() => this.#resume(c));
        return;
      }
      const agent = pick.agent;
      if (c.inputChecked !== agent.id) {
        const issues = agent.validateInput(req.input);
        if (issues) {
          this.#attemptFailed(agent.id, 'TROUPE_AGENT_INPUT_INVALID', false);
          return c.done(
            fail(
              { code: 'TROUPE_AGENT_INPUT_INVALID', message: `input of ${agent.id} on step ${req.stepId} is invalid: ${issues.map((i) => `${i.path} ${i.message}`).join('; ')}`, data: { agent: agent.id, issues } },
              agent.id,
              c.attempt,
            ),
          );
        }
        c.inputChecked = agent.id;
      }
      const gate = this.breaker(agent);
      if (gate && !gate.tryPass()) continue; // half-open and its trial calls are taken: route again
      const attempt = ++c.attempt;
      c.waits = 0;
      req.onAttempt?.(agent.id, attempt);
      pick.ref!.send({
        type: 'call',
        call: {
          input: req.input,
          runId: req.runId,
          stepId: req.stepId,
          idempotencyKey: req.idempotencyKey,
          attempt,
          timeoutMs: req.timeoutMs ?? agent.timeoutMs,
          signal: c.cancel,
          feedback: req.feedback,
          reply: (outcome) => this.#settle(c, agent, gate, outcome),
        },
      });
      return;
    }
  }

  /** Continue `c` after a wait; a throw goes to its caller, never into a timer or an instance. */
  #resume(c: CallState): void {
    try {
      this.#next(c);
    } catch (e) {
      c.failed(e);
    }
  }

  /** An instance answered an attempt of `c`. */
  #settle(c: CallState, agent: Agent, breaker: CircuitBreaker | null, outcome: CallOutcome): void {
    try {
      let error: ErrorValue;
      if (outcome.ok) {
        const issues = agent.validateOutput(outcome.output);
        if (!issues) {
          breaker?.success();
          return c.done({ ok: true, output: outcome.output, agent: agent.id, attempts: c.attempt });
        }
        error = {
          code: 'TROUPE_AGENT_OUTPUT_INVALID',
          message: `output of ${agent.id} on step ${c.req.stepId} is invalid: ${issues.map((i) => `${i.path} ${i.message}`).join('; ')}`,
          data: { agent: agent.id, issues, output: outcome.output },
        };
      } else if (outcome.requeue) {
        c.attempt--; // never started: route again without spending an attempt
        // Asynchronously: the instance may be replying from inside its own transition.
        queueMicrotask(() => this.#resume(c));
        return;
      } else {
        error = outcome.error;
      }
      breaker?.failure();
      c.last = { error, agent };
      const retry = c.req.retry ?? agent.retry;
      const retrying = shouldRetry(error, c.attempt, retry);
      this.#attemptFailed(agent.id, error.code, retrying);
      if (retrying) {
        void this.#wait(retryDelay(c.attempt, retry, this.#o.random), c.cancel?.signal).then(() => this.#resume(c));
        return;
      }
      this.#fallback(c, agent, error);
    } catch (e) {
      c.failed(e);
    }
  }

  /** `c` failed on `agent`: try the agent's fallback, or end with `error`. */
  #fallback(c: CallState, agent: Agent, error: ErrorValue): void {
    const fb = agent.definition.fallback;
    const attempts = c.attempt;
    if (fb && c.depth < MAX_FALLBACK_DEPTH && (fb.agent !== undefined || fb.capability !== undefined)) {
      const req = { ...c.req, agent: fb.agent, capability: fb.agent === undefined ? fb.capability : undefined, retry: undefined, timeoutMs: undefined };
      this.dispatch(req, (r) => c.done({ ...r, attempts: r.attempts + attempts }), c.failed, c.depth + 1);
      return;
    }
    c.done(fail(error, agent.id, attempts));
  }

  #attemptFailed(agent: string, code: string, retrying: boolean): void {
    try {
      this.#o.observer?.attemptFailed(agent, code, retrying);
    } catch {
      // an observer must not break a call
    }
  }

  #route(agents: readonly Agent[], policy: RoutingPolicy, state: PolicyState): InstanceSlot | 'busy' | 'unavailable' | 'open' {
    const dir = this.#o.directory;
    if (agents.length === 1) {
      // Fast path: one agent with one instance needs no policy and no candidate lists.
      const only = dir.slots(agents[0]!.id);
      const open = policy !== weighted || dir.weight(agents[0]!.id) > 0; // weight 0 is never chosen
      if (open && only.length === 1 && hasRoom(only[0]!) && dir.isUp(agents[0]!.id) && (this.breaker(agents[0]!)?.canPass() ?? true)) return only[0]!;
    }
    const loads: InstanceLoad[] = [];
    const slots: InstanceSlot[] = [];
    let sawLive = false;
    let sawOpen = false;
    for (const agent of agents) {
      if (!dir.isUp(agent.id)) continue;
      const breaker = this.breaker(agent);
      if (breaker && !breaker.canPass()) {
        sawOpen = true;
        continue;
      }
      const weight = dir.weight(agent.id);
      for (const slot of dir.slots(agent.id)) {
        const life = slot.life;
        if (!life || life.stopped) continue;
        sawLive = true;
        if (!hasRoom(slot)) continue;
        slots.push(slot);
        loads.push({
          agentId: agent.id,
          instance: slot.index,
          inFlight: life.inFlight,
          queued: life.queue.length,
          concurrency: agent.concurrency,
          mailbox: agent.mailbox,
          weight,
          available: true,
        });
      }
    }
    if (slots.length === 0) return sawLive ? 'busy' : this.#restarting(agents) ? 'busy' : sawOpen ? 'open' : 'unavailable';
    if (slots.length === 1 && policy !== weighted) return slots[0]!;
    const i = policy(loads, state, this.#o.random);
    // Candidates with room that the policy refuses (every weight 0) can take no work: not backpressure.
    return i < 0 ? 'unavailable' : slots[i]!;
  }

  /** An agent that is up but whose instances are between lives (restarting) is busy, not gone. */
  #restarting(agents: readonly Agent[]): boolean {
    const dir = this.#o.directory;
    return agents.some((a) => dir.isUp(a.id) && (this.breaker(a)?.canPass() ?? true) && dir.slots(a.id).length > 0);
  }

  /** Called by an instance when a call finishes: wake the longest waiter for that agent. */
  room(agentId: string): void {
    this.#line.room(agentId);
  }

  /** End every wait (the runtime is stopping). */
  wakeAll(): void {
    this.#line.wakeAll();
  }

  /** Wait `ms`; false when aborted. */
  async #wait(ms: number, signal: AbortSignal | undefined): Promise<boolean> {
    const s = signal ? AbortSignal.any([signal, this.#o.signal]) : this.#o.signal;
    try {
      await delay(ms, undefined, { signal: s });
      return true;
    } catch {
      return false;
    }
  }
}

/** One call in progress: what the attempt loop carries between an instance's replies and waits. */
interface CallState {
  readonly req: CallRequest;
  /** `req.signal` as the call path uses it. */
  readonly cancel: Cancellable | undefined;
  readonly depth: number;
  readonly agents: readonly Agent[];
  readonly policy: RoutingPolicy;
  readonly state: PolicyState;
  attempt: number;
  /** Consecutive waits for room (the backoff's exponent); reset when an attempt is sent. */
  waits: number;
  mustWait: boolean;
  last: { error: ErrorValue; agent: Agent } | undefined;
  inputChecked: string | undefined;
  readonly done: (r: CallResult) => void;
  readonly failed: (e: unknown) => void;
}

function what(req: CallRequest): string {
  return req.agent !== undefined ? `agent ${req.agent}` : `capability ${req.capability}`;
}

/** `done`, timed and reported to `observer` (a throwing observer is ignored). */
function observed(observer: DispatchObserver, req: CallRequest, done: (r: CallResult) => void): (r: CallResult) => void {
  const t0 = performance.now();
  const capability = req.agent === undefined ? req.capability : undefined;
  return (r) => {
    try {
      observer.callEnded(r.agent, capability, r.ok ? null : r.error.code, performance.now() - t0);
    } catch {
      // an observer must not break a call
    }
    done(r);
  };
}

function single(a: Agent | undefined): readonly Agent[] {
  return a ? [a] : [];
}

function fail(error: ErrorValue, agent: string | undefined, attempts: number): CallResult {
  return { ok: false, error, agent, attempts };
}

function abortedValue(req: CallRequest, cancel: Cancellable | undefined): ErrorValue {
  return abortReasonValue(cancel?.reason, { code: 'TROUPE_RUNTIME_STOPPED', message: `step ${req.stepId} of run ${req.runId} was aborted` });
}
