import { isTruthy, type ExpressionView } from './expressions.js';

/** Returned by a direct evaluator for a value it does not handle: JSONata evaluates it instead. */
export const UNHANDLED: unique symbol = Symbol('unhandled');

/** Evaluates an expression without JSONata, or answers {@link UNHANDLED}. */
export type DirectEvaluator = (view: ExpressionView) => unknown;

interface Node {
  readonly type: string;
  readonly value?: unknown;
  readonly [key: string]: unknown;
}

/** Keys a plain AST node of each kind has; anything more (predicates, grouping, focus) is not direct. */
const PLAIN_KEYS = new Set(['type', 'value', 'position']);

/**
 * Compile the simple expressions most workflows use — field paths (`triage.severity`), literals,
 * object constructors (`{ "id": item.id }`), `=` / `!=` and `and` / `or` — to plain functions.
 * JSONata's evaluator is asynchronous at every node (~4-10 µs for these, per evaluation, on the
 * per-step path); these take well under 1 µs. Where JSONata's semantics get subtle (arrays are
 * sequences: mapped over, flattened, singletons unwrapped) the function answers `UNHANDLED`
 * and JSONata evaluates it. A property test holds both to the same results.
 *
 * @returns the evaluator, or `null` when the expression is not in the direct subset.
 */
export function compileDirect(ast: unknown): DirectEvaluator | null {
  return compile(ast as Node);
}

function compile(n: Node): DirectEvaluator | null {
  switch (n.type) {
    case 'string':
    case 'number':
    case 'value': {
      const v = n.value;
      return () => v;
    }
    case 'path':
      return path(n);
    case 'unary':
      return n.value === '{' && Object.keys(n).every((k) => k === 'lhs' || PLAIN_KEYS.has(k)) ? object(n.lhs as [Node, Node][]) : null;
    case 'binary':
      return binary(n);
    default:
      return null;
  }
}

function path(n: Node): DirectEvaluator | null {
  if (Object.keys(n).some((k) => k !== 'steps' && !PLAIN_KEYS.has(k))) return null;
  const steps = n.steps as Node[];
  if (!steps.every((s) => s.type === 'name' && typeof s.value === 'string' && Object.keys(s).every((k) => PLAIN_KEYS.has(k)))) return null;
  const names = steps.map((s) => s.value as string);
  return (view) => {
    let v: unknown = view;
    for (const name of names) {
      if (Array.isArray(v)) return UNHANDLED;
      if (v === null || typeof v !== 'object') return undefined;
      // Own fields only: what JSONata makes of inherited ones (`constructor`, `__proto__`) is its business.
      if (Object.hasOwn(v, name)) v = (v as Record<string, unknown>)[name];
      else return name in v ? UNHANDLED : undefined;
    }
    return Array.isArray(v) ? UNHANDLED : v;
  };
}

function object(pairs: [Node, Node][]): DirectEvaluator | null {
  const keys: string[] = [];
  const values: DirectEvaluator[] = [];
  for (const [k, v] of pairs) {
    if (k.type !== 'string' || typeof k.value !== 'string' || keys.includes(k.value)) return null;
    const f = compile(v);
    if (f === null) return null;
    keys.push(k.value);
    values.push(f);
  }
  return (view) => {
    const out: Record<string, unknown> = {};
    for (let i = 0; i < keys.length; i++) {
      const v = values[i]!(view);
      if (v === UNHANDLED) return UNHANDLED;
      if (v !== undefined) out[keys[i]!] = v;
    }
    return out;
  };
}

function binary(n: Node): DirectEvaluator | null {
  const op = n.value;
  if (op !== '=' && op !== '!=' && op !== 'and' && op !== 'or') return null;
  if (Object.keys(n).some((k) => k !== 'lhs' && k !== 'rhs' && !PLAIN_KEYS.has(k))) return null;
  const lhs = compile(n.lhs as Node);
  const rhs = compile(n.rhs as Node);
  if (lhs === null || rhs === null) return null;
  if (op === 'and' || op === 'or') {
    return (view) => {
      const a = lhs(view);
      if (a === UNHANDLED) return UNHANDLED;
      // JSONata does not evaluate the right side once the left decides.
      if (op === 'and' ? !isTruthy(a) : isTruthy(a)) return op === 'or';
      const b = rhs(view);
      return b === UNHANDLED ? UNHANDLED : isTruthy(b);
    };
  }
  return (view) => {
    const a = lhs(view);
    const b = rhs(view);
    if (a === UNHANDLED || b === UNHANDLED) return UNHANDLED;
    if (a === undefined || b === undefined) return false;
    // Objects compare deeply in JSONata: left to it.
    if ((typeof a === 'object' && a !== null) || (typeof b === 'object' && b !== null)) return UNHANDLED;
    return op === '=' ? a === b : a !== b;
  };
}
