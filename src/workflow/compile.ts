import { type Agent, type PolicyName, compileSchema, type ValidationIssue, normalizeRetry } from '../agents/index.js';
import { parseDuration } from '../util/index.js';
import { compileExpression, compileInputMapping, type CompiledExpression } from './expressions.js';

type CompiledMapping = CompiledExpression;
import { buildMachine, type RunMachine } from './machine.js';
import { buildRunLogic, type RunLogic } from './run-logic.js';
import type { InputMapping, Next, StepDefinition, Target, WorkflowDefinition } from './types.js';

/** Compiled routing: a fixed target, or rules evaluated in order. `null` ends the run. */
export type CompiledNext =
  | { readonly kind: 'static'; readonly to: string | null }
  | { readonly kind: 'rules'; readonly rules: readonly { readonly when: CompiledExpression | null; readonly to: string }[] };

/** Where a call goes and how it is made. */
export interface CompiledCall {
  readonly agent: string | undefined;
  readonly capability: string | undefined;
  readonly input: CompiledMapping | null;
  readonly timeoutMs: number | undefined;
  readonly retry: Agent['retry'] | undefined;
}

/** A branch of a parallel step. */
export interface CompiledBranch extends CompiledCall {
  readonly name: string;
}

/** A step, with every expression compiled once. */
export interface CompiledStep {
  readonly id: string;
  readonly kind: 'task' | 'parallel' | 'map' | 'workflow' | 'approval';
  readonly call: CompiledCall | null;
  readonly next: CompiledNext;
  readonly onError: CompiledNext | null;
  readonly approval: {
    readonly required: boolean | CompiledExpression;
    readonly reject: string | undefined;
    readonly prompt: string | undefined;
    /** Past this wait the step counts as rejected (a durable timer). */
    readonly timeoutMs: number | undefined;
  } | null;
  readonly correct: { readonly max: number; readonly check: CompiledExpression | null } | null;
  readonly compensate: CompiledCall | null;
  readonly maxVisits: number | undefined;
  readonly branches: readonly CompiledBranch[];
  readonly map: (CompiledCall & { readonly items: CompiledExpression; readonly concurrency: number }) | null;
  readonly workflow: string | null;
  /** Every step this one may go to (for the machine). */
  readonly targets: readonly string[];
}

/** A workflow ready to run: compiled once, shared read-only by all its runs. */
export interface CompiledWorkflow {
  readonly name: string;
  readonly definition: WorkflowDefinition;
  readonly hash: string;
  readonly start: string;
  readonly steps: ReadonlyMap<string, CompiledStep>;
  readonly output: CompiledExpression | null;
  readonly policy: PolicyName | undefined;
  readonly validateInput: (value: unknown) => readonly ValidationIssue[] | null;
  /** The workflow's statechart, an XState machine (for tools, and the reference its runs' logic is checked against). */
  readonly machine: RunMachine;
  /** What each run's actor executes: the machine compiled to a transition table (see `buildRunLogic`). */
  readonly logic: RunLogic;
  /** The machine's `to.<step>` event for each step, made once (the core sends one per step). */
  readonly goto: ReadonlyMap<string, { readonly type: `to.${string}` }>;
  /** Sub-workflows by the name or path used in `workflow:` steps. */
  readonly children: ReadonlyMap<string, CompiledWorkflow>;
}

/**
 * Compile a verified definition. `resolveChild` returns the compiled sub-workflow a
 * `workflow:` step names (the runtime resolves registered names and loaded files).
 */
export function compileWorkflow(
  def: WorkflowDefinition,
  hash: string,
  resolveChild: (ref: string) => CompiledWorkflow,
): CompiledWorkflow {
  const defaults = def.defaults ?? {};
  const steps = new Map<string, CompiledStep>();
  const children = new Map<string, CompiledWorkflow>();
  for (const [id, step] of Object.entries(def.steps)) {
    const compiled = compileStep(id, step, defaults);
    steps.set(id, compiled);
    if (compiled.workflow !== null && !children.has(compiled.workflow)) children.set(compiled.workflow, resolveChild(compiled.workflow));
  }
  const start = def.start ?? Object.keys(def.steps)[0]!;
  const validateInput = def.input === undefined ? () => null : compileSchema(def.input, `workflow ${def.name}: /input`, { code: 'TROUPE_WORKFLOW_INVALID' });
  const goto = new Map<string, { readonly type: `to.${string}` }>();
  for (const id of steps.keys()) goto.set(id, { type: `to.${id}` });
  const base = { name: def.name, definition: def, hash, start, steps, output: def.output ? compileExpression(def.output, '/output') : null, policy: def.policy, validateInput, goto, children };
  return { ...base, machine: buildMachine(base), logic: buildRunLogic(base, (name) => children.get(name)!.logic) };
}

function compileStep(id: string, s: StepDefinition, defaults: NonNullable<WorkflowDefinition['defaults']>): CompiledStep {
  const at = `/steps/${id}`;
  const any = s as Partial<Record<string, unknown>> & StepDefinition;
  const timeout = s.timeout ?? defaults.timeout;
  const retry = s.retry ?? defaults.retry;
  const common = {
    timeoutMs: timeout === undefined ? undefined : parseDuration(timeout, `${at}/timeout`),
    retry: retry === undefined ? undefined : normalizeRetry(retry, `${at}/retry`, { code: 'TROUPE_WORKFLOW_INVALID' }),
  };
  let kind: CompiledStep['kind'];
  let call: CompiledCall | null = null;
  let branches: CompiledBranch[] = [];
  let map: CompiledStep['map'] = null;
  let workflow: string | null = null;
  if ('parallel' in s) {
    kind = 'parallel';
    branches = Object.entries(s.parallel).map(([name, b]) => ({
      name,
      ...target(b),
      input: mapping(b.input, `${at}/parallel/${name}/input`),
      timeoutMs: b.timeout === undefined ? common.timeoutMs : parseDuration(b.timeout, `${at}/parallel/${name}/timeout`),
      retry: b.retry === undefined ? common.retry : normalizeRetry(b.retry, `${at}/parallel/${name}/retry`, { code: 'TROUPE_WORKFLOW_INVALID' }),
    }));
  } else if ('map' in s) {
    kind = 'map';
    map = {
      ...target(s.map),
      ...common,
      input: mapping(s.map.input, `${at}/map/input`),
      items: compileExpression(s.map.items, `${at}/map/items`),
      concurrency: s.map.concurrency ?? 8,
    };
  } else if ('workflow' in s) {
    kind = 'workflow';
    workflow = s.workflow;
    call = { agent: undefined, capability: undefined, input: mapping(s.input, `${at}/input`), ...common };
  } else if ('agent' in s || 'capability' in s) {
    kind = 'task';
    call = { ...target(s as Target), input: mapping(any.input as InputMapping | undefined, `${at}/input`), ...common };
  } else {
    kind = 'approval';
  }
  const approvalDef = 'approval' in s ? s.approval : undefined;
  const approval = approvalDef
    ? {
        required: typeof approvalDef.required === 'string' ? compileExpression(approvalDef.required, `${at}/approval/required`) : approvalDef.required ?? true,
        reject: approvalDef.reject,
        prompt: approvalDef.prompt,
        timeoutMs: approvalDef.timeout === undefined ? undefined : parseDuration(approvalDef.timeout, `${at}/approval/timeout`),
      }
    : null;
  const correctDef = 'correct' in s ? s.correct : undefined;
  const compensateDef = typeof s.compensate === 'string' ? { agent: s.compensate } : s.compensate;
  const next = compileNext(s.next, `${at}/next`);
  const onError = s.onError === undefined ? null : compileNext(s.onError, `${at}/onError`);
  const targets = new Set<string>([...nextTargets(next), ...(onError ? nextTargets(onError) : [])]);
  if (approval?.reject) targets.add(approval.reject);
  return {
    id,
    kind,
    call,
    next,
    onError,
    approval,
    correct: correctDef ? { max: correctDef.max, check: correctDef.check ? compileExpression(correctDef.check, `${at}/correct/check`) : null } : null,
    compensate: compensateDef
      ? { ...target(compensateDef), input: mapping(compensateDef.input, `${at}/compensate/input`), timeoutMs: common.timeoutMs, retry: undefined }
      : null,
    maxVisits: s.maxVisits,
    branches,
    map,
    workflow,
    targets: [...targets],
  };
}

function target(t: Target): { agent: string | undefined; capability: string | undefined } {
  return { agent: t.agent, capability: t.agent === undefined ? t.capability : undefined };
}

function mapping(m: InputMapping | undefined, path: string): CompiledMapping | null {
  return m === undefined ? null : compileInputMapping(m, path);
}

function compileNext(next: Next | undefined, path: string): CompiledNext {
  if (next === undefined) return { kind: 'static', to: null };
  if (typeof next === 'string') return { kind: 'static', to: next };
  if (next.length === 1 && next[0]!.when === undefined) return { kind: 'static', to: next[0]!.to };
  return {
    kind: 'rules',
    rules: next.map((r, i) => ({ when: r.when === undefined ? null : compileExpression(r.when, `${path}/${i}/when`), to: r.to })),
  };
}

function nextTargets(n: CompiledNext): string[] {
  if (n.kind === 'static') return n.to === null ? [] : [n.to];
  return n.rules.map((r) => r.to);
}
