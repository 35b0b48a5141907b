import { availableParallelism } from 'node:os';
import { parseDuration } from '../util/index.js';
import type { NormalisedPoolOptions, PoolOptions, ResourceLimits } from './types.js';

/** Reports a bad field (`field` is relative to the pool options, e.g. `maxQueue`). Never returns. */
export type PoolOptionFailure = (field: string, expected: string, got: unknown) => never;

const LIMIT_KEYS = ['maxOldGenerationSizeMb', 'maxYoungGenerationSizeMb', 'codeRangeSizeMb', 'stackSizeMb'] as const;
const KEYS = new Set(['isolation', 'minThreads', 'maxThreads', 'maxQueue', 'idleTimeout', 'recycleAfter', 'resourceLimits', 'terminateAfter', 'shared']);

/**
 * Check pool options and apply their defaults (see {@link PoolOptions}). The queue is always
 * bounded; at least one worker is kept so a pool never waits for a worker nobody starts.
 *
 * @param raw - the options as given (or undefined for all defaults).
 * @param fail - called with the field and what was expected when a value is wrong.
 */
export function normalizePoolOptions(raw: unknown, fail: PoolOptionFailure): NormalisedPoolOptions {
  if (raw === undefined) raw = {};
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return fail('', 'expected an object', raw);
  const o = raw as PoolOptions & Record<string, unknown>;
  for (const k of Object.keys(o)) if (!KEYS.has(k)) fail(k, `unknown option (expected one of ${[...KEYS].join(', ')})`, o[k]);
  const isolation = o.isolation ?? 'thread';
  if (isolation !== 'thread' && isolation !== 'process') fail('isolation', "expected 'thread' or 'process'", o.isolation);
  const int = (field: string, v: unknown, dflt: number, min: number): number => {
    if (v === undefined) return dflt;
    if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < min) fail(field, `expected an integer >= ${min}`, v);
    return v;
  };
  const duration = (field: string, v: unknown, dflt: number): number => {
    if (v === undefined) return dflt;
    try {
      return parseDuration(v as never, field);
    } catch {
      return fail(field, 'expected a duration such as 500ms, 30s or a number of milliseconds', v);
    }
  };
  const maxThreads = int('maxThreads', o.maxThreads, Math.max(1, availableParallelism()), 1);
  const minThreads = int('minThreads', o.minThreads, 1, 1);
  if (minThreads > maxThreads) fail('minThreads', `expected at most maxThreads (${maxThreads})`, o.minThreads);
  const maxQueue = int('maxQueue', o.maxQueue, 16 * maxThreads, 0);
  const shared = o.shared;
  if (shared !== undefined && (typeof shared !== 'string' || !/^[a-z0-9][a-z0-9._-]*$/.test(shared))) {
    fail('shared', 'expected a pool name matching [a-z0-9][a-z0-9._-]*', shared);
  }
  return Object.freeze({
    isolation,
    minThreads,
    maxThreads,
    maxQueue,
    idleTimeoutMs: duration('idleTimeout', o.idleTimeout, 30_000),
    recycleAfter: int('recycleAfter', o.recycleAfter, 0, 0),
    resourceLimits: limits(o.resourceLimits, fail),
    terminateAfterMs: duration('terminateAfter', o.terminateAfter, 1_000),
    shared,
  });
}

function limits(v: unknown, fail: PoolOptionFailure): ResourceLimits | undefined {
  if (v === undefined) return undefined;
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return fail('resourceLimits', 'expected an object', v);
  const out: Record<string, number> = {};
  for (const [k, x] of Object.entries(v)) {
    if (!(LIMIT_KEYS as readonly string[]).includes(k)) fail(`resourceLimits.${k}`, `unknown limit (expected one of ${LIMIT_KEYS.join(', ')})`, x);
    if (typeof x !== 'number' || !Number.isFinite(x) || x <= 0) fail(`resourceLimits.${k}`, 'expected a number of megabytes > 0', x);
    out[k] = x;
  }
  return Object.freeze(out);
}
