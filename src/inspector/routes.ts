import { readFile } from 'node:fs/promises';
import { TokenAuth } from './auth.js';
import { mediaType, readForm } from './body.js';
import { httpError } from './http-errors.js';
import type { Reply, RequestContext, Route } from './router.js';
import { runRoutes } from './runs.js';
import type { ServedRuntime } from './types.js';

/** A login form's body is one short field: it never needs the API's body limit. */
const LOGIN_MAX_BYTES = 4096;

/**
 * The page's own scripts and styles (`GET /page/<name>`): a flat name of the page folder, so no path
 * can leave it (no `/`, no `..`). The content type is the extension's: `nosniff` is on.
 */
const ASSET_NAME = /^[a-z][a-z0-9-]*\.(js|css)$/;
const ASSET_TYPES = { js: 'text/javascript; charset=utf-8', css: 'text/css; charset=utf-8' } as const;

/**
 * The page loads only its own files and talks only to its own origin (`'self'` covers the
 * same-origin WebSocket); nothing inline may run, so text that slipped into markup could not.
 */
const PAGE_CSP = "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; form-action 'self'; base-uri 'none'; frame-ancestors 'none'";

/** What the non-run routes need from the server. */
export interface RouteHost {
  readonly runtime: ServedRuntime;
  readonly auth: TokenAuth;
  /** The session cookie's name (it carries the port: two servers on one host keep apart). */
  cookieName(): string;
  /** The inspector page's HTML, or `null` when it is not where the build puts it. */
  readonly page: string | null;
}

/** Every route of the API. */
export function routes(host: RouteHost): Route[] {
  return [
    { method: 'GET', path: '/', scope: 'public', handle: () => page(host) },
    { method: 'GET', path: '/page/:name', scope: 'public', handle: (ctx) => asset(ctx.params.name!) },
    { method: 'POST', path: '/login', scope: 'public', handle: (ctx) => login(host, ctx) },
    { method: 'POST', path: '/logout', scope: 'public', handle: () => ({ status: 204, headers: { 'set-cookie': TokenAuth.clearCookie(host.cookieName()) } }) },
    { method: 'GET', path: '/metrics', scope: 'read', handle: () => metrics(host.runtime) },
    { method: 'GET', path: '/workflows', scope: 'read', handle: () => ({ status: 200, json: { workflows: host.runtime.workflows.names().sort() } }) },
    ...runRoutes(host.runtime),
  ];
}

function page(host: RouteHost): Reply {
  if (host.page === null) throw httpError('TROUPE_HTTP_UNAVAILABLE', 'the inspector page is not installed (inspector/page/index.html is missing from the build)');
  return { status: 200, text: host.page, contentType: 'text/html; charset=utf-8', headers: { 'content-security-policy': PAGE_CSP } };
}

/** One file of the page's folder (beside this module in `src/` and, copied by the build, in `dist/`). */
async function asset(name: string): Promise<Reply> {
  const ext = ASSET_NAME.exec(name)?.[1] as keyof typeof ASSET_TYPES | undefined;
  const missing = (): never => {
    throw httpError('TROUPE_HTTP_NOT_FOUND', `no page file ${JSON.stringify(name)}`);
  };
  if (ext === undefined) return missing();
  let text: string;
  try {
    text = await readFile(new URL(`./page/${name}`, import.meta.url), 'utf8');
  } catch {
    return missing();
  }
  return { status: 200, text, contentType: ASSET_TYPES[ext] };
}

/**
 * `POST /login` with the token in a form (`token=...`) or JSON (`{"token": "..."}`): sets an
 * HttpOnly, SameSite=Strict session cookie for the token's scope. A form is answered with a
 * redirect to `/`, JSON with `{ scope }`.
 */
async function login(host: RouteHost, ctx: RequestContext): Promise<Reply> {
  const form = mediaType(ctx.req) === 'application/x-www-form-urlencoded';
  const token = form ? (await readForm(ctx.req, LOGIN_MAX_BYTES)).get('token') : (await ctx.body() as { token?: unknown } | null)?.token;
  if (!host.auth.required) return { status: 200, json: { scope: 'operator' } };
  if (typeof token !== 'string' || token === '') throw httpError('TROUPE_HTTP_BAD_REQUEST', 'token: expected the token as a non-empty string');
  const scope = host.auth.scopeOf(token);
  if (scope === null) throw httpError('TROUPE_HTTP_UNAUTHORIZED', 'the token is not valid');
  const cookie = { 'set-cookie': host.auth.sessionCookie(host.cookieName(), scope) };
  return form ? { status: 303, headers: { ...cookie, location: '/' } } : { status: 200, json: { scope }, headers: cookie };
}

async function metrics(rt: ServedRuntime): Promise<Reply> {
  const source = rt.metrics;
  if (source === undefined) throw httpError('TROUPE_HTTP_UNAVAILABLE', 'this runtime has no metrics (runtime.metrics is not set)');
  return { status: 200, text: await source.text(), contentType: source.contentType };
}
