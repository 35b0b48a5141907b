import type { Agent, AgentDefinition, PolicyName } from '../agents/index.js';
import type { PoolStats } from '../pool/index.js';
import type { Durability, Store } from '../store/index.js';
import type { Metrics } from '../metrics/index.js';
import type { AgentSupervision } from './agent-host.js';
import type { RunHandle, WorkflowDefinition } from '../workflow/index.js';

export type { RunEvent, RunHandle, RunListenOptions } from '../workflow/index.js';

/** Options of `createRuntime`. */
export interface RuntimeOptions {
  /** Agents to register at start (definitions or `defineAgent` results). */
  readonly agents?: readonly (Agent | AgentDefinition)[];
  /** Workflows to register by name. */
  readonly workflows?: readonly WorkflowDefinition[];
  /** Where runs and context logs live (takes precedence over `dataDir`). @defaultValue a `MemoryStore`, or an `LmdbStore` in `dataDir` */
  readonly store?: Store;
  /** A data directory: the runtime opens (and on stop closes) an LMDB store there. */
  readonly dataDir?: string;
  /** With `dataDir`: when a step counts as durable. @defaultValue 'flush' */
  readonly durability?: Durability;
  /** Default routing policy. @defaultValue 'round-robin' */
  readonly policy?: PolicyName;
  /** Injected clock (tests, simulated time). @defaultValue `Date.now` */
  readonly now?: () => number;
  /** Injected randomness for jitter and the weighted policy. @defaultValue `Math.random` */
  readonly random?: () => number;
  /** How agents' supervisors restart crashed instances. @defaultValue 5 restarts in 10 s, backoff 10 ms doubling to 1 s */
  readonly supervision?: AgentSupervision;
  /**
   * Resume the store's unfinished runs as soon as the runtime starts (after registering
   * `agents` and `workflows`): what a long-running service wants. Otherwise call `recover()`.
   * @defaultValue false
   */
  readonly recover?: boolean;
  /** Approve every approval step as soon as it is reached (demos, tests). @defaultValue false */
  readonly autoApprove?: boolean;
}

/** Options of `runtime.start`. */
export interface StartOptions {
  /** Run id; must be unique. @defaultValue a random UUID */
  readonly runId?: string;
  /** Routing policy for this run. */
  readonly policy?: PolicyName;
}



/** The running actor tree. Created by `createRuntime`. */
export interface Runtime {
  /** Register an agent; its instances start under the agents supervisor. */
  registerAgent(agent: Agent | AgentDefinition): Agent;
  /** Counters of every worker pool created so far (workers, running, queued, timeouts, recycled, ...). */
  poolStats(): PoolStats[];
  /**
   * Load a workflow file (YAML or JSON): import its agent modules, register its agents (worker
   * agents it declares too) and sub-workflows, and the workflow. Returns the workflow's name.
   * @throws `TROUPE_WORKFLOW_LOAD_FAILED`, `TROUPE_WORKFLOW_INVALID`, `TROUPE_MODULE_LOAD_FAILED`
   */
  load(file: string): Promise<string>;
  /** Verify and register a workflow by its name. @throws `TROUPE_WORKFLOW_INVALID` */
  registerWorkflow(definition: WorkflowDefinition): void;
  /** Start a run of a registered workflow (by name) or of a definition. @throws `TROUPE_RUN_INPUT_INVALID`, `TROUPE_WORKFLOW_NOT_FOUND`, `TROUPE_RUNTIME_STOPPED` */
  start(workflow: string | WorkflowDefinition, input?: unknown, options?: StartOptions): Promise<RunHandle>;
  /** A run started by this runtime. @throws `TROUPE_RUN_NOT_FOUND` */
  getRun(runId: string): RunHandle;
  /** Set an agent's routing weight (the `weighted` policy); reflection uses this. */
  setWeight(agentId: string, weight: number): void;
  /**
   * This runtime's metrics: its own prom-client registry (two runtimes never collide), rendered
   * in the Prometheus text format by `text()`. Every metric is listed in docs/metrics.md.
   *
   * @example
   * ```ts
   * res.setHeader('Content-Type', runtime.metrics.contentType);
   * res.end(await runtime.metrics.text());
   * ```
   */
  readonly metrics: Metrics;
  /** Drain in-flight work (or cancel it after `timeoutMs`), stop every actor, close the store. */
  stop(options?: { timeoutMs?: number }): Promise<void>;
}
