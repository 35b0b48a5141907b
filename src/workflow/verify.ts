import { TroupeError } from '../errors/index.js';
import { hashValue } from '../util/index.js';
import { compileExpression, compileInputMapping, issuesOf, referencedNames } from './expressions.js';
import { adjacency, reachableFrom, startStep, stepEdges, unboundedCycles } from './graph.js';
import { checkJsonSchema, escapePointer, RESERVED_NAMES, validateWorkflowSchema } from './schema.js';
import type { Compensation, InputMapping, Next, StepDefinition, Target, WorkflowDefinition, WorkflowIssue } from './types.js';

/** What verification needs to know about the runtime a workflow will run on. */
export interface VerifyEnv {
  hasAgent(id: string): boolean;
  hasCapability(capability: string): boolean;
  /** When given, `workflow:` steps naming a registered workflow (not a file path) are checked. */
  hasWorkflow?(name: string): boolean;
}

/** Maps a JSON pointer to a position in the file a definition was loaded from. */
export interface SourceLocator {
  readonly file: string;
  locate(pointer: string): { line: number; column: number } | undefined;
}

/** True when a `workflow:` value is a file path (ends in .yaml, .yml or .json), not a registered name. */
export function isWorkflowPath(value: string): boolean {
  return /\.(ya?ml|json)$/i.test(value);
}

/**
 * Check a definition: schema; steps named by `start`, `next`, `onError` and `approval.reject`
 * exist; every step is reachable from the start; every cycle has a step with `maxVisits`; every
 * expression compiles; and, when `env` is given, every agent, capability and registered
 * sub-workflow exists. Expressions naming no step or view key are reported as warnings.
 *
 * @param def - a definition, or any parsed value (it is schema-checked first).
 * @param env - the runtime's registry; omit it to check only what needs no runtime.
 * @param source - locates each issue in the file the definition came from.
 * @returns issues (errors and warnings), each naming its JSON pointer; empty when all is well.
 * @example
 * ```ts
 * const issues = verifyWorkflow(def, { hasAgent: (id) => agents.has(id), hasCapability: () => false });
 * ```
 */
export function verifyWorkflow(def: WorkflowDefinition | unknown, env?: VerifyEnv, source?: SourceLocator): WorkflowIssue[] {
  const schemaIssues = validateWorkflowSchema(def);
  const issues = schemaIssues.length > 0 ? schemaIssues : checkDefinition(def as WorkflowDefinition, env);
  if (!source) return issues;
  // Located issues read best in file order; the sort is stable for issues on one line.
  return issues.map((i) => locateIssue(i, source)).sort((a, b) => (a.line ?? 0) - (b.line ?? 0) || (a.column ?? 0) - (b.column ?? 0));
}

/**
 * Verify a definition and throw when it has errors (warnings pass).
 *
 * @param source - a file name, or a locator from `loadWorkflowFile` to add line:column.
 * @throws TroupeError `TROUPE_WORKFLOW_INVALID` with `data.issues`; the message lists one issue a
 *   line as `file:line:col path: message`.
 */
export function assertValidWorkflow(def: WorkflowDefinition | unknown, env?: VerifyEnv, source?: string | SourceLocator): asserts def is WorkflowDefinition {
  const locator = typeof source === 'string' ? undefined : source;
  const file = typeof source === 'string' ? source : source?.file;
  const issues = verifyWorkflow(def, env, locator);
  if (issues.some(isError)) throw workflowInvalid(issues, file, nameOf(def));
}

/**
 * SHA-256 (hex) of a definition's canonical JSON (sorted keys): equal definitions hash equally
 * whatever their key order or source format.
 */
export function definitionHash(def: WorkflowDefinition): string {
  return hashValue(def);
}

/** True for an issue that makes a definition invalid (anything but a warning). */
export function isError(issue: WorkflowIssue): boolean {
  return issue.severity !== 'warning';
}

/** Render issues one a line: `file:line:col path: message` (warnings marked). */
export function formatIssues(issues: readonly WorkflowIssue[], file?: string): string {
  return issues
    .map((i) => {
      const where = file === undefined ? '' : i.line === undefined ? `${file}: ` : `${file}:${i.line}:${i.column ?? 1} `;
      return `${where}${i.path || '/'}: ${i.severity === 'warning' ? 'warning: ' : ''}${i.message}`;
    })
    .join('\n');
}

/** The `TROUPE_WORKFLOW_INVALID` error for a list of issues (errors first, then warnings). */
export function workflowInvalid(issues: readonly WorkflowIssue[], file?: string, name?: string): TroupeError {
  const sorted = [...issues.filter(isError), ...issues.filter((i) => !isError(i))];
  const errors = sorted.filter(isError).length;
  const what = file ?? (name === undefined ? 'workflow' : `workflow "${name}"`);
  return new TroupeError(
    'TROUPE_WORKFLOW_INVALID',
    `${what} is invalid (${errors} ${errors === 1 ? 'error' : 'errors'}):\n${formatIssues(sorted, file)}`,
    { data: { file, issues: sorted } },
  );
}

function locateIssue(issue: WorkflowIssue, source: SourceLocator): WorkflowIssue {
  const pos = source.locate(issue.path);
  return pos ? { ...issue, line: pos.line, column: pos.column } : issue;
}

function nameOf(def: unknown): string | undefined {
  const name = (def as { name?: unknown } | null)?.name;
  return typeof name === 'string' ? name : undefined;
}

function checkDefinition(def: WorkflowDefinition, env: VerifyEnv | undefined): WorkflowIssue[] {
  const issues: WorkflowIssue[] = [];
  const ids = new Set(Object.keys(def.steps));
  const start = startStep(def);
  if (def.start !== undefined && !ids.has(def.start)) {
    issues.push({ path: '/start', message: `start names step "${def.start}", which does not exist${known(ids)}` });
  }
  const edges = stepEdges(def);
  for (const e of edges) {
    if (!ids.has(e.to)) issues.push({ path: e.path, message: `${e.kind} names step "${e.to}", which does not exist${known(ids)}` });
  }
  if (def.input !== undefined) {
    const problem = checkJsonSchema(def.input);
    if (problem) issues.push({ path: '/input', message: problem });
  }
  const names = new Set([...ids, ...RESERVED_NAMES]);
  const expr = (source: string, path: string): void => checkExpression(issues, names, () => compileExpression(source, path), source, path);
  const mapping = (m: InputMapping | undefined, path: string): void => {
    if (m === undefined) return;
    if (typeof m === 'string') expr(m, path);
    else for (const [k, v] of Object.entries(m)) checkExpression(issues, names, () => compileInputMapping({ [k]: v }, path), v, `${path}/${escapePointer(k)}`);
  };
  if (def.output !== undefined) expr(def.output, '/output');
  for (const [id, step] of Object.entries(def.steps)) {
    checkStep(id, step, `/steps/${escapePointer(id)}`, { issues, env, expr, mapping });
  }
  if (start !== undefined && ids.has(start)) {
    const reachable = reachableFrom(adjacency(def, edges), start);
    for (const id of ids) {
      if (!reachable.has(id)) {
        issues.push({ path: `/steps/${escapePointer(id)}`, message: `step "${id}" is unreachable from the start step "${start}"` });
      }
    }
  }
  for (const cycle of unboundedCycles(def, edges)) {
    const loop = cycle.length === 1 ? `step "${cycle[0]}" loops to itself` : `steps ${cycle.map((s) => `"${s}"`).join(', ')} form a cycle`;
    issues.push({ path: `/steps/${escapePointer(cycle[0]!)}`, message: `${loop} with no bound: set maxVisits on at least one of them` });
  }
  return issues;
}

interface StepCheck {
  readonly issues: WorkflowIssue[];
  readonly env: VerifyEnv | undefined;
  expr(source: string, path: string): void;
  mapping(m: InputMapping | undefined, path: string): void;
}

function checkStep(id: string, step: StepDefinition, base: string, c: StepCheck): void {
  checkRules(c, step.next, `${base}/next`);
  checkRules(c, step.onError, `${base}/onError`);
  if ('agent' in step || 'capability' in step) {
    checkTarget(c, step as Target, base);
  }
  if ('input' in step) c.mapping(step.input, `${base}/input`);
  if ('approval' in step && typeof step.approval?.required === 'string') c.expr(step.approval.required, `${base}/approval/required`);
  if ('correct' in step && step.correct?.check !== undefined) c.expr(step.correct.check, `${base}/correct/check`);
  if ('parallel' in step) {
    for (const [name, branch] of Object.entries(step.parallel)) {
      const at = `${base}/parallel/${escapePointer(name)}`;
      checkTarget(c, branch, at);
      c.mapping(branch.input, `${at}/input`);
    }
  }
  if ('map' in step) {
    checkTarget(c, step.map, `${base}/map`);
    c.expr(step.map.items, `${base}/map/items`);
    c.mapping(step.map.input, `${base}/map/input`);
  }
  if ('workflow' in step && c.env?.hasWorkflow && !isWorkflowPath(step.workflow) && !c.env.hasWorkflow(step.workflow)) {
    c.issues.push({ path: `${base}/workflow`, message: `step "${id}" delegates to workflow "${step.workflow}", which is not registered` });
  }
  if (step.compensate !== undefined) {
    const comp: Compensation = typeof step.compensate === 'string' ? { agent: step.compensate } : step.compensate;
    checkTarget(c, comp, `${base}/compensate`, typeof step.compensate === 'string');
    c.mapping(comp.input, `${base}/compensate/input`);
  }
}

function checkTarget(c: StepCheck, target: Target, at: string, shorthand = false): void {
  if (!c.env) return;
  if (target.agent !== undefined && !c.env.hasAgent(target.agent)) {
    c.issues.push({ path: shorthand ? at : `${at}/agent`, message: `no agent is registered with id "${target.agent}"` });
  }
  if (target.capability !== undefined && !c.env.hasCapability(target.capability)) {
    c.issues.push({ path: `${at}/capability`, message: `no agent has capability "${target.capability}"` });
  }
}

function checkRules(c: StepCheck, next: Next | undefined, path: string): void {
  if (next === undefined || typeof next === 'string') return;
  next.forEach((rule, i) => {
    if (rule.when !== undefined) c.expr(rule.when, `${path}/${i}/when`);
    else if (i < next.length - 1) {
      c.issues.push({ path: `${path}/${i}`, severity: 'warning', message: `rule ${i} has no "when", so the ${next.length - 1 - i} rule(s) after it never apply` });
    }
  });
}

function checkExpression(issues: WorkflowIssue[], names: ReadonlySet<string>, compile: () => unknown, source: string, path: string): void {
  try {
    compile();
  } catch (e) {
    issues.push(...issuesOf(e));
    return;
  }
  for (const name of referencedNames(source)) {
    if (!names.has(name)) {
      issues.push({ path, severity: 'warning', message: `expression reads "${name}", which is neither a step id nor ${RESERVED_NAMES.join('/')}: it will be undefined` });
    }
  }
}

function known(ids: ReadonlySet<string>): string {
  const list = [...ids];
  return list.length <= 12 ? ` (steps: ${list.join(', ')})` : '';
}
