import jsonata from 'jsonata';
import { TroupeError } from '../errors/index.js';
import type { Expression, InputMapping, Next, WorkflowIssue } from './types.js';
import { compileDirect, UNHANDLED } from './direct-expressions.js';

/**
 * What an expression sees: `{ input, <stepId>: <output>, ... }`, plus `item`/`index` inside a
 * map step, `error` in `onError` rules and `feedback` in a self-correction loop.
 */
export type ExpressionView = Readonly<Record<string, unknown>>;

/** An expression compiled once, evaluated many times. */
export interface CompiledExpression {
  /** The expression as written. */
  readonly source: string;
  /** JSON pointer of the expression in its definition, e.g. `/steps/triage/next/0/when`. */
  readonly path: string;
  /**
   * Evaluate against a view. The result is a plain JSON-like copy (no JSONata sequences, no
   * functions, no shared references into the view).
   *
   * @throws TroupeError `TROUPE_EXPRESSION_FAILED` naming the path and the expression.
   */
  evaluate(view: ExpressionView): Promise<unknown>;
}

/** Guardrails on one evaluation: wall-clock time, evaluation depth and sequence length. */
const LIMITS = { timeout: 1000, stack: 500, sequence: 1_000_000 } as const;

/**
 * Functions refused at compile time. `$now`, `$millis` and `$random` make a result differ between
 * the first run and its replay after a crash (routing is re-evaluated on recovery); `$eval`
 * would let a computed string bypass this check.
 */
const FORBIDDEN_FUNCTIONS = new Set(['now', 'millis', 'random', 'eval']);

interface AstNode {
  readonly type: string;
  readonly value?: unknown;
  readonly position?: number;
  readonly [key: string]: unknown;
}

/**
 * Compile a JSONata expression once.
 *
 * @param source - the expression text.
 * @param path - JSON pointer of the expression in its definition (named in every error).
 * @returns the compiled expression.
 * @throws TroupeError `TROUPE_WORKFLOW_INVALID` with `data.issues: [WorkflowIssue]` on a syntax
 *   error or a forbidden function; the message names the path and the position in the expression.
 * @example
 * ```ts
 * const severe = compileExpression('triage.severity = "high"', '/steps/triage/next/0/when');
 * await severe.evaluate({ input: {}, triage: { severity: 'high' } }); // true
 * ```
 */
export function compileExpression(source: string, path: string): CompiledExpression {
  let expr: jsonata.Expression;
  try {
    expr = jsonata(source, LIMITS);
  } catch (e) {
    const err = e as { message?: string; position?: number; token?: string };
    const where = typeof err.position === 'number' ? ` at character ${err.position}` : '';
    throw invalid(path, `invalid expression ${quote(source)}${where}: ${err.message ?? String(e)}`);
  }
  const forbidden = findForbidden(expr.ast() as unknown as AstNode);
  if (forbidden) {
    throw invalid(
      path,
      `invalid expression ${quote(source)} at character ${forbidden.position ?? 0}: $${String(forbidden.value)}() is not allowed (expressions must be deterministic so runs replay exactly)`,
    );
  }
  const direct = compileDirect(expr.ast());
  return {
    source,
    path,
    async evaluate(view: ExpressionView): Promise<unknown> {
      if (direct !== null) {
        const v = direct(view);
        if (v !== UNHANDLED) return toPlain(v);
      }
      let result: unknown;
      try {
        result = await expr.evaluate(view);
      } catch (e) {
        const err = e as { message?: string; code?: string };
        throw new TroupeError('TROUPE_EXPRESSION_FAILED', `${path}: expression ${quote(source)} failed: ${err.message ?? String(e)}`, {
          cause: e,
          data: { path, expression: source, jsonataCode: err.code },
        });
      }
      return toPlain(result);
    },
  };
}

/**
 * Compile an input mapping: one expression, or an object of expressions whose evaluation builds
 * an object with the same keys (a key whose expression yields `undefined` is left out).
 *
 * @param mapping - the mapping as written.
 * @param path - JSON pointer of the mapping (each key's expression is at `path/key`).
 * @throws TroupeError `TROUPE_WORKFLOW_INVALID` listing every expression that does not compile.
 */
export function compileInputMapping(mapping: InputMapping, path: string): CompiledExpression {
  if (typeof mapping === 'string') return compileExpression(mapping, path);
  const entries: [string, CompiledExpression][] = [];
  const issues: WorkflowIssue[] = [];
  for (const [key, source] of Object.entries(mapping)) {
    try {
      entries.push([key, compileExpression(source, `${path}/${key.replace(/~/g, '~0').replace(/\//g, '~1')}`)]);
    } catch (e) {
      issues.push(...issuesOf(e));
    }
  }
  if (issues.length > 0) throw invalidMany(issues);
  return {
    source: JSON.stringify(mapping),
    path,
    async evaluate(view: ExpressionView): Promise<unknown> {
      const values = await Promise.all(entries.map(([, c]) => c.evaluate(view)));
      const out: Record<string, unknown> = {};
      entries.forEach(([key], i) => {
        if (values[i] !== undefined) out[key] = values[i];
      });
      return out;
    },
  };
}

/**
 * JSONata truthiness, as `$boolean`: `undefined`, `null`, `false`, `0`, `""`, `[]`, `{}` and
 * functions are false; an array is true when any member is.
 */
export function isTruthy(value: unknown): boolean {
  if (value === undefined || value === null) return false;
  switch (typeof value) {
    case 'boolean':
      return value;
    case 'number':
      return value !== 0 && !Number.isNaN(value);
    case 'string':
      return value.length > 0;
    case 'function':
      return false;
    case 'object':
      return Array.isArray(value) ? value.some(isTruthy) : Object.keys(value).length > 0;
    default:
      return true;
  }
}

/**
 * Evaluate a condition (`when`, `approval.required`, `correct.check`) to a boolean by JSONata
 * truthiness; a path that matches nothing is `false`.
 *
 * @throws TroupeError `TROUPE_EXPRESSION_FAILED` when evaluation fails.
 */
export async function evaluateCondition(expression: CompiledExpression, view: ExpressionView): Promise<boolean> {
  return isTruthy(await expression.evaluate(view));
}

/** A compiled `next` (or `onError`): resolves the id of the step to go to, or `undefined` to end. */
export interface CompiledNext {
  readonly rules: readonly { readonly to: string; readonly when?: CompiledExpression }[];
  /** The first rule whose `when` holds, or that has none; `undefined` when no rule matches. */
  resolve(view: ExpressionView): Promise<string | undefined>;
}

/**
 * Compile a `next`/`onError` value. Rules are tried in order; the first whose `when` holds (or
 * that has no `when`) wins; when none matches, the run ends after the step.
 *
 * @throws TroupeError `TROUPE_WORKFLOW_INVALID` listing every `when` that does not compile.
 */
export function compileNext(next: Next, path: string): CompiledNext {
  if (typeof next === 'string') {
    return { rules: [{ to: next }], resolve: () => Promise.resolve(next) };
  }
  const issues: WorkflowIssue[] = [];
  const rules = next.map((rule, i) => {
    if (rule.when === undefined) return { to: rule.to };
    try {
      return { to: rule.to, when: compileExpression(rule.when, `${path}/${i}/when`) };
    } catch (e) {
      issues.push(...issuesOf(e));
      return { to: rule.to };
    }
  });
  if (issues.length > 0) throw invalidMany(issues);
  return {
    rules,
    async resolve(view) {
      for (const rule of rules) {
        if (!rule.when || (await evaluateCondition(rule.when, view))) return rule.to;
      }
      return undefined;
    },
  };
}

/**
 * The names an expression reads from the root of the view (`triage` in `triage.severity`,
 * `input` in `$count(input.items)`), in order of first use. Names read relative to another value
 * (inside predicates, after a `.`, in lambda bodies) are not included.
 *
 * @param expression - compiled, or source text (which must compile).
 */
export function referencedNames(expression: CompiledExpression | Expression): string[] {
  const source = typeof expression === 'string' ? expression : expression.source;
  const out = new Set<string>();
  walkRoot(jsonata(source).ast() as unknown as AstNode, out);
  return [...out];
}

function walkRoot(node: unknown, out: Set<string>): void {
  if (Array.isArray(node)) {
    for (const n of node) walkRoot(n, out);
    return;
  }
  if (typeof node !== 'object' || node === null) return;
  const n = node as AstNode;
  switch (n.type) {
    case 'path': {
      const steps = (n.steps ?? []) as AstNode[];
      const head = steps[0];
      if (head?.type === 'name') out.add(String(head.value));
      // `$.x` or `$$.x`: the root is explicit, the next step is the name.
      else if (head?.type === 'variable' && (head.value === '' || head.value === '$') && steps[1]?.type === 'name') out.add(String(steps[1].value));
      else if (head) walkRoot(head, out);
      return;
    }
    case 'name':
      out.add(String(n.value));
      return;
    case 'lambda':
      return;
    default:
      for (const key of ['lhs', 'rhs', 'expressions', 'arguments', 'condition', 'then', 'else', 'procedure']) {
        walkRoot(n[key], out);
      }
  }
}

function findForbidden(node: unknown): AstNode | undefined {
  if (Array.isArray(node)) {
    for (const n of node) {
      const hit = findForbidden(n);
      if (hit) return hit;
    }
    return undefined;
  }
  if (typeof node !== 'object' || node === null) return undefined;
  const n = node as AstNode;
  if (n.type === 'variable' && typeof n.value === 'string' && FORBIDDEN_FUNCTIONS.has(n.value)) return n;
  for (const v of Object.values(n)) {
    if (typeof v === 'object' && v !== null) {
      const hit = findForbidden(v);
      if (hit) return hit;
    }
  }
  return undefined;
}

/** Deep plain copy of a JSONata result: sequences become arrays, functions and lambdas are dropped. */
function toPlain(v: unknown): unknown {
  if (typeof v === 'function') return undefined;
  if (typeof v !== 'object' || v === null) return v;
  // JSONata lambdas and native-function wrappers are objects that hold their (cyclic) environment.
  if ('_jsonata_lambda' in v || '_jsonata_function' in v) return undefined;
  if (Array.isArray(v)) {
    const out: unknown[] = [];
    for (const x of v) {
      const p = toPlain(x);
      if (p !== undefined) out.push(p);
    }
    return out;
  }
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(v)) {
    const p = toPlain((v as Record<string, unknown>)[k]);
    if (p !== undefined) out[k] = p;
  }
  return out;
}

function quote(source: string): string {
  const s = source.length > 80 ? `${source.slice(0, 77)}...` : source;
  return JSON.stringify(s);
}

function invalid(path: string, message: string): TroupeError {
  return invalidMany([{ path, message }]);
}

function invalidMany(issues: WorkflowIssue[]): TroupeError {
  return new TroupeError('TROUPE_WORKFLOW_INVALID', issues.map((i) => `${i.path}: ${i.message}`).join('\n'), { data: { issues } });
}

/** The issues carried by an error from `compileExpression` and friends. */
export function issuesOf(e: unknown): WorkflowIssue[] {
  const data = (e as { data?: { issues?: WorkflowIssue[] } }).data;
  if (Array.isArray(data?.issues)) return data.issues;
  return [{ path: '', message: e instanceof Error ? e.message : String(e) }];
}
