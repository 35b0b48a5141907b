import type { IncomingMessage } from 'node:http';
import { httpError } from './http-errors.js';
import type { Access, Scope } from './types.js';

/** What a route answers: a JSON body, or text of a content type. */
export interface Reply {
  readonly status: number;
  /** Sent as JSON. */
  readonly json?: unknown;
  /** Sent as is, with `contentType`. */
  readonly text?: string;
  readonly contentType?: string;
  readonly headers?: Readonly<Record<string, string>>;
}

/** What a route's handler gets. */
export interface RequestContext {
  readonly req: IncomingMessage;
  /** The path's `:name` segments, decoded. */
  readonly params: Readonly<Record<string, string>>;
  readonly query: URLSearchParams;
  /** How the request authenticated (`null` on a public route). */
  readonly access: (Access & { readonly ok: true }) | null;
  /** The JSON body (required). */
  body(): Promise<unknown>;
  /** The JSON body, or `undefined` when the request has none. */
  optionalBody(): Promise<unknown>;
}

/** One route: a method and a path with `:name` segments, who may call it, and its handler. */
export interface Route {
  readonly method: 'GET' | 'POST';
  readonly path: string;
  /** `public`: no token needed (Host and Origin are still checked). */
  readonly scope: Scope | 'public';
  readonly handle: (ctx: RequestContext) => Promise<Reply> | Reply;
}

/** The outcome of matching a request. */
export type Match =
  | { readonly kind: 'route'; readonly route: Route; readonly params: Record<string, string> }
  | { readonly kind: 'method'; readonly allow: readonly string[] }
  | { readonly kind: 'none' };

/** Matches paths against a fixed table of routes; `HEAD` is answered as `GET`. */
export class Router {
  readonly #routes: readonly { readonly route: Route; readonly segments: readonly string[] }[];

  constructor(routes: readonly Route[]) {
    this.#routes = routes.map((route) => ({ route, segments: split(route.path) }));
  }

  /**
   * @param method - the request's method.
   * @param path - the URL's path, still percent-encoded (a run id may hold an encoded `/`).
   * @throws TroupeError `TROUPE_HTTP_BAD_REQUEST` for a malformed percent-encoding
   */
  match(method: string, path: string): Match {
    const segments = split(path).map((s) => decode(s));
    const allow = new Set<string>();
    for (const { route, segments: pattern } of this.#routes) {
      const params = matchSegments(pattern, segments);
      if (!params) continue;
      if (route.method === method || (method === 'HEAD' && route.method === 'GET')) return { kind: 'route', route, params };
      allow.add(route.method);
      if (route.method === 'GET') allow.add('HEAD');
    }
    return allow.size > 0 ? { kind: 'method', allow: [...allow] } : { kind: 'none' };
  }
}

/** `/runs/a/` → `['runs', 'a']`; `/` → `[]`. */
function split(path: string): string[] {
  const trimmed = path.replace(/^\/+/, '').replace(/\/+$/, '');
  return trimmed === '' ? [] : trimmed.split('/');
}

function decode(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    throw httpError('TROUPE_HTTP_BAD_REQUEST', `the path segment ${JSON.stringify(segment)} is not valid percent-encoding`);
  }
}

function matchSegments(pattern: readonly string[], segments: readonly string[]): Record<string, string> | null {
  if (pattern.length !== segments.length) return null;
  const params: Record<string, string> = {};
  for (let i = 0; i < pattern.length; i++) {
    const p = pattern[i]!;
    const s = segments[i]!;
    if (p.startsWith(':')) {
      if (s === '') return null;
      params[p.slice(1)] = s;
    } else if (p !== s) return null;
  }
  return params;
}
