import { TroupeError, type ErrorCode, type ErrorValue } from '../errors/index.js';
import { parseDuration, type Duration } from '../util/index.js';
import { MAX_TIMER_MS } from './timeout.js';
import type { Agent, RetryPolicy } from './types.js';
import { describeValue } from './validation.js';

/** A normalised retry policy, as on a defined agent. */
export type NormalisedRetry = Agent['retry'];

/**
 * Codes a call is never retried on unless `retry.nonRetryable` says otherwise: retrying cannot
 * fix a bad input, an open circuit or a missing agent, and a rejected output is handled by the
 * self-correction loop, not by blind retries.
 */
export const DEFAULT_NON_RETRYABLE: readonly string[] = Object.freeze([
  'TROUPE_AGENT_INPUT_INVALID',
  'TROUPE_AGENT_OUTPUT_INVALID',
  'TROUPE_CIRCUIT_OPEN',
  'TROUPE_AGENT_NOT_FOUND',
]);

/** The policy of an agent that sets no `retry`: no retries; the other fields as documented. */
export const DEFAULT_RETRY: NormalisedRetry = Object.freeze({
  max: 0,
  backoff: 'exponential',
  baseMs: 100,
  maxDelayMs: 30_000,
  jitter: true,
  nonRetryable: DEFAULT_NON_RETRYABLE,
});

/** Options of {@link normalizeRetry}. */
export interface NormalizeRetryOptions {
  /** Code of the error thrown for an invalid policy. @defaultValue `'TROUPE_AGENT_DEFINITION_INVALID'` */
  readonly code?: ErrorCode;
  /** Extra fields for the thrown error's `data`. */
  readonly data?: Record<string, unknown>;
  /** Text put before the field's path in the message only (e.g. `agent "fix": `). @defaultValue '' */
  readonly label?: string;
}

/**
 * Validate a retry policy and apply its defaults (base 100ms, maxDelay 30s or base if larger,
 * exponential, jitter, {@link DEFAULT_NON_RETRYABLE}).
 *
 * @param policy - the policy as written by a user (agent definition or workflow step).
 * @param where - where it was written: a JSON pointer (`/steps/fix/retry`, fields are appended as
 *   `/max`) or a dotted path (`retry`, fields appended as `.max`). The error's `data.field` is the result.
 * @param options - error code and extra error data.
 * @returns the normalised, frozen policy.
 * @throws TroupeError `options.code` (default `TROUPE_AGENT_DEFINITION_INVALID`) naming the field,
 *   with `data: { ...options.data, field }`.
 * @example
 * ```ts
 * normalizeRetry({ max: 3, base: '200ms' }, '/steps/fix/retry', { code: 'TROUPE_WORKFLOW_INVALID' });
 * ```
 */
export function normalizeRetry(policy: RetryPolicy, where: string, options: NormalizeRetryOptions = {}): NormalisedRetry {
  const sep = where.startsWith('/') ? '/' : '.';
  const fail = (field: string, expected: string, got: unknown, cause?: unknown): never => {
    const path = field === '' ? where : `${where}${sep}${field}`;
    throw new TroupeError(options.code ?? 'TROUPE_AGENT_DEFINITION_INVALID', `${options.label ?? ''}${path}: ${expected}, got ${describeValue(got)}`, {
      cause,
      data: { ...options.data, field: path },
    });
  };
  const duration = (field: string, v: Duration | undefined, dflt: number): number => {
    if (v === undefined) return dflt;
    let ms = -1;
    try {
      ms = parseDuration(v, field);
    } catch (e) {
      fail(field, 'expected a duration such as 100ms, 2s or a number of milliseconds', v, e);
    }
    if (ms > MAX_TIMER_MS) fail(field, `expected at most ${MAX_TIMER_MS}ms`, v);
    return ms;
  };
  if (typeof policy !== 'object' || policy === null || Array.isArray(policy)) return fail('', 'expected an object', policy);
  const max = policy.max ?? 0;
  if (typeof max !== 'number' || !Number.isSafeInteger(max) || max < 0) fail('max', 'expected an integer >= 0', max);
  const backoff = policy.backoff ?? DEFAULT_RETRY.backoff;
  if (backoff !== 'exponential' && backoff !== 'fixed') fail('backoff', "expected 'exponential' or 'fixed'", backoff);
  const baseMs = duration('base', policy.base, DEFAULT_RETRY.baseMs);
  const maxDelayMs = duration('maxDelay', policy.maxDelay, Math.max(DEFAULT_RETRY.maxDelayMs, baseMs));
  if (maxDelayMs < baseMs) fail('maxDelay', `expected at least base (${baseMs}ms)`, policy.maxDelay);
  const jitter = policy.jitter ?? DEFAULT_RETRY.jitter;
  if (typeof jitter !== 'boolean') fail('jitter', 'expected a boolean', jitter);
  let nonRetryable = DEFAULT_NON_RETRYABLE;
  if (policy.nonRetryable !== undefined) {
    if (!Array.isArray(policy.nonRetryable) || !policy.nonRetryable.every((c) => typeof c === 'string')) {
      fail('nonRetryable', 'expected an array of error codes', policy.nonRetryable);
    }
    nonRetryable = Object.freeze([...policy.nonRetryable]);
  }
  return Object.freeze({ max, backoff, baseMs, maxDelayMs, jitter, nonRetryable });
}

/**
 * Codes that end a call whatever the policy says: the run was cancelled or the runtime is
 * stopping, so another attempt would only be thrown away.
 */
export const ALWAYS_FINAL_CODES: readonly string[] = Object.freeze(['TROUPE_RUN_CANCELLED', 'TROUPE_RUNTIME_STOPPED']);

/**
 * The delay before the retry that follows failed attempt `attempt` (1 = the first attempt).
 * Exponential backoff is `base * 2^(attempt-1)`, fixed is `base`; both are capped at `maxDelay`.
 * With `jitter`, the delay is drawn uniformly from `[0, delay)` ("full jitter"). Pure.
 *
 * @param attempt - the attempt that just failed, 1-based (values below 1 count as 1).
 * @param retry - the agent's normalised retry policy.
 * @param random - a source of numbers in `[0, 1)` (inject a seeded one for reproducible runs).
 * @returns the delay in milliseconds, `>= 0` and `<= retry.maxDelayMs`.
 * @example
 * ```ts
 * retryDelay(3, { ...agent.retry, baseMs: 100, jitter: false }, Math.random); // 400
 * ```
 */
export function retryDelay(attempt: number, retry: NormalisedRetry, random: () => number): number {
  const base = retry.baseMs;
  const cap = retry.maxDelayMs;
  if (!(base > 0)) return 0; // also keeps 0 * Infinity (NaN) out of the exponential branch
  let delay = base;
  if (retry.backoff === 'exponential' && attempt > 1) {
    delay = base * 2 ** (attempt - 1); // Infinity for huge attempts, which the cap handles
  }
  if (delay > cap) delay = cap;
  return retry.jitter ? random() * delay : delay;
}

/**
 * Whether a call that failed with `error` on attempt `attempt` should be tried again: attempts
 * remain (`attempt <= retry.max`), the code is not in `retry.nonRetryable`, and the run is not
 * cancelled or stopping ({@link ALWAYS_FINAL_CODES}). Pure and allocation-free.
 *
 * @param error - the failure as a value (`{ code, message }`).
 * @param attempt - the attempt that just failed, 1-based.
 * @param retry - the agent's normalised retry policy.
 * @returns `true` to retry (after {@link retryDelay}), `false` to give up.
 * @example
 * ```ts
 * shouldRetry({ code: 'TROUPE_AGENT_TIMEOUT', message: 'timed out' }, 1, agent.retry); // true when retry.max >= 1
 * ```
 */
export function shouldRetry(error: ErrorValue, attempt: number, retry: NormalisedRetry): boolean {
  if (!(attempt <= retry.max)) return false;
  const code = error.code;
  if (ALWAYS_FINAL_CODES.includes(code)) return false;
  return !retry.nonRetryable.includes(code);
}
