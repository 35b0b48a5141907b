import type { Agent, AgentDefinition, PolicyName } from '../agents/types.js';
import type { ErrorValue } from '../errors/index.js';
import type { ContextEntry, RunRecord, RunStatus, Store } from '../store/types.js';
import type { WorkflowDefinition } from '../workflow/types.js';

/** Options of `createRuntime`. */
export interface RuntimeOptions {
  /** Agents to register at start (definitions or `defineAgent` results). */
  readonly agents?: readonly (Agent | AgentDefinition)[];
  /** Workflows to register by name. */
  readonly workflows?: readonly WorkflowDefinition[];
  /** Where runs and context logs live. @defaultValue a new `MemoryStore` */
  readonly store?: Store;
  /** Default routing policy. @defaultValue 'round-robin' */
  readonly policy?: PolicyName;
  /** Injected clock (tests, simulated time). @defaultValue `Date.now` */
  readonly now?: () => number;
  /** Injected randomness for jitter and the weighted policy. @defaultValue `Math.random` */
  readonly random?: () => number;
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

/** Events a run emits while it goes. */
export type RunEvent =
  | { readonly type: 'step.started'; readonly runId: string; readonly step: string; readonly agent: string; readonly attempt: number }
  | { readonly type: 'step.completed'; readonly runId: string; readonly entry: ContextEntry }
  | { readonly type: 'step.failed'; readonly runId: string; readonly step: string; readonly error: ErrorValue; readonly agent?: string; readonly durationMs?: number; readonly attempts?: number }
  | { readonly type: 'approval.requested'; readonly runId: string; readonly step: string; readonly prompt?: string; readonly output?: unknown }
  | { readonly type: 'approval.decided'; readonly runId: string; readonly step: string; readonly approved: boolean; readonly by?: string; readonly comment?: string }
  | { readonly type: 'compensation.completed'; readonly runId: string; readonly entry: ContextEntry }
  | { readonly type: 'run.status'; readonly runId: string; readonly status: RunStatus };

/** A handle on one run. */
export interface RunHandle {
  readonly id: string;
  readonly workflow: string;
  /** Resolves with the run's output; rejects with `TROUPE_RUN_FAILED` / `TROUPE_RUN_CANCELLED`. */
  result(): Promise<unknown>;
  /** Current record (status, head, current steps). */
  status(): RunRecord;
  /** Steps waiting for approval now. */
  pendingApprovals(): readonly string[];
  approve(step: string, opts?: { by?: string; comment?: string }): void;
  reject(step: string, opts?: { by?: string; comment?: string }): void;
  cancel(reason?: string): void;
  /** The context log up to `version` (all when omitted). */
  context(version?: number): Promise<ContextEntry[]>;
  /** Subscribe to this run's events; returns the unsubscribe function. */
  on(listener: (event: RunEvent) => void): () => void;
}

/** The running actor tree. Created by `createRuntime`. */
export interface Runtime {
  /** Register an agent; its instances start under the agents supervisor. */
  registerAgent(agent: Agent | AgentDefinition): Agent;
  /** Verify and register a workflow by its name. @throws `TROUPE_WORKFLOW_INVALID` */
  registerWorkflow(definition: WorkflowDefinition): void;
  /** Start a run of a registered workflow (by name) or of a definition. @throws `TROUPE_RUN_INPUT_INVALID`, `TROUPE_WORKFLOW_NOT_FOUND`, `TROUPE_RUNTIME_STOPPED` */
  start(workflow: string | WorkflowDefinition, input?: unknown, options?: StartOptions): Promise<RunHandle>;
  /** A run started by this runtime. @throws `TROUPE_RUN_NOT_FOUND` */
  getRun(runId: string): RunHandle;
  /** Set an agent's routing weight (the `weighted` policy); reflection uses this. */
  setWeight(agentId: string, weight: number): void;
  /** Drain in-flight work (or cancel it after `timeoutMs`), stop every actor, close the store. */
  stop(options?: { timeoutMs?: number }): Promise<void>;
}
