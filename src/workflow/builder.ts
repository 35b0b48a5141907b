import type { JsonSchema, PolicyName, RetryPolicy } from '../agents/index.js';
import { deepFreeze, type Duration } from '../util/index.js';
import type {
  ApprovalSpec,
  Branch,
  Compensation,
  Expression,
  InputMapping,
  MapStep,
  StepBase,
  StepDefinition,
  TaskStep,
  WorkflowDefinition,
  WorkflowIssue,
} from './types.js';
import { isError, verifyWorkflow, workflowInvalid } from './verify.js';

/** Names reserved in the expression view; a step id or branch name may not take them. */
export type ReservedName = 'input' | 'item' | 'index' | 'error' | 'feedback' | 'approvals';

/** A step id as the builder accepts it: any string literal but a reserved name. */
export type StepId<Id extends string> = Id extends ReservedName ? never : Id;

/** Exactly one of `agent` or `capability`. */
export type TargetSpec = { readonly agent: string; readonly capability?: never } | { readonly capability: string; readonly agent?: never };

/** A compensation: an agent id, or a target with an optional input mapping. */
export type CompensationSpec = string | (Omit<Compensation, 'agent' | 'capability'> & TargetSpec);

/** The fields every step takes (see `StepBase`). */
export type StepOptions = Omit<StepBase, 'compensate'> & { readonly compensate?: CompensationSpec };

/** A task step: one agent call. */
export type TaskStepSpec = StepOptions & Omit<TaskStep, keyof StepBase | 'agent' | 'capability'> & TargetSpec;

/** A branch of a parallel step. */
export type BranchSpec = Omit<Branch, 'agent' | 'capability'> & TargetSpec;

/** The `map` field of a map step. */
export type MapSpec = Omit<MapStep['map'], 'agent' | 'capability'> & TargetSpec;

/**
 * A fluent builder of workflow definitions; `build()` yields the same `WorkflowDefinition` a
 * YAML file would, checked by the same schema and structural verification.
 */
export class WorkflowBuilder {
  readonly #name: string;
  readonly #top: { -readonly [K in keyof WorkflowDefinition]?: WorkflowDefinition[K] } = {};
  readonly #steps: Record<string, StepDefinition> = {};
  readonly #duplicates: WorkflowIssue[] = [];

  constructor(name: string) {
    this.#name = name;
  }

  /** Set the version string. */
  version(version: string): this {
    this.#top.version = version;
    return this;
  }

  /** Set the description. */
  description(text: string): this {
    this.#top.description = text;
    return this;
  }

  /** Set the JSON Schema of the run's input. */
  input(schema: JsonSchema): this {
    this.#top.input = schema;
    return this;
  }

  /** Set the expression for the run's output. @defaultValue the output of the last step that ran */
  output(expression: Expression): this {
    this.#top.output = expression;
    return this;
  }

  /** Set the first step. @defaultValue the first step added */
  start(id: string): this {
    this.#top.start = id;
    return this;
  }

  /** Set the routing policy. */
  policy(policy: PolicyName): this {
    this.#top.policy = policy;
    return this;
  }

  /** Set the default timeout and retry of every step. */
  defaults(defaults: { readonly timeout?: Duration; readonly retry?: RetryPolicy }): this {
    this.#top.defaults = defaults;
    return this;
  }

  /** Add a task step calling one agent (by `agent` id or `capability`). */
  step<Id extends string>(id: StepId<Id>, spec: TaskStepSpec): this {
    return this.#add(id, spec as StepDefinition);
  }

  /** Add a parallel step: the branches run at once; the output is `{ <branch>: <output> }`. */
  parallel<Id extends string>(id: StepId<Id>, branches: { readonly [name: string]: BranchSpec }, options: StepOptions = {}): this {
    return this.#add(id, { ...options, parallel: branches } as StepDefinition);
  }

  /** Add a map step: one call per item of `spec.items`; the output is the list of results. */
  map<Id extends string>(id: StepId<Id>, spec: MapSpec, options: StepOptions = {}): this {
    return this.#add(id, { ...options, map: spec } as StepDefinition);
  }

  /** Add a step that runs a registered workflow (by name) as a sub-run. */
  workflow<Id extends string>(id: StepId<Id>, name: string, options: StepOptions & { readonly input?: InputMapping } = {}): this {
    return this.#add(id, { ...options, workflow: name } as StepDefinition);
  }

  /** Add an approval step: the run waits for a human. */
  approval<Id extends string>(id: StepId<Id>, approval: ApprovalSpec = {}, options: StepOptions = {}): this {
    return this.#add(id, { ...options, approval } as StepDefinition);
  }

  /**
   * Build and verify the definition (schema, step references, reachability, cycle bounds,
   * expressions; not agents, which need a runtime).
   *
   * @returns a deep-frozen definition.
   * @throws TroupeError `TROUPE_WORKFLOW_INVALID` with `data.issues`.
   */
  build(): WorkflowDefinition {
    const def = jsonCopy({ name: this.#name, ...this.#top, steps: this.#steps }) as WorkflowDefinition;
    return checked(def, this.#duplicates);
  }

  #add(id: string, step: StepDefinition): this {
    if (Object.prototype.hasOwnProperty.call(this.#steps, id)) {
      this.#duplicates.push({ path: `/steps/${id}`, message: `step "${id}" is defined twice` });
    }
    this.#steps[id] = step;
    return this;
  }
}

/**
 * Define a workflow in code: start a builder from a name, or verify a whole definition.
 *
 * @param nameOrDefinition - the workflow's name (returns a builder) or a definition object.
 * @returns a `WorkflowBuilder`, or the verified, deep-frozen definition.
 * @throws TroupeError `TROUPE_WORKFLOW_INVALID` (from `build()`, or at once for a definition).
 * @example
 * ```ts
 * const def = defineWorkflow('incident-response')
 *   .input({ type: 'object', required: ['alert'] })
 *   .step('triage', { agent: 'triage', input: 'input.alert', next: [{ when: 'triage.severity = "low"', to: 'report' }, { to: 'investigate' }] })
 *   .parallel('investigate', { logs: { capability: 'log-search' }, intel: { capability: 'threat-intel' } }, { next: 'report' })
 *   .step('report', { agent: 'reporter' })
 *   .build();
 * ```
 */
export function defineWorkflow(name: string): WorkflowBuilder;
export function defineWorkflow(definition: WorkflowDefinition): WorkflowDefinition;
export function defineWorkflow(nameOrDefinition: string | WorkflowDefinition): WorkflowBuilder | WorkflowDefinition {
  if (typeof nameOrDefinition === 'string') return new WorkflowBuilder(nameOrDefinition);
  return checked(jsonCopy(nameOrDefinition) as WorkflowDefinition, []);
}

function checked(def: WorkflowDefinition, extra: readonly WorkflowIssue[]): WorkflowDefinition {
  const issues = [...extra, ...verifyWorkflow(def)];
  if (issues.some(isError)) throw workflowInvalid(issues, undefined, def.name);
  return deepFreeze(def);
}

/** A JSON copy: what a YAML/JSON file could hold (drops `undefined` members, shares nothing). */
function jsonCopy(value: unknown): unknown {
  return JSON.parse(JSON.stringify(value)) as unknown;
}
