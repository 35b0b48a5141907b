import { TroupeError } from '../../errors/index.js';
import type { ChildSpec, SupervisorOptions } from './types.js';

const STRATEGIES = new Set(['one-for-one', 'one-for-all', 'rest-for-one']);
const RESTART_KINDS = new Set(['permanent', 'transient', 'temporary']);

function invalid(where: string, expected: string, got: unknown): never {
  throw new TroupeError('TROUPE_RUNTIME_OPTIONS_INVALID', `${where}: expected ${expected}, got ${describe(got)}`, {
    data: { where, expected },
  });
}

function describe(v: unknown): string {
  if (typeof v === 'function') return 'a function';
  try {
    return JSON.stringify(v) ?? String(v);
  } catch {
    return String(v);
  }
}

function isActorLogic(v: unknown): boolean {
  if (typeof v !== 'object' || v === null) return false;
  const l = v as { transition?: unknown; getInitialSnapshot?: unknown };
  return typeof l.transition === 'function' && typeof l.getInitialSnapshot === 'function';
}

function nonNegative(v: unknown): boolean {
  return typeof v === 'number' && Number.isFinite(v) && v >= 0;
}

/**
 * Check one child spec.
 *
 * @throws TroupeError `TROUPE_RUNTIME_OPTIONS_INVALID` naming the field
 */
export function validateChildSpec(spec: ChildSpec, where: string): void {
  if (typeof spec !== 'object' || spec === null) invalid(where, 'a child spec object', spec);
  if (typeof spec.id !== 'string' || spec.id.length === 0) invalid(`${where}.id`, 'a non-empty string', spec.id);
  const at = `${where} '${spec.id}'`;
  if (!isActorLogic(spec.logic)) invalid(`${at}.logic`, 'XState actor logic (transition, getInitialSnapshot)', spec.logic);
  if (spec.restart !== undefined && !RESTART_KINDS.has(spec.restart)) {
    invalid(`${at}.restart`, "'permanent', 'transient' or 'temporary'", spec.restart);
  }
  if (spec.systemId !== undefined && (typeof spec.systemId !== 'string' || spec.systemId.length === 0)) {
    invalid(`${at}.systemId`, 'a non-empty string', spec.systemId);
  }
}

/**
 * Check a supervisor's options.
 *
 * @throws TroupeError `TROUPE_RUNTIME_OPTIONS_INVALID` naming the option
 */
export function validateOptions(o: SupervisorOptions): void {
  if (typeof o !== 'object' || o === null) invalid('supervisor', 'an options object', o);
  if (typeof o.id !== 'string' || o.id.length === 0) invalid('supervisor.id', 'a non-empty string', o.id);
  const at = `supervisor '${o.id}'`;
  if (o.strategy !== undefined && !STRATEGIES.has(o.strategy)) {
    invalid(`${at}.strategy`, "'one-for-one', 'one-for-all' or 'rest-for-one'", o.strategy);
  }
  if (o.intensity !== undefined) {
    const { maxRestarts, withinMs } = o.intensity;
    if (!Number.isInteger(maxRestarts) || maxRestarts < 0) invalid(`${at}.intensity.maxRestarts`, 'an integer >= 0', maxRestarts);
    if (!nonNegative(withinMs) || withinMs === 0) invalid(`${at}.intensity.withinMs`, 'a number of milliseconds > 0', withinMs);
  }
  if (o.backoff !== undefined) {
    const { baseMs, maxMs } = o.backoff;
    if (!nonNegative(baseMs)) invalid(`${at}.backoff.baseMs`, 'a number of milliseconds >= 0', baseMs);
    if (!nonNegative(maxMs) || maxMs < baseMs) invalid(`${at}.backoff.maxMs`, `a number of milliseconds >= baseMs (${baseMs})`, maxMs);
  }
  for (const fn of ['onEscalate', 'onEvent', 'now'] as const) {
    if (o[fn] !== undefined && typeof o[fn] !== 'function') invalid(`${at}.${fn}`, 'a function', o[fn]);
  }
  const seen = new Set<string>();
  (o.children ?? []).forEach((spec, i) => {
    validateChildSpec(spec, `${at}.children[${i}]`);
    if (seen.has(spec.id)) invalid(`${at}.children[${i}].id`, 'an id not used by another child', spec.id);
    seen.add(spec.id);
  });
}
