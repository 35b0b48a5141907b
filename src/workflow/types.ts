import type { JsonSchema, PolicyName, RetryPolicy, WorkerAgentDefinition } from '../agents/index.js';
import type { ErrorValue } from '../errors/index.js';
import type { ContextEntry, RunRecord, RunStatus } from '../store/index.js';
import type { Duration } from '../util/index.js';

/**
 * An expression in JSONata, evaluated against the run's context view:
 * `{ input, <stepId>: <output>, ... }` (plus `item`/`index` inside a map, `error` in `onError`,
 * `feedback` in a self-correction loop). Compiled once at load time; never `eval`.
 */
export type Expression = string;

/** A step's input: one expression, or an object whose values are expressions. */
export type InputMapping = Expression | { readonly [key: string]: Expression };

/** A conditional transition. The first rule whose `when` is true (or that has none) wins. */
export interface NextRule {
  readonly when?: Expression;
  readonly to: string;
}

/** Where to go after a step: one step id, or rules. Absent: the run ends after the step. */
export type Next = string | readonly NextRule[];

/** Who executes: an agent id, or any agent with a capability. Exactly one. */
export interface Target {
  readonly agent?: string;
  readonly capability?: string;
}

/** A compensation (saga): run when the run fails after this step completed. */
export interface Compensation extends Target {
  /** Default: the step's own output. */
  readonly input?: InputMapping;
}

/** A human approval gate. On a task step it gates the step's output; alone it is a pure wait. */
export interface ApprovalSpec {
  /** `true`, `false`, or an expression (e.g. `triage.severity != "low"`). @defaultValue true */
  readonly required?: boolean | Expression;
  /** Step to go to on rejection. Absent: the run fails with the rejection. */
  readonly reject?: string;
  /** Shown to the approver. */
  readonly prompt?: string;
  /** How long to wait; past it the step counts as rejected (`by: 'timeout'`). A durable timer: it survives restarts. */
  readonly timeout?: Duration;
}

/** Fields every step has. */
export interface StepBase {
  readonly description?: string;
  readonly next?: Next;
  /** Where a failure goes after the last retry: a step id, or rules evaluated with `error` in view. */
  readonly onError?: Next;
  readonly compensate?: string | Compensation;
  /** Bound on entries into this step; required on at least one step of every cycle. */
  readonly maxVisits?: number;
  readonly timeout?: Duration;
  readonly retry?: RetryPolicy;
}

/** Calls one agent. */
export interface TaskStep extends StepBase, Target {
  readonly input?: InputMapping;
  readonly approval?: ApprovalSpec;
  /**
   * Self-correction: when the output is rejected (by the agent's output schema or by `check`),
   * re-run the step with the errors as `ctx.feedback` until it passes or `max` attempts are used.
   */
  readonly correct?: { readonly max: number; readonly check?: Expression };
}

/** A branch of a parallel step. */
export interface Branch extends Target {
  readonly input?: InputMapping;
  readonly timeout?: Duration;
  readonly retry?: RetryPolicy;
}

/** Runs named branches at once and joins them; the step's output is `{ <branch>: <output> }`. */
export interface ParallelStep extends StepBase {
  readonly parallel: { readonly [branch: string]: Branch };
}

/** Dynamic fan-out: one call per item of a list, at most `concurrency` at once; output is the list of results. */
export interface MapStep extends StepBase {
  readonly map: Target & {
    /** Expression yielding an array. */
    readonly items: Expression;
    /** Per item; `item` and `index` are in view. @defaultValue `item` */
    readonly input?: InputMapping;
    /** @defaultValue 8 */
    readonly concurrency?: number;
  };
}

/** Delegates to a sub-workflow run as a child actor; its output is the sub-run's output. */
export interface WorkflowStep extends StepBase {
  /** A workflow registered with the runtime by name, or a file path relative to this one. */
  readonly workflow: string;
  readonly input?: InputMapping;
}

/** Waits for a human. Output: `{ approved: true, by?, comment? }`. */
export interface ApprovalStep extends StepBase {
  readonly approval: ApprovalSpec;
}

/** Any step. */
export type StepDefinition = TaskStep | ParallelStep | MapStep | WorkflowStep | ApprovalStep;

/**
 * A worker agent declared in a workflow file's `agents:` list: the options of a
 * {@link WorkerAgentDefinition}, with `module` relative to the workflow file (or absolute, or a
 * `file:` URL). Loading the file resolves the path and checks the declaration with `defineAgent`.
 *
 * @example
 * ```yaml
 * agents:
 *   - id: log-scan
 *     kind: worker
 *     module: ./log-scan.task.ts
 *     capabilities: [log-search]
 *     pool: { maxThreads: 2, maxQueue: 32 }
 * ```
 */
export interface WorkflowWorkerAgent extends Omit<WorkerAgentDefinition, 'module'> {
  /** The worker module, relative to the workflow file, absolute, or a `file:` URL. */
  readonly module: string;
}

/** A workflow definition, as written in YAML/JSON or produced by the builder. */
export interface WorkflowDefinition {
  readonly name: string;
  readonly version?: string;
  readonly description?: string;
  /** JSON Schema for the run's input. */
  readonly input?: JsonSchema;
  /** Expression for the run's output. @defaultValue the output of the last step that ran */
  readonly output?: Expression;
  /**
   * Agents to load (YAML/JSON only): agent-module paths relative to the workflow file, or worker
   * agents declared inline.
   */
  readonly agents?: readonly (string | WorkflowWorkerAgent)[];
  /** First step. @defaultValue the first key of `steps` */
  readonly start?: string;
  readonly steps: { readonly [id: string]: StepDefinition };
  /**
   * Overrides the runtime's durability for this workflow's steps (LMDB store): `flush` (on disk
   * before the next step starts) or `commit` (committed: survives a process crash, not a power
   * loss). `memory` is a property of the whole store, so it cannot be chosen per workflow.
   */
  readonly durability?: 'flush' | 'commit';
  /** Routing policy for this workflow's steps. @defaultValue 'round-robin' */
  readonly policy?: PolicyName;
  readonly defaults?: { readonly timeout?: Duration; readonly retry?: RetryPolicy };
}

/** One load-time problem, located. */
export interface WorkflowIssue {
  /** JSON pointer into the definition, e.g. `/steps/triage/next/0/to`. */
  readonly path: string;
  readonly message: string;
  /** 1-based line and column in the source file, when loaded from one. */
  readonly line?: number;
  readonly column?: number;
  /** A warning does not make the definition invalid (e.g. an expression naming no known step). @defaultValue 'error' */
  readonly severity?: 'error' | 'warning';
}

/** Events a run emits while it goes. */
export type RunEvent =
  | { readonly type: 'step.started'; readonly runId: string; readonly step: string; readonly agent: string; readonly attempt: number }
  | { readonly type: 'step.completed'; readonly runId: string; readonly entry: ContextEntry }
  | { readonly type: 'step.failed'; readonly runId: string; readonly step: string; readonly error: ErrorValue; readonly agent?: string; readonly durationMs?: number; readonly attempts?: number }
  | { readonly type: 'approval.requested'; readonly runId: string; readonly step: string; readonly prompt?: string; readonly output?: unknown }
  | { readonly type: 'approval.decided'; readonly runId: string; readonly step: string; readonly approved: boolean; readonly by?: string; readonly comment?: string }
  | { readonly type: 'compensation.completed'; readonly runId: string; readonly entry: ContextEntry }
  | { readonly type: 'run.status'; readonly runId: string; readonly status: RunStatus }
  | { readonly type: 'operator.recorded'; readonly runId: string; readonly entry: ContextEntry }
  /** Any entry sealed into the run's log (step, error, approval, compensation, operator), with its hash. */
  | { readonly type: 'entry.appended'; readonly runId: string; readonly entry: ContextEntry };

/** Options of `runtime.on()`. */
export interface RunListenOptions {
  /**
   * Whether the listener also gets each step's routine events: `step.started` of a first attempt,
   * `step.completed` and `entry.appended`. Runs build those only while some listener wants them,
   * so a listener without them costs nothing per step; it still gets every `run.status`, retries
   * (`step.started` of a later attempt), failures, approvals, compensations and operator entries.
   * @defaultValue true
   */
  readonly perStep?: boolean;
}

/** Who acts on a run (recorded in its log as an `operator` entry). */
export interface OperatorInfo {
  /** @defaultValue 'api' */
  readonly by?: string;
  readonly comment?: string;
}

/** A handle on one run. */
export interface RunHandle {
  readonly id: string;
  readonly workflow: string;
  /** Resolves with the run's output; rejects with `TROUPE_RUN_FAILED` / `TROUPE_RUN_CANCELLED`. */
  result(): Promise<unknown>;
  /** Current record (status, head, current steps): a copy. */
  status(): RunRecord;
  /** The steps running now, without copying the record (read-only; replaced, never changed, as the run moves). */
  currentSteps(): readonly string[];
  /**
   * The record itself, not a copy: for a monitor that reads a few fields of many runs often (the
   * inspector's overview). Read-only, and read at once: it changes as the run moves.
   */
  peek(): Readonly<RunRecord>;
  /** Steps waiting for approval now. */
  pendingApprovals(): readonly string[];
  approve(step: string, opts?: { by?: string; comment?: string }): void;
  reject(step: string, opts?: { by?: string; comment?: string }): void;
  /** Cancel the run; recorded in its log (`operator` entry) with `by`. */
  cancel(reason?: string, by?: OperatorInfo): void;
  /** Start no further step: the step in flight finishes and is recorded, then the run holds (status `paused`, kept across restarts). */
  pause(by?: OperatorInfo): void;
  /** Carry on after `pause()`. */
  resume(by?: OperatorInfo): void;
  /** The context log up to `version` (all when omitted). */
  context(version?: number): Promise<ContextEntry[]>;
  /** Subscribe to this run's events; returns the unsubscribe function. */
  on(listener: (event: RunEvent) => void): () => void;
}
