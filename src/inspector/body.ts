import type { IncomingMessage } from 'node:http';
import { parseJsonStream } from '../util/index.js';
import { httpError } from './http-errors.js';

/** The media type of a request, lower-cased, without parameters (`application/json; charset=utf-8` → `application/json`). */
export function mediaType(req: IncomingMessage): string | undefined {
  const header = req.headers['content-type'];
  return header === undefined ? undefined : header.split(';', 1)[0]!.trim().toLowerCase();
}

/** Whether the request has a body at all (a length above 0, or chunked). */
export function hasBody(req: IncomingMessage): boolean {
  const length = req.headers['content-length'];
  if (length !== undefined) return Number(length) > 0;
  return req.headers['transfer-encoding'] !== undefined;
}

/**
 * Refuse a body whose declared length is over the limit before reading any of it.
 *
 * @throws TroupeError `TROUPE_HTTP_BODY_TOO_LARGE`
 */
export function checkLength(req: IncomingMessage, maxBytes: number): void {
  const length = Number(req.headers['content-length'] ?? 0);
  if (length > maxBytes) throw tooLarge(maxBytes);
}

/**
 * Parse a JSON request body as it streams in, at most `maxBytes` of it.
 *
 * @returns the parsed value.
 * @throws TroupeError `TROUPE_HTTP_UNSUPPORTED_MEDIA_TYPE` (not `application/json`),
 *   `TROUPE_HTTP_BODY_TOO_LARGE`, `TROUPE_HTTP_BAD_REQUEST` (invalid JSON: line, column and byte)
 */
export async function readJson(req: IncomingMessage, maxBytes: number): Promise<unknown> {
  const type = mediaType(req);
  if (type !== 'application/json') {
    throw httpError('TROUPE_HTTP_UNSUPPORTED_MEDIA_TYPE', `the request body must be application/json, got ${type === undefined ? 'no Content-Type' : JSON.stringify(type)}`);
  }
  checkLength(req, maxBytes);
  try {
    // Not destroyed when the parser stops early: the response must still reach the client.
    return await parseJsonStream(req.iterator({ destroyOnReturn: false }), { what: 'request body', maxBytes });
  } catch (e) {
    const data = (e as { data?: { maxBytes?: number } }).data;
    if ((e as { code?: unknown }).code !== 'TROUPE_CLI_INPUT_INVALID') throw e;
    if (data?.maxBytes !== undefined) throw tooLarge(maxBytes);
    throw httpError('TROUPE_HTTP_BAD_REQUEST', (e as Error).message, data);
  }
}

/**
 * Read a small `application/x-www-form-urlencoded` body.
 *
 * @throws TroupeError `TROUPE_HTTP_BODY_TOO_LARGE`
 */
export async function readForm(req: IncomingMessage, maxBytes: number): Promise<URLSearchParams> {
  checkLength(req, maxBytes);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req.iterator({ destroyOnReturn: false })) {
    const bytes = chunk as Buffer;
    size += bytes.length;
    if (size > maxBytes) throw tooLarge(maxBytes);
    chunks.push(bytes);
  }
  return new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
}

function tooLarge(maxBytes: number): Error {
  return httpError('TROUPE_HTTP_BODY_TOO_LARGE', `the request body is larger than this server's limit of ${maxBytes} bytes`, { maxBytes });
}
