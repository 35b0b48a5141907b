import type { ErrorCode } from './codes.js';

/** The serialisable shape of an error as it crosses a thread, a socket or the context log. */
export interface ErrorValue {
  readonly code: ErrorCode | string;
  readonly message: string;
  readonly data?: unknown;
}

/**
 * The base class of every error troupe raises. Branch on `code`, never on the message.
 *
 * @example
 * ```ts
 * try { await run.result(); } catch (e) { if (isTroupeError(e) && e.code === 'TROUPE_RUN_FAILED') ... }
 * ```
 */
export class TroupeError extends Error {
  /** Structured details (schema path, step id, ...), safe to serialise. */
  readonly data: unknown;

  constructor(
    readonly code: ErrorCode,
    message: string,
    options?: ErrorOptions & { data?: unknown },
  ) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.data = options?.data;
  }

  /** The error as a plain `{code, message, data}` value. */
  toJSON(): ErrorValue {
    return this.data === undefined
      ? { code: this.code, message: this.message }
      : { code: this.code, message: this.message, data: this.data };
  }
}

/** True when `e` carries a troupe error code (works across realms, where `instanceof` does not). */
export function isTroupeError(e: unknown): e is TroupeError {
  return (
    typeof e === 'object' &&
    e !== null &&
    typeof (e as { code?: unknown }).code === 'string' &&
    (e as { code: string }).code.startsWith('TROUPE_')
  );
}

/** Turn anything thrown into an `ErrorValue`, keeping a troupe code when there is one. */
export function toErrorValue(e: unknown, fallback: ErrorCode = 'TROUPE_AGENT_FAILED'): ErrorValue {
  if (isTroupeError(e)) {
    const data = (e as { data?: unknown }).data;
    return data === undefined ? { code: e.code, message: e.message } : { code: e.code, message: e.message, data };
  }
  if (e instanceof Error) return { code: fallback, message: e.message };
  return { code: fallback, message: `non-Error value thrown: ${safeString(e)}` };
}

/**
 * Why an aborted signal stopped something, as `{code, message}`: its reason when that carries a
 * troupe code (a `TroupeError` or an `ErrorValue`: cancelled, stopping, timed out), else `fallback`.
 */
export function abortReasonValue(reason: unknown, fallback: ErrorValue): ErrorValue {
  if (reason && typeof reason === 'object' && typeof (reason as { code?: unknown }).code === 'string') {
    const r = reason as ErrorValue;
    return { code: r.code, message: r.message };
  }
  return fallback;
}

/** Rebuild a `TroupeError` from its serialised value. */
export function fromErrorValue(v: ErrorValue): TroupeError {
  return new TroupeError(v.code as ErrorCode, v.message, v.data === undefined ? undefined : { data: v.data });
}

function safeString(v: unknown): string {
  try {
    return typeof v === 'string' ? v : JSON.stringify(v) ?? String(v);
  } catch {
    return String(v);
  }
}
