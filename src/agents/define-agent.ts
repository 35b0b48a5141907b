import { existsSync, statSync } from 'node:fs';
import { isAbsolute } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { TroupeError, isTroupeError } from '../errors/index.js';
import { normalizePoolOptions } from '../pool/index.js';
import { parseDuration, type Duration } from '../util/index.js';
import type { Agent, AgentDefinition, InlineAgent, InlineAgentDefinition, JsonSchema, WorkerAgentDefinition, WorkerSpec } from './types.js';
import { DEFAULT_RETRY, normalizeRetry } from './retry.js';
import { MAX_TIMER_MS } from './timeout.js';
import { compileSchema, describeValue } from './validation.js';

/** The pattern every agent id matches (at most {@link AGENT_ID_MAX_LENGTH} characters). */
export const AGENT_ID_PATTERN = /^[a-z0-9][a-z0-9._-]*$/;
/** The longest agent id or capability accepted. */
export const AGENT_ID_MAX_LENGTH = 128;

/** Defaults applied by {@link defineAgent}, as documented in `types.ts`. */
export const AGENT_DEFAULTS = Object.freeze({
  timeoutMs: 30_000,
  retry: DEFAULT_RETRY,
  concurrency: 64,
  instances: 1,
  mailbox: 1024,
  breaker: Object.freeze({ failureThreshold: 5, resetTimeoutMs: 30_000, halfOpenMax: 1 }),
  weight: 1,
} as const);

// Symbol.for, not a module-local symbol or WeakSet: two copies of troupe in one process (or two
// runtimes) still recognise each other's agents, and no module-level mutable state is needed.
const AGENT_BRAND = Symbol.for('troupe.agent');

/**
 * True when `x` was returned by {@link defineAgent}.
 *
 * @param x - anything.
 * @returns whether `x` is a defined (normalised, compiled) agent.
 */
export function isAgent(x: unknown): x is Agent {
  return typeof x === 'object' && x !== null && (x as Record<symbol, unknown>)[AGENT_BRAND] === true;
}

/**
 * Validate an agent definition, apply its defaults and compile its JSON Schemas once.
 * Idempotent: an already-defined agent is returned as is. The result is frozen.
 *
 * @param def - the definition (or an agent returned by an earlier call).
 * @returns the normalised agent with `validateInput` / `validateOutput`.
 * @throws TroupeError `TROUPE_AGENT_DEFINITION_INVALID` naming the agent id and the field
 *   (`data: { agent, field }`), including when the input or output schema does not compile.
 * @example
 * ```ts
 * const triage = defineAgent({
 *   id: 'triage',
 *   capabilities: ['classify'],
 *   input: { type: 'object', required: ['alert'] },
 *   output: { type: 'object', required: ['severity'], properties: { severity: { enum: ['low', 'high'] } } },
 *   timeout: '10s',
 *   retry: { max: 2 },
 *   execute: async ({ alert }, { signal }) => classify(alert, signal),
 * });
 * triage.validateOutput({ severity: 'low' }); // null
 * ```
 */
export function defineAgent<I = any, O = any>(def: InlineAgentDefinition<I, O> | InlineAgent<I, O>): InlineAgent<I, O>;
export function defineAgent<I = any, O = any>(def: AgentDefinition<I, O> | Agent<I, O>): Agent<I, O>;
export function defineAgent<I = any, O = any>(def: AgentDefinition<I, O> | Agent<I, O>): Agent<I, O> {
  if (isAgent(def)) return def as Agent<I, O>;
  if (typeof def !== 'object' || def === null || Array.isArray(def)) {
    throw new TroupeError('TROUPE_AGENT_DEFINITION_INVALID', `agent definition: expected an object, got ${describeValue(def)}`, {
      data: { agent: null, field: '' },
    });
  }
  const d = def as AgentDefinition<I, O>;
  const id = checkId(d.id);
  const c = new Checker(id);

  const kind = d.kind ?? 'inline';
  let worker: WorkerSpec | null = null;
  if (kind === 'worker') {
    worker = c.worker(d as WorkerAgentDefinition);
  } else if (kind === 'inline') {
    const inline = d as InlineAgentDefinition<I, O>;
    if (typeof inline.execute !== 'function') c.fail('execute', 'expected a function', inline.execute);
    if (inline.setup !== undefined && typeof inline.setup !== 'function') c.fail('setup', 'expected a function', inline.setup);
    if (inline.teardown !== undefined && typeof inline.teardown !== 'function') c.fail('teardown', 'expected a function', inline.teardown);
  } else {
    c.fail('kind', "expected 'inline' or 'worker'", d.kind);
  }
  if (d.description !== undefined && typeof d.description !== 'string') c.fail('description', 'expected a string', d.description);

  const capabilities = c.capabilities(d.capabilities);
  const timeoutMs = c.duration('timeout', d.timeout, AGENT_DEFAULTS.timeoutMs, 1);
  const retry =
    d.retry === undefined
      ? DEFAULT_RETRY
      : normalizeRetry(d.retry, 'retry', { code: 'TROUPE_AGENT_DEFINITION_INVALID', data: { agent: id }, label: `agent "${id}": ` });
  // A worker agent's instance hands every call to its pool at once: the pool's bound is its mailbox.
  const concurrency = c.integer('concurrency', d.concurrency, worker ? worker.pool.maxThreads + worker.pool.maxQueue : AGENT_DEFAULTS.concurrency, 1);
  const instances = c.integer('instances', d.instances, AGENT_DEFAULTS.instances, 1);
  // 0 is meaningful: no queueing beyond `concurrency`, every extra call is backpressure.
  const mailbox = c.integer('mailbox', d.mailbox, worker ? 0 : AGENT_DEFAULTS.mailbox, 0);
  const breaker = c.breaker(d.circuitBreaker);
  const weight = d.weight === undefined ? AGENT_DEFAULTS.weight : d.weight;
  if (typeof weight !== 'number' || !Number.isFinite(weight) || weight < 0) {
    c.fail('weight', 'expected a finite number >= 0', d.weight);
  }
  c.fallback(d.fallback);
  let idempotentTtlMs: number | null = null;
  if (d.idempotent === true) idempotentTtlMs = 3_600_000;
  else if (d.idempotent !== undefined && d.idempotent !== false) {
    if (typeof d.idempotent !== 'object' || d.idempotent === null) c.fail('idempotent', 'expected true, false or { ttl }', d.idempotent);
    else idempotentTtlMs = c.duration('idempotent.ttl', d.idempotent.ttl, 3_600_000, 1);
  }

  const validateInput = c.schema('input', d.input);
  const validateOutput = c.schema('output', d.output);

  const agent: Agent<I, O> = {
    id,
    kind,
    worker,
    capabilities,
    definition: d,
    timeoutMs,
    retry,
    concurrency,
    instances,
    mailbox,
    breaker,
    weight,
    idempotentTtlMs,
    validateInput,
    validateOutput,
  };
  Object.defineProperty(agent, AGENT_BRAND, { value: true });
  return Object.freeze(agent);
}

function checkId(id: unknown): string {
  if (typeof id === 'string' && id.length <= AGENT_ID_MAX_LENGTH && AGENT_ID_PATTERN.test(id)) return id;
  throw new TroupeError(
    'TROUPE_AGENT_DEFINITION_INVALID',
    `agent definition: id: expected a string matching ${AGENT_ID_PATTERN.source} of at most ${AGENT_ID_MAX_LENGTH} characters, got ${describeValue(id)}`,
    { data: { agent: typeof id === 'string' ? id : null, field: 'id' } },
  );
}

/** Field checks for one definition; every failure names the agent and the field. */
class Checker {
  constructor(private readonly id: string) {}

  fail(field: string, expected: string, got: unknown, cause?: unknown): never {
    throw new TroupeError('TROUPE_AGENT_DEFINITION_INVALID', `agent "${this.id}": ${field}: ${expected}, got ${describeValue(got)}`, {
      cause,
      data: { agent: this.id, field },
    });
  }

  integer(field: string, v: unknown, dflt: number, min: number): number {
    if (v === undefined) return dflt;
    if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < min) {
      this.fail(field, min === 0 ? 'expected an integer >= 0' : `expected an integer >= ${min}`, v);
    }
    return v;
  }

  duration(field: string, v: Duration | undefined, dflt: number, min: number): number {
    if (v === undefined) return dflt;
    let ms: number;
    try {
      ms = parseDuration(v, field);
    } catch (e) {
      return this.fail(field, 'expected a duration such as 500ms, 30s, 5m or a number of milliseconds', v, isTroupeError(e) ? e : undefined);
    }
    if (ms < min || ms > MAX_TIMER_MS) {
      this.fail(field, `expected a duration between ${min}ms and ${MAX_TIMER_MS}ms (~24.8 days)`, v);
    }
    return ms;
  }

  capabilities(v: unknown): readonly string[] {
    if (v === undefined) return Object.freeze([]);
    if (!Array.isArray(v)) return this.fail('capabilities', 'expected an array of strings', v);
    const out: string[] = [];
    for (let i = 0; i < v.length; i++) {
      const cap: unknown = v[i];
      if (typeof cap !== 'string' || cap.length === 0 || cap.length > AGENT_ID_MAX_LENGTH || /\s/.test(cap)) {
        this.fail(`capabilities[${i}]`, `expected a non-empty string without whitespace of at most ${AGENT_ID_MAX_LENGTH} characters`, cap);
      }
      if (!out.includes(cap)) out.push(cap);
    }
    return Object.freeze(out);
  }

  breaker(v: AgentDefinition['circuitBreaker']): Agent['breaker'] {
    const D = AGENT_DEFAULTS.breaker;
    if (v === false) return null;
    if (v === undefined) return D;
    if (typeof v !== 'object' || v === null || Array.isArray(v)) return this.fail('circuitBreaker', 'expected an object or false', v);
    return Object.freeze({
      failureThreshold: this.integer('circuitBreaker.failureThreshold', v.failureThreshold, D.failureThreshold, 1),
      resetTimeoutMs: this.duration('circuitBreaker.resetTimeout', v.resetTimeout, D.resetTimeoutMs, 1),
      halfOpenMax: this.integer('circuitBreaker.halfOpenMax', v.halfOpenMax, D.halfOpenMax, 1),
    });
  }

  fallback(v: AgentDefinition['fallback']): void {
    if (v === undefined) return;
    if (typeof v !== 'object' || v === null || Array.isArray(v)) this.fail('fallback', 'expected { agent } or { capability }', v);
    if (v.agent === undefined && v.capability === undefined) this.fail('fallback', 'expected { agent } or { capability }', v);
    if (v.agent !== undefined) {
      if (typeof v.agent !== 'string' || !AGENT_ID_PATTERN.test(v.agent)) this.fail('fallback.agent', 'expected an agent id', v.agent);
      if (v.agent === this.id) this.fail('fallback.agent', 'expected another agent than this one', v.agent);
    }
    if (v.capability !== undefined && (typeof v.capability !== 'string' || v.capability.length === 0)) {
      this.fail('fallback.capability', 'expected a non-empty string', v.capability);
    }
  }

  worker(d: WorkerAgentDefinition): WorkerSpec {
    for (const k of ['execute', 'setup', 'teardown'] as const) {
      if ((d as unknown as Record<string, unknown>)[k] !== undefined) {
        this.fail(k, `not allowed on a worker agent (its module exports execute; module-level code is its set-up)`, (d as unknown as Record<string, unknown>)[k]);
      }
    }
    const exportName = d.export ?? 'execute';
    if (typeof exportName !== 'string' || !/^[A-Za-z_$][\w$]*$/.test(exportName)) this.fail('export', 'expected an export name', d.export);
    const pool = normalizePoolOptions(d.pool, (field, expected, got) => this.fail(field === '' ? 'pool' : `pool.${field}`, expected, got));
    return Object.freeze({ module: this.module(d.module), exportName, pool });
  }

  /** A worker module as a `file:` URL; it must exist now (a typo is found at definition, not at the first task). */
  module(v: unknown): string {
    let path: string;
    if (v instanceof URL) {
      if (v.protocol !== 'file:') this.fail('module', 'expected a file: URL or an absolute path', v.href);
      path = fileURLToPath(v);
    } else if (typeof v === 'string' && v.startsWith('file:')) {
      path = fileURLToPath(v);
    } else if (typeof v === 'string' && isAbsolute(v)) {
      path = v;
    } else {
      return this.fail('module', "expected an absolute path or a file: URL (e.g. new URL('./scan.task.ts', import.meta.url))", v);
    }
    if (!existsSync(path) || !statSync(path).isFile()) this.fail('module', `no such file: ${path}`, v instanceof URL ? v.href : v);
    return pathToFileURL(path).href;
  }

  schema(field: 'input' | 'output', v: JsonSchema | undefined): Agent['validateInput'] {
    return compileSchema(v, `agent "${this.id}": ${field}`, { data: { agent: this.id, field } });
  }
}
