import { readFileSync } from 'node:fs';
import { Ajv2020, type ErrorObject, type ValidateFunction } from 'ajv/dist/2020.js';
import type { JsonSchema } from '../agents/index.js';
import type { WorkflowIssue } from './types.js';

/** Names a step id or branch name may not take: they are the reserved keys of the expression view. */
export const RESERVED_NAMES: readonly string[] = Object.freeze(['input', 'item', 'index', 'error', 'feedback', 'approvals']);

/** What a step id or branch name must look like (besides not being reserved). */
export const STEP_ID_PATTERN = /^[A-Za-z_][A-Za-z0-9_-]*$/;

/** At most this many schema issues are reported for one definition. */
const MAX_ISSUES = 100;

/**
 * The URL of the published schema. It is read relative to this module, which works both from
 * `src/workflow/` (vitest, tsx) and from `dist/workflow/` (the built package): both are two
 * levels below the package root that holds `schema/`.
 */
const SCHEMA_URL = new URL('../../schema/workflow.schema.json', import.meta.url);

interface Compiled {
  readonly schema: Record<string, unknown>;
  readonly validate: ValidateFunction;
  readonly ajv: Ajv2020;
  readonly propertyNames: readonly string[];
}

// A lazily built constant (the schema file never changes while the process runs); not state.
let compiled: Compiled | undefined;

function getCompiled(): Compiled {
  if (compiled) return compiled;
  const schema = JSON.parse(readFileSync(SCHEMA_URL, 'utf8')) as Record<string, unknown>;
  // allErrors: authors want every problem at once; the schema bounds every string and list.
  const ajv = new Ajv2020({ allErrors: true, verbose: true, allowUnionTypes: true });
  const validate = ajv.compile(schema);
  compiled = { schema, validate, ajv, propertyNames: collectPropertyNames(schema) };
  return compiled;
}

/**
 * The workflow definition JSON Schema (draft 2020-12), as published at
 * `troupe/workflow-schema.json`.
 *
 * @returns the parsed schema; do not mutate it.
 */
export function workflowSchema(): Readonly<Record<string, unknown>> {
  return getCompiled().schema;
}

/**
 * Validate a value against the workflow schema.
 *
 * @param value - a parsed YAML/JSON document or a builder's output.
 * @returns the issues, each with a JSON pointer and a readable message; empty when valid.
 * @example
 * ```ts
 * const issues = validateWorkflowSchema(JSON.parse(text));
 * if (issues.length) console.error(issues.map((i) => `${i.path}: ${i.message}`).join('\n'));
 * ```
 */
export function validateWorkflowSchema(value: unknown): WorkflowIssue[] {
  const { validate, propertyNames } = getCompiled();
  if (validate(value)) return [];
  return mapErrors(validate.errors ?? [], propertyNames).slice(0, MAX_ISSUES);
}

/**
 * Check that a value is a JSON Schema Ajv can compile (the workflow's `input`).
 *
 * @returns a message naming the problem, or `undefined` when the schema compiles.
 */
export function checkJsonSchema(schema: JsonSchema): string | undefined {
  // A separate instance: compiled user schemas must not accumulate in the shared one.
  const ajv = new Ajv2020({ allErrors: false, allowUnionTypes: true, strict: false });
  try {
    ajv.compile(schema);
    return undefined;
  } catch (e) {
    return `is not a valid JSON Schema: ${e instanceof Error ? e.message : String(e)}`;
  }
}

const TARGET = '#/$defs/exactlyOneTarget/';
const STEP_ID = '#/$defs/stepId/';

const PATTERN_MESSAGES: Record<string, string> = {
  '#/$defs/duration/pattern': 'must be a duration such as 250ms, 30s, 5m, 2h, 7d, or a number of milliseconds',
  '#/$defs/agentId/pattern': 'must be an agent id: lowercase letters, digits, ".", "_" or "-", starting with a letter or digit',
  '#/$defs/stepRef/pattern': 'must be a step id: a letter or "_" first, then letters, digits, "_" or "-"',
  '#/$defs/next/pattern': 'must be a step id: a letter or "_" first, then letters, digits, "_" or "-"',
  '#/properties/name/pattern': 'must be a workflow name: letters, digits, ".", "_" or "-", not starting with "." or "-"',
};

/**
 * Messages chosen by where the value is: Ajv restarts `schemaPath` inside a `$ref`'d definition
 * that is compiled on its own (as `workerAgent` and `pool` are), so it cannot tell them apart.
 */
const MESSAGES_AT: readonly { readonly keyword: string; readonly at: RegExp; readonly message: string }[] = [
  { keyword: 'type', at: /^\/agents\/\d+$/, message: 'must be an agent-module path (a string) or a worker agent declaration (an object)' },
  { keyword: 'pattern', at: /^\/agents\/\d+\/export$/, message: 'must be an export name: a JavaScript identifier such as execute' },
  { keyword: 'minProperties', at: /^\/agents\/\d+\/fallback$/, message: 'must name an agent or a capability' },
  { keyword: 'pattern', at: /^\/agents\/\d+\/pool\/shared$/, message: 'must be a pool name: lowercase letters, digits, ".", "_" or "-", starting with a letter or digit' },
];

function messageAt(keyword: string, at: string): string | undefined {
  return MESSAGES_AT.find((m) => m.keyword === keyword && m.at.test(at))?.message;
}

function mapErrors(errors: readonly ErrorObject[], known: readonly string[]): WorkflowIssue[] {
  const out: WorkflowIssue[] = [];
  const seen = new Set<string>();
  const push = (path: string, message: string): void => {
    const key = `${path}\u0000${message}`;
    if (seen.has(key)) return;
    seen.add(key);
    out.push({ path, message });
  };
  for (const e of errors) {
    const at = e.instancePath;
    const params = e.params as Record<string, unknown>;
    // `if` only repeats the failure of its `then`/`else`, which is reported on its own.
    if (e.keyword === 'if') continue;
    if (e.schemaPath.startsWith(TARGET) && e.keyword !== 'oneOf') continue;
    if (e.schemaPath.startsWith(STEP_ID)) continue;
    switch (e.keyword) {
      case 'oneOf':
        if (e.schemaPath.startsWith(TARGET)) {
          push(at, params.passingSchemas === null ? 'must name an agent or a capability' : 'must name exactly one of agent or capability, not both');
        } else push(at, e.message ?? 'is invalid');
        break;
      case 'not':
        if (e.schemaPath.includes('unknownStepKind')) push(at, unknownStepMessage(e.data, known));
        else push(at, e.message ?? 'is invalid');
        break;
      case 'propertyNames':
        push(`${at}/${escapePointer(String(params.propertyName))}`, nameMessage(String(params.propertyName)));
        break;
      case 'required':
        push(at, `missing required property "${String(params.missingProperty)}"`);
        break;
      case 'additionalProperties':
      case 'unevaluatedProperties': {
        const prop = String(params.additionalProperty ?? params.unevaluatedProperty);
        push(`${at}/${escapePointer(prop)}`, `unknown property "${prop}"${suggest(prop, known)}`);
        break;
      }
      case 'type':
        push(at, `${messageAt('type', at) ?? `must be ${joinOr(String(params.type).split(','))}`}, got ${describe(e.data)}`);
        break;
      case 'enum':
        push(at, `must be one of ${joinOr((params.allowedValues as unknown[]).map((v) => JSON.stringify(v)))}, got ${describe(e.data)}`);
        break;
      case 'pattern':
        push(at, `${PATTERN_MESSAGES[e.schemaPath] ?? messageAt('pattern', at) ?? `must match ${String(params.pattern)}`}, got ${describe(e.data)}`);
        break;
      default:
        push(at, `${messageAt(e.keyword, at) ?? e.message ?? 'is invalid'}${typeof e.data === 'object' ? '' : `, got ${describe(e.data)}`}`);
    }
  }
  return out;
}

function nameMessage(name: string): string {
  if (RESERVED_NAMES.includes(name)) {
    return `"${name}" is reserved in the expression view (${RESERVED_NAMES.join(', ')}); choose another name`;
  }
  if (name.length > 128) return `name is longer than 128 characters`;
  return `"${name}" is not a valid name: a letter or "_" first, then letters, digits, "_" or "-"`;
}

const KINDS = ['agent', 'capability', 'parallel', 'map', 'workflow', 'approval'];

function unknownStepMessage(data: unknown, known: readonly string[]): string {
  const base = `a step needs one of ${KINDS.join(', ')}`;
  if (typeof data !== 'object' || data === null) return base;
  const hints = Object.keys(data)
    .filter((k) => !known.includes(k))
    .map((k) => `unknown property "${k}"${suggest(k, known)}`);
  return hints.length > 0 ? `${base} (${hints.join('; ')})` : base;
}

/** RFC 6901 escaping of one pointer segment. */
export function escapePointer(segment: string): string {
  return segment.replace(/~/g, '~0').replace(/\//g, '~1');
}

function joinOr(items: readonly string[]): string {
  return items.length <= 1 ? (items[0] ?? '') : `${items.slice(0, -1).join(', ')} or ${items[items.length - 1]}`;
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'object') return 'an object';
  const s = JSON.stringify(v) ?? String(v);
  return s.length > 60 ? `${s.slice(0, 57)}...` : s;
}

function suggest(word: string, known: readonly string[]): string {
  let best: string | undefined;
  let bestDistance = 3;
  for (const k of known) {
    const d = distance(word.toLowerCase(), k.toLowerCase());
    if (d < bestDistance) {
      best = k;
      bestDistance = d;
    }
  }
  return best === undefined ? '' : ` (did you mean "${best}"?)`;
}

/** Levenshtein distance; the words are short property names. */
function distance(a: string, b: string): number {
  if (Math.abs(a.length - b.length) > 2) return 3;
  let prev = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      cur[j] = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = cur;
  }
  return prev[b.length]!;
}

function collectPropertyNames(schema: unknown, into = new Set<string>()): string[] {
  if (typeof schema === 'object' && schema !== null) {
    const props = (schema as { properties?: unknown }).properties;
    if (typeof props === 'object' && props !== null) for (const k of Object.keys(props)) into.add(k);
    for (const v of Object.values(schema)) collectPropertyNames(v, into);
  }
  return [...into];
}
