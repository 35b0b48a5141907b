import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Access, Scope } from './types.js';

/** A `Sec-WebSocket-Protocol` entry that carries a token: `troupe.token.<token>` (browsers cannot set headers on a WebSocket). */
export const TOKEN_PROTOCOL_PREFIX = 'troupe.token.';

const DIGEST_BYTES = 32;

/**
 * Tokens and browser sessions. Tokens are compared as SHA-256 digests with `timingSafeEqual`
 * (equal lengths whatever the token's), both tokens every time, so neither the length nor the
 * first differing byte of a guess shows in the time taken. A session cookie holds no token: it is
 * `scope.expiry.hmac` signed with a key made when the server starts (a restart ends every session).
 */
export class TokenAuth {
  readonly #operator: Buffer | null;
  readonly #read: Buffer | null;
  readonly #key = randomBytes(DIGEST_BYTES);
  readonly #ttlMs: number;
  readonly #now: () => number;

  constructor(options: { token?: string | undefined; readToken?: string | undefined; sessionTtlMs: number; now?: () => number }) {
    this.#operator = options.token === undefined ? null : digest(options.token);
    this.#read = options.readToken === undefined ? null : digest(options.readToken);
    this.#ttlMs = options.sessionTtlMs;
    this.#now = options.now ?? Date.now;
  }

  /** Whether requests need a token at all. */
  get required(): boolean {
    return this.#operator !== null || this.#read !== null;
  }

  /** The scope a token grants, or `null` for a wrong one. */
  scopeOf(token: string): Scope | null {
    const d = digest(token);
    const operator = this.#operator !== null && timingSafeEqual(d, this.#operator);
    const read = this.#read !== null && timingSafeEqual(d, this.#read);
    return operator ? 'operator' : read ? 'read' : null;
  }

  /**
   * Check the token a request carries: `Authorization: Bearer` first (a wrong one is not excused
   * by a cookie), then a `troupe.token.` subprotocol, then the session cookie.
   *
   * @param cookieName - the session cookie's name on this server.
   */
  check(req: IncomingMessage, cookieName: string): Access {
    const protocols = subprotocols(req);
    const others = protocols.filter((p) => !p.startsWith(TOKEN_PROTOCOL_PREFIX));
    if (!this.required) return { ok: true, scope: 'operator', via: 'open', protocols: others };
    const header = req.headers.authorization;
    if (header !== undefined) {
      const bearer = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(header)?.[1];
      if (bearer === undefined) return unauthorized('the Authorization header is not "Bearer <token>"');
      return this.#grant(this.scopeOf(bearer), 'bearer', others);
    }
    const carried = protocols.find((p) => p.startsWith(TOKEN_PROTOCOL_PREFIX));
    if (carried !== undefined) return this.#grant(this.scopeOf(carried.slice(TOKEN_PROTOCOL_PREFIX.length)), 'subprotocol', others);
    const session = cookie(req, cookieName);
    if (session !== undefined) return this.#grant(this.#sessionScope(session), 'cookie', others);
    return unauthorized(
      `this server needs a token: send "Authorization: Bearer <token>", log in with POST /login, or (WebSocket) offer the subprotocol ${TOKEN_PROTOCOL_PREFIX}<token>`,
    );
  }

  /** A `Set-Cookie` value for a new session of `scope`. */
  sessionCookie(cookieName: string, scope: Scope): string {
    const expires = this.#now() + this.#ttlMs;
    const value = `${scope}.${expires}.${this.#sign(`${scope}.${expires}`).toString('base64url')}`;
    return `${cookieName}=${value}; HttpOnly; SameSite=Strict; Path=/; Max-Age=${Math.floor(this.#ttlMs / 1000)}`;
  }

  /** A `Set-Cookie` value that removes the session cookie. */
  static clearCookie(cookieName: string): string {
    return `${cookieName}=; HttpOnly; SameSite=Strict; Path=/; Max-Age=0`;
  }

  #grant(scope: Scope | null, via: 'bearer' | 'cookie' | 'subprotocol', protocols: readonly string[]): Access {
    if (scope === null) return unauthorized(via === 'cookie' ? 'the session has expired or is not valid: log in again' : 'the token is not valid');
    return { ok: true, scope, via, protocols };
  }

  #sessionScope(value: string): Scope | null {
    const [scope, expires, signature, extra] = value.split('.');
    if (extra !== undefined || (scope !== 'read' && scope !== 'operator') || expires === undefined || signature === undefined) return null;
    const given = Buffer.from(signature, 'base64url');
    if (given.length !== DIGEST_BYTES || !timingSafeEqual(given, this.#sign(`${scope}.${expires}`))) return null;
    if (!(Number(expires) > this.#now())) return null;
    // A session outlives neither its token's removal nor a scope the server no longer grants.
    if ((scope === 'operator' ? this.#operator : this.#read) === null) return null;
    return scope;
  }

  #sign(text: string): Buffer {
    return createHmac('sha256', this.#key).update(text).digest();
  }
}

function digest(token: string): Buffer {
  return createHash('sha256').update(token, 'utf8').digest();
}

function unauthorized(message: string): Access {
  return { ok: false, status: 401, code: 'TROUPE_HTTP_UNAUTHORIZED', message };
}

/** The entries of `Sec-WebSocket-Protocol` (a comma-separated list; the header may repeat). */
function subprotocols(req: IncomingMessage): string[] {
  const header = req.headers['sec-websocket-protocol'];
  if (header === undefined) return [];
  return header
    .split(',')
    .map((p) => p.trim())
    .filter((p) => p !== '');
}

/** The value of one cookie of the request, if present. */
function cookie(req: IncomingMessage, name: string): string | undefined {
  const header = req.headers.cookie;
  if (header === undefined) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}
