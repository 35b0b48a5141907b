import type { IncomingMessage } from 'node:http';
import { isIP } from 'node:net';
import { TroupeError } from '../errors/index.js';

/**
 * Whether a host to bind is loopback only: `localhost`, 127.0.0.0/8, `::1` (or 127.x mapped into
 * IPv6). A name other than `localhost` may resolve anywhere, so it does not count.
 */
export function isLoopbackHost(host: string): boolean {
  const h = host.toLowerCase().replace(/^\[(.*)\]$/, '$1');
  if (h === 'localhost' || h.endsWith('.localhost')) return true;
  if (isIP(h) === 4) return h.startsWith('127.');
  if (isIP(h) === 6) return /^(0*:)*:?0*1$/.test(h) || /^::ffff:127\./.test(h);
  return false;
}

/**
 * Normalise an allowed origin (`https://ops.example.com`, `http://localhost:3000`).
 *
 * @throws TroupeError `TROUPE_SERVER_OPTIONS_INVALID` for anything but `http(s)://host[:port]`
 */
export function normalizeOrigin(origin: string): string {
  let url: URL | undefined;
  try {
    url = new URL(origin);
  } catch {
    url = undefined;
  }
  if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:') || url.pathname !== '/' || url.search !== '' || url.hash !== '' || url.username !== '') {
    throw new TroupeError('TROUPE_SERVER_OPTIONS_INVALID', `origins: ${JSON.stringify(origin)} is not an origin (expected http(s)://host[:port], e.g. https://ops.example.com)`, {
      data: { option: 'origins', origin },
    });
  }
  return url.origin;
}

/**
 * Which browsers may talk to the server. A request without `Origin` is a program's and passes;
 * one with `Origin` passes when that origin is this server's own (its host is the request's
 * `Host`) or in the allowlist. Without a token the server is reachable only on loopback, and
 * then the `Host` itself must be a loopback name or the bound host: a page on another site whose
 * name was made to resolve to 127.0.0.1 (DNS rebinding) is same-host by its own reckoning.
 */
export class OriginPolicy {
  readonly #allowed: ReadonlySet<string>;
  readonly #boundHost: string;
  readonly #checkHost: boolean;

  /**
   * @param origins - the allowlist, already normalised.
   * @param boundHost - the host the server binds.
   * @param checkHost - refuse `Host` headers that are not loopback names (a server without a token).
   */
  constructor(origins: readonly string[], boundHost: string, checkHost: boolean) {
    this.#allowed = new Set(origins);
    this.#boundHost = boundHost.toLowerCase();
    this.#checkHost = checkHost;
  }

  /** Why the request is refused (a sentence), or `null` when it may go on. */
  refusal(req: IncomingMessage): string | null {
    const host = req.headers.host;
    if (this.#checkHost) {
      const name = host === undefined ? undefined : hostname(host);
      if (name === undefined || !(isLoopbackHost(name) || name === this.#boundHost)) {
        return `Host ${JSON.stringify(host ?? '')} is not this server's name (a server without a token answers only to loopback names)`;
      }
    }
    const origin = req.headers.origin;
    if (origin === undefined) return null;
    if (this.#allowed.has(origin)) return null;
    let sameHost = false;
    try {
      sameHost = host !== undefined && new URL(origin).host === host.toLowerCase();
    } catch {
      sameHost = false;
    }
    return sameHost ? null : `Origin ${JSON.stringify(origin)} is not allowed (allowed: this server's own${this.#allowed.size > 0 ? `, ${[...this.#allowed].join(', ')}` : ''})`;
  }
}

/** The name part of a `Host` header (`[::1]:7070` → `::1`), or undefined when it does not parse. */
function hostname(host: string): string | undefined {
  try {
    return new URL(`http://${host}`).hostname.replace(/^\[(.*)\]$/, '$1').toLowerCase();
  } catch {
    return undefined;
  }
}
