import { TokenAuth } from './auth.js';
import { mediaType, readForm } from './body.js';
import { httpError } from './http-errors.js';
import type { Reply, RequestContext, Route } from './router.js';
import { runRoutes } from './runs.js';
import type { ServedRuntime } from './types.js';

/** A login form's body is one short field: it never needs the API's body limit. */
const LOGIN_MAX_BYTES = 4096;

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
    { method: 'POST', path: '/login', scope: 'public', handle: (ctx) => login(host, ctx) },
    { method: 'POST', path: '/logout', scope: 'public', handle: () => ({ status: 204, headers: { 'set-cookie': TokenAuth.clearCookie(host.cookieName()) } }) },
    { method: 'GET', path: '/metrics', scope: 'read', handle: () => metrics(host.runtime) },
    { method: 'GET', path: '/workflows', scope: 'read', handle: () => ({ status: 200, json: { workflows: host.runtime.workflows.names().sort() } }) },
    ...runRoutes(host.runtime),
  ];
}

function page(host: RouteHost): Reply {
  if (host.page === null) throw httpError('TROUPE_HTTP_UNAVAILABLE', 'the inspector page is not installed (inspector/page/index.html is missing from the build)');
  return { status: 200, text: host.page, contentType: 'text/html; charset=utf-8' };
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
