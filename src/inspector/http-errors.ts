import type { ErrorCode } from '../errors/index.js';
import { TroupeError, isTroupeError } from '../errors/index.js';

/**
 * The HTTP status of each error code the API answers with: one table, so a code means the same
 * status on every route. A troupe code not listed is a server-side failure (500), its message kept.
 */
export const HTTP_STATUS: Readonly<Partial<Record<ErrorCode, number>>> = Object.freeze({
  TROUPE_HTTP_BAD_REQUEST: 400,
  TROUPE_CLI_INPUT_INVALID: 400,
  TROUPE_RUN_INPUT_INVALID: 400,
  TROUPE_WORKFLOW_INVALID: 400,
  TROUPE_WORKFLOW_NOT_FOUND: 400,
  TROUPE_DURATION_INVALID: 400,
  TROUPE_HTTP_UNAUTHORIZED: 401,
  TROUPE_HTTP_FORBIDDEN: 403,
  TROUPE_HTTP_NOT_FOUND: 404,
  TROUPE_RUN_NOT_FOUND: 404,
  TROUPE_HTTP_METHOD_NOT_ALLOWED: 405,
  TROUPE_RUN_STATE_INVALID: 409,
  TROUPE_APPROVAL_NOT_PENDING: 409,
  TROUPE_STORE_CONFLICT: 409,
  TROUPE_HTTP_BODY_TOO_LARGE: 413,
  TROUPE_HTTP_UNSUPPORTED_MEDIA_TYPE: 415,
  TROUPE_RUNTIME_STOPPED: 503,
  TROUPE_HTTP_UNAVAILABLE: 503,
  TROUPE_HTTP_INTERNAL_ERROR: 500,
});

/** The body of every error response. */
export interface ErrorBody {
  readonly code: string;
  readonly message: string;
}

/**
 * What to answer for an error thrown while handling a request.
 *
 * @returns the status and body; `internal` when the error is not one the API means to report
 *   (its details stay in the server's log: the body says only `TROUPE_HTTP_INTERNAL_ERROR`).
 */
export function errorReply(e: unknown): { status: number; body: ErrorBody; internal: boolean } {
  if (isTroupeError(e)) {
    const status = HTTP_STATUS[e.code] ?? 500;
    return { status, body: { code: e.code, message: e.message }, internal: status === 500 };
  }
  return { status: 500, body: { code: 'TROUPE_HTTP_INTERNAL_ERROR', message: 'internal error (the server logged it)' }, internal: true };
}

/** Shorthand for the errors the HTTP layer raises itself. */
export function httpError(code: ErrorCode, message: string, data?: unknown): TroupeError {
  return new TroupeError(code, message, data === undefined ? undefined : { data });
}
