import { Ajv2020, type ErrorObject, type Options as AjvOptions } from 'ajv/dist/2020.js';
import { TroupeError, type ErrorCode } from '../errors/index.js';
import type { JsonSchema, ValidationIssue } from './types.js';

/** A compiled schema check: `null` when the value is valid, else the issues found. */
export type Validator = (value: unknown) => readonly ValidationIssue[] | null;

/** Options of {@link compileSchema}. */
export interface CompileSchemaOptions {
  /** Code of the error thrown for an invalid schema. @defaultValue `'TROUPE_AGENT_DEFINITION_INVALID'` */
  readonly code?: ErrorCode;
  /** Ajv instance to compile with (see {@link createAjv}). @defaultValue a new one per call */
  readonly ajv?: Ajv2020;
  /** Extra fields for the thrown error's `data` (e.g. the agent id). */
  readonly data?: Record<string, unknown>;
}

// Why these options:
// - allErrors: false — the first error is enough to reject, and allErrors on untrusted input is a
//   resource-exhaustion vector (PITFALLS.md).
// - validateSchema: false — validating against the 2020-12 meta-schema costs ~25 ms per fresh Ajv
//   instance; Ajv still rejects malformed keyword values (`required: 'x'`, `type: 'nope'`) while
//   compiling, and strictSchema rejects unknown keywords (typos such as `requried`).
// - strictTypes/strictTuples/strictRequired: false — these only log; no console noise.
// - validateFormats: false — no ajv-formats here, and in 2020-12 `format` is an annotation.
const AJV_OPTIONS: AjvOptions = {
  allErrors: false,
  validateSchema: false,
  strictSchema: true,
  strictTypes: false,
  strictTuples: false,
  strictRequired: false,
  validateFormats: false,
};

/** At most this many issues are reported for one value. */
const MAX_ISSUES = 20;
/** At most this many allowed values are listed in an `enum` message. */
const MAX_ENUM_LISTED = 10;

const alwaysValid: Validator = () => null;

/**
 * Create an Ajv (JSON Schema draft 2020-12) instance configured as troupe compiles schemas.
 * Share one between many {@link compileSchema} calls to save ~1 ms each; schemas with the same
 * `$id` then collide.
 *
 * @returns a new Ajv instance.
 */
export function createAjv(): Ajv2020 {
  return new Ajv2020(AJV_OPTIONS);
}

/**
 * Compile a JSON Schema once into a fast {@link Validator}. A missing schema (`undefined`) or
 * `true` accepts everything without calling Ajv.
 *
 * @param schema - the schema (trusted code), or `undefined` for "anything goes".
 * @param where - what the schema is, for the error message (e.g. `agent "triage": input`).
 * @param options - error code, Ajv instance and extra error data.
 * @returns a validator that returns `null` for a valid value (no allocation) or the issues.
 * @throws TroupeError `options.code` (default `TROUPE_AGENT_DEFINITION_INVALID`) when the schema
 *   does not compile or is asynchronous (`$async`).
 * @example
 * ```ts
 * const check = compileSchema({ type: 'object', required: ['alert'] }, 'workflow "ir": input', { code: 'TROUPE_WORKFLOW_INVALID' });
 * check({}); // [{ path: '/', message: "must have required property 'alert'" }]
 * ```
 */
export function compileSchema(schema: JsonSchema | undefined, where: string, options: CompileSchemaOptions = {}): Validator {
  if (schema === undefined || schema === true) return alwaysValid;
  const code = options.code ?? 'TROUPE_AGENT_DEFINITION_INVALID';
  const fail = (why: string, cause?: unknown): TroupeError =>
    new TroupeError(code, `${where}: invalid JSON Schema: ${why}`, {
      cause,
      data: { ...options.data, where },
    });
  if (typeof schema !== 'object' && typeof schema !== 'boolean') {
    throw fail(`expected an object or a boolean, got ${describeValue(schema)}`);
  }
  if (schema === null || Array.isArray(schema)) throw fail(`expected an object or a boolean, got ${describeValue(schema)}`);
  let validate;
  try {
    validate = (options.ajv ?? createAjv()).compile(schema);
  } catch (e) {
    throw fail(e instanceof Error ? e.message : String(e), e);
  }
  if ((validate as { $async?: unknown }).$async === true) throw fail('asynchronous schemas ($async) are not supported');
  return (value: unknown) => (validate(value) ? null : toIssues(validate.errors));
}

/**
 * Turn Ajv's errors into {@link ValidationIssue}s: the JSON pointer of the offending value (`/`
 * for the root) and Ajv's message, with the extra property or allowed values appended.
 *
 * @param errors - `validate.errors` after a failed validation.
 * @returns at most 20 issues; one generic issue if Ajv gave none.
 */
export function toIssues(errors: readonly ErrorObject[] | null | undefined): ValidationIssue[] {
  if (!errors || errors.length === 0) return [{ path: '/', message: 'is invalid' }];
  const n = Math.min(errors.length, MAX_ISSUES);
  const out: ValidationIssue[] = new Array(n);
  for (let i = 0; i < n; i++) {
    const e = errors[i]!;
    out[i] = { path: e.instancePath === '' ? '/' : e.instancePath, message: messageOf(e) };
  }
  return out;
}

/**
 * Format issues as one human-readable line, e.g. `/severity: must be equal to one of the allowed
 * values: "low", "high"; /: must have required property 'alert'`.
 *
 * @param issues - the issues to format.
 * @returns the line; `''` when there are none.
 */
export function formatIssues(issues: readonly ValidationIssue[] | null | undefined): string {
  if (!issues || issues.length === 0) return '';
  let s = '';
  for (let i = 0; i < issues.length; i++) {
    const issue = issues[i]!;
    s += `${i === 0 ? '' : '; '}${issue.path}: ${issue.message}`;
  }
  return s;
}

function messageOf(e: ErrorObject): string {
  const message = e.message ?? `must pass "${e.keyword}"`;
  const params = e.params as Record<string, unknown>;
  if (e.keyword === 'additionalProperties' && typeof params['additionalProperty'] === 'string') {
    return `${message}: '${params['additionalProperty']}'`;
  }
  if (e.keyword === 'enum' && Array.isArray(params['allowedValues'])) {
    const values = params['allowedValues'] as unknown[];
    const listed = values.slice(0, MAX_ENUM_LISTED).map(describeValue).join(', ');
    return `${message}: ${listed}${values.length > MAX_ENUM_LISTED ? ', ...' : ''}`;
  }
  return message;
}

/** A short, bounded rendering of a value for an error message. */
export function describeValue(v: unknown): string {
  let s: string;
  try {
    s = v === undefined ? 'undefined' : typeof v === 'function' ? 'a function' : (JSON.stringify(v) ?? String(v));
  } catch {
    s = String(v);
  }
  return s.length > 80 ? `${s.slice(0, 77)}...` : s;
}
