import type { ErrorValue } from '../errors/index.js';
import type { NormalisedPoolOptions, PoolOptions } from '../pool/index.js';
import type { Duration } from '../util/index.js';

/** A JSON Schema (draft 2020-12 subset that Ajv supports). Schemas are trusted code. */
export type JsonSchema = Record<string, unknown> | boolean;

/** How a failed call is retried. */
export interface RetryPolicy {
  /** Retries after the first attempt. @defaultValue 0 */
  readonly max: number;
  /** @defaultValue 'exponential' */
  readonly backoff?: 'exponential' | 'fixed';
  /** Delay before the first retry. @defaultValue 100ms */
  readonly base?: Duration;
  /** Upper bound on any one delay. @defaultValue 30s */
  readonly maxDelay?: Duration;
  /** Full jitter (`true`) or none. @defaultValue true */
  readonly jitter?: boolean;
  /** Codes that are never retried. @defaultValue input/output-invalid, circuit-open, not-found */
  readonly nonRetryable?: readonly string[];
}

/** A circuit breaker per agent: closed → open after `failureThreshold` consecutive failures → half-open after `resetTimeout`. */
export interface CircuitBreakerOptions {
  /** @defaultValue 5 */
  readonly failureThreshold?: number;
  /** @defaultValue 30s */
  readonly resetTimeout?: Duration;
  /** Trial calls let through while half-open. @defaultValue 1 */
  readonly halfOpenMax?: number;
}

/** What an agent's `execute` receives beside its input. */
export interface AgentContext {
  /** Aborted when the step times out, the run is cancelled or the runtime stops. */
  readonly signal: AbortSignal;
  /** 1 for the first attempt, 2 for the first retry, ... */
  readonly attempt: number;
  readonly runId: string;
  readonly stepId: string;
  /** Stable across retries and re-dispatch after a crash: use it to deduplicate side effects. */
  readonly idempotencyKey: string;
  /** Which instance of the agent runs this call (0-based). */
  readonly instance: number;
  /** What the agent's `setup` returned for this instance, if it has one. */
  readonly state: unknown;
  /** In a self-correction loop: the errors the previous attempt's output was rejected with. */
  readonly feedback?: CorrectionFeedback;
}

/** Why a previous output was rejected, handed back to the agent in a self-correction loop. */
export interface CorrectionFeedback {
  readonly attempt: number;
  readonly errors: readonly ValidationIssue[];
  readonly previousOutput: unknown;
}

/** One validation problem: where (JSON pointer) and what. */
export interface ValidationIssue {
  readonly path: string;
  readonly message: string;
}

/** Options every agent kind shares. */
export interface AgentOptions {
  /** Unique id, `[a-z0-9][a-z0-9._-]*`. */
  readonly id: string;
  /** What the agent can do; steps may ask for a capability instead of an id. @defaultValue [] */
  readonly capabilities?: readonly string[];
  readonly description?: string;
  /** JSON Schema for the input, compiled once. */
  readonly input?: JsonSchema;
  /** JSON Schema for the output, compiled once. */
  readonly output?: JsonSchema;
  /** For a worker agent, measured from when its task starts running in a worker, not from when it was queued. @defaultValue 30s */
  readonly timeout?: Duration;
  /** @defaultValue { max: 0 } */
  readonly retry?: RetryPolicy;
  /** Calls one instance runs at once. @defaultValue 64; for a worker agent, its pool's maxThreads + maxQueue */
  readonly concurrency?: number;
  /** Instances (actors) of this agent. @defaultValue 1 */
  readonly instances?: number;
  /** Messages one instance queues beyond `concurrency` before it reports backpressure. @defaultValue 1024; 0 for a worker agent (its pool queues) */
  readonly mailbox?: number;
  /** `false` disables it. @defaultValue { failureThreshold: 5, resetTimeout: '30s' } */
  readonly circuitBreaker?: CircuitBreakerOptions | false;
  /** Where to send a call when this agent is unavailable or its last retry failed. */
  readonly fallback?: { readonly agent?: string; readonly capability?: string };
  /** Initial routing weight for the `weighted` policy. @defaultValue 1 */
  readonly weight?: number;
  /**
   * The same input always gives the same output and calling again is pointless: troupe caches its
   * responses in the store, keyed by agent id and input hash, and a step naming this agent is not
   * called again for the same input within `ttl` (hits and misses are counted). `true` means a
   * one-hour TTL. @defaultValue false
   */
  readonly idempotent?: boolean | { readonly ttl: Duration };
}

/** An agent whose `execute` runs on the runtime's event loop: for I/O-bound work (calling a model, an API). */
export interface InlineAgentDefinition<I = any, O = any> extends AgentOptions {
  /** @defaultValue 'inline' */
  readonly kind?: 'inline';
  /** The work. Honour `ctx.signal`. */
  execute(input: I, ctx: AgentContext): O | Promise<O>;
  /** Per-instance start-up; its result is `ctx.state`. A throw here is a crash handled by the supervisor. */
  setup?(info: { instance: number; signal: AbortSignal }): unknown;
  /** Per-instance shutdown. */
  teardown?(state: unknown): void | Promise<void>;
}

/**
 * An agent whose work runs in a pool of worker threads (or child processes): for CPU-bound work
 * (parsing, scoring, scanning) that must not block the event loop every run shares. Its module
 * exports `execute(input, ctx: WorkerContext)` (or a default export) and sees only its task's input.
 */
export interface WorkerAgentDefinition extends AgentOptions {
  readonly kind: 'worker';
  /** The worker module: an absolute path or a `file:` URL, e.g. `new URL('./scan.task.ts', import.meta.url)`. */
  readonly module: string | URL;
  /** The module's export to call. @defaultValue 'execute' (or the default export) */
  readonly export?: string;
  /** The pool that runs it. @defaultValue one thread pool per agent with the defaults of `PoolOptions` */
  readonly pool?: PoolOptions;
}

/** What users pass to `defineAgent`: an inline agent, or a worker agent (`kind: 'worker'`). */
export type AgentDefinition<I = any, O = any> = InlineAgentDefinition<I, O> | WorkerAgentDefinition;

/** Where a worker agent's work runs, after `defineAgent`. */
export interface WorkerSpec {
  /** `file:` URL of the module. */
  readonly module: string;
  readonly exportName: string;
  readonly pool: NormalisedPoolOptions;
}

/** An agent after `defineAgent`: normalised options and compiled validators. */
export interface Agent<I = any, O = any> {
  readonly id: string;
  readonly kind: 'inline' | 'worker';
  /** Set for a worker agent. */
  readonly worker: WorkerSpec | null;
  readonly capabilities: readonly string[];
  readonly definition: AgentDefinition<I, O>;
  readonly timeoutMs: number;
  readonly retry: Required<Omit<RetryPolicy, 'base' | 'maxDelay'>> & { readonly baseMs: number; readonly maxDelayMs: number };
  readonly concurrency: number;
  readonly instances: number;
  readonly mailbox: number;
  readonly breaker: { readonly failureThreshold: number; readonly resetTimeoutMs: number; readonly halfOpenMax: number } | null;
  readonly weight: number;
  /** The response cache's TTL for this agent, or `null` when it is not idempotent. */
  readonly idempotentTtlMs: number | null;
  /** Returns the issues, or `null` when the value is valid. */
  validateInput(value: unknown): readonly ValidationIssue[] | null;
  validateOutput(value: unknown): readonly ValidationIssue[] | null;
}

/** An inline agent after `defineAgent` (its definition's `execute` can be called directly, e.g. in tests). */
export type InlineAgent<I = any, O = any> = Agent<I, O> & { readonly definition: InlineAgentDefinition<I, O> };

/** A step's failure as a value in the context: what the workflow's `onError` rules route on. */
export type StepError = ErrorValue;

/** The load of one agent instance, as the router sees it. */
export interface InstanceLoad {
  readonly agentId: string;
  readonly instance: number;
  /** Calls executing now. */
  readonly inFlight: number;
  /** Calls waiting in the mailbox. */
  readonly queued: number;
  readonly concurrency: number;
  readonly mailbox: number;
  /** Routing weight (the `weighted` policy). */
  readonly weight: number;
  /** False while restarting, escalated, or circuit open. */
  readonly available: boolean;
}

/** Router state a policy may keep between calls (e.g. the round-robin cursor), owned by the router. */
export interface PolicyState {
  cursor: number;
}

/**
 * A routing policy: a pure function choosing the index of an instance in `candidates`, or -1
 * when none can take work. Candidates arrive filtered to available instances with mailbox room.
 */
export type RoutingPolicy = (candidates: readonly InstanceLoad[], state: PolicyState, random: () => number) => number;

/** Names of the built-in policies. */
export type PolicyName = 'round-robin' | 'least-loaded' | 'weighted';
