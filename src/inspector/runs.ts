import { TroupeError } from '../errors/index.js';
import { assertControllable, genesisHash, isFinished, type RunRecord, type RunStatus } from '../store/index.js';
import { viewOf, type RunHandle, type WorkflowDefinition } from '../workflow/index.js';
import { httpError } from './http-errors.js';
import type { Reply, RequestContext, Route } from './router.js';
import type { ServedRuntime } from './types.js';

const STATUSES: readonly RunStatus[] = ['running', 'waiting-approval', 'paused', 'completed', 'failed', 'cancelled'];
const DEFAULT_LIMIT = 100;
const MAX_LIMIT = 1000;
/** Bounds of the free-text fields of a decision (they go into the run's log). */
const MAX_BY = 200;
const MAX_COMMENT = 4000;

/** The run routes: start, list, show, decide, pause, resume, cancel. */
export function runRoutes(rt: ServedRuntime): Route[] {
  return [
    { method: 'POST', path: '/runs', scope: 'operator', handle: (ctx) => startRun(rt, ctx) },
    { method: 'GET', path: '/runs', scope: 'read', handle: (ctx) => listRuns(rt, ctx) },
    { method: 'GET', path: '/runs/:id', scope: 'read', handle: (ctx) => showRun(rt, ctx) },
    { method: 'POST', path: '/runs/:id/approvals/:step', scope: 'operator', handle: (ctx) => decide(rt, ctx) },
    { method: 'POST', path: '/runs/:id/pause', scope: 'operator', handle: (ctx) => control(rt, ctx, 'pause') },
    { method: 'POST', path: '/runs/:id/resume', scope: 'operator', handle: (ctx) => control(rt, ctx, 'resume') },
    { method: 'POST', path: '/runs/:id/cancel', scope: 'operator', handle: (ctx) => control(rt, ctx, 'cancel') },
  ];
}

/** `POST /runs` `{ workflow: name | definition, input? }` → 201 `{ id, workflow, status }`. */
async function startRun(rt: ServedRuntime, ctx: RequestContext): Promise<Reply> {
  const body = object(await ctx.body(), 'the request body');
  const workflow = body.workflow;
  if (typeof workflow !== 'string' && (typeof workflow !== 'object' || workflow === null || Array.isArray(workflow))) {
    throw badRequest('workflow: expected a workflow name (string) or an inline definition (object)');
  }
  if (workflow === '') throw badRequest('workflow: expected a workflow name, got an empty string');
  const run = await rt.start(workflow as string | WorkflowDefinition, body.input ?? {});
  const { id, status } = run.status();
  return { status: 201, json: { id, workflow: run.workflow, status }, headers: { location: `/runs/${encodeURIComponent(id)}` } };
}

/** `GET /runs?status=&workflow=&parent=&limit=` → `{ runs }`, newest first. */
async function listRuns(rt: ServedRuntime, ctx: RequestContext): Promise<Reply> {
  const q = ctx.query;
  const statuses = q.getAll('status').flatMap((s) => s.split(',')).filter((s) => s !== '');
  for (const s of statuses) if (!(STATUSES as readonly string[]).includes(s)) throw badRequest(`status: ${JSON.stringify(s)} is not one of ${STATUSES.join(', ')}`);
  const limit = q.get('limit') === null ? DEFAULT_LIMIT : Number(q.get('limit'));
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_LIMIT) throw badRequest(`limit: expected an integer from 1 to ${MAX_LIMIT}, got ${JSON.stringify(q.get('limit'))}`);
  const workflow = q.get('workflow') ?? undefined;
  const parent = q.get('parent') ?? undefined;
  const records = await rt.store.listRuns({
    ...(statuses.length > 0 ? { status: statuses as RunStatus[] } : {}),
    ...(workflow !== undefined ? { workflow } : {}),
  });
  const runs = records
    .filter((r) => r.parentRunId === parent)
    .map((r) => live(rt, r.id)?.status() ?? r)
    .sort((a, b) => b.createdAt - a.createdAt || b.updatedAt - a.updatedAt)
    .slice(0, limit);
  return { status: 200, json: { runs } };
}

/** `GET /runs/:id[?version=N]` → the record, pending approvals, the context at the version and its head. */
async function showRun(rt: ServedRuntime, ctx: RequestContext): Promise<Reply> {
  const id = ctx.params.id!;
  const handle = live(rt, id);
  const record: RunRecord | undefined = handle?.status() ?? (await rt.store.getRun(id));
  if (!record) throw notFound(id);
  const raw = ctx.query.get('version');
  const version = raw === null ? undefined : Number(raw);
  if (version !== undefined && !(Number.isInteger(version) && version >= 0)) throw badRequest(`version: expected an integer >= 0, got ${JSON.stringify(raw)}`);
  const entries = await rt.store.read(id, version);
  const last = entries.at(-1);
  const head = last ? { seq: last.seq, hash: last.hash } : { seq: 0, hash: genesisHash(record.definitionHash, record.input) };
  return {
    status: 200,
    json: {
      run: record,
      active: handle !== undefined && !isFinished(record.status),
      pendingApprovals: handle?.pendingApprovals() ?? [],
      version: head.seq,
      head,
      context: viewOf(record.input, entries),
    },
  };
}

/** `POST /runs/:id/approvals/:step` `{ decision, by?, comment? }` → `{ id, step, decision, status }`. */
async function decide(rt: ServedRuntime, ctx: RequestContext): Promise<Reply> {
  const body = object(await ctx.body(), 'the request body');
  const { decision, by, comment } = body;
  if (decision !== 'approve' && decision !== 'reject') throw badRequest(`decision: expected "approve" or "reject", got ${JSON.stringify(decision) ?? 'nothing'}`);
  const opts = { ...text(by, 'by', MAX_BY), ...text(comment, 'comment', MAX_COMMENT) };
  const run = await controllable(rt, ctx.params.id!);
  const step = ctx.params.step!;
  if (decision === 'approve') run.approve(step, opts);
  else run.reject(step, opts);
  return { status: 200, json: { id: run.id, step, decision, status: run.status().status } };
}

/** `POST /runs/:id/pause|resume|cancel` `[{ reason? }]` → `{ id, status }`. */
async function control(rt: ServedRuntime, ctx: RequestContext, action: 'pause' | 'resume' | 'cancel'): Promise<Reply> {
  const body = await ctx.optionalBody();
  const reason = body === undefined ? {} : text(object(body, 'the request body').reason, 'reason', MAX_COMMENT);
  const run = await controllable(rt, ctx.params.id!);
  assertControllable(run.id, run.status().status, action);
  const by = { by: `http:${ctx.access?.scope ?? 'operator'}` };
  if (action === 'pause') run.pause(by);
  else if (action === 'resume') run.resume(by);
  else run.cancel(reason.comment ?? 'cancelled over the HTTP API', by);
  return { status: 200, json: { id: run.id, status: run.status().status } };
}

/** The runtime's handle of a run it runs (or finished recently), if any. */
function live(rt: ServedRuntime, id: string): RunHandle | undefined {
  try {
    return rt.getRun(id);
  } catch (e) {
    if ((e as { code?: unknown }).code === 'TROUPE_RUN_NOT_FOUND') return undefined;
    throw e;
  }
}

/**
 * The handle of a run this server can act on.
 *
 * @throws TroupeError `TROUPE_RUN_NOT_FOUND` (unknown), `TROUPE_RUN_STATE_INVALID` (stored, but
 *   finished or not resumed by this server)
 */
async function controllable(rt: ServedRuntime, id: string): Promise<RunHandle> {
  const handle = live(rt, id);
  if (handle) return handle;
  const record = await rt.store.getRun(id);
  if (!record) throw notFound(id);
  throw new TroupeError('TROUPE_RUN_STATE_INVALID', `run ${id} is ${record.status} and not running in this server${isFinished(record.status) ? '' : ' (it was not resumed: is its workflow loaded?)'}`, {
    data: { runId: id, status: record.status },
  });
}

function notFound(id: string): TroupeError {
  return new TroupeError('TROUPE_RUN_NOT_FOUND', `no run with id ${id}`, { data: { runId: id } });
}

function badRequest(message: string): TroupeError {
  return httpError('TROUPE_HTTP_BAD_REQUEST', message);
}

function object(value: unknown, what: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw badRequest(`${what}: expected a JSON object`);
  return value as Record<string, unknown>;
}

/** An optional bounded string field, as the option it becomes (`reason` becomes `comment`). */
function text(value: unknown, field: string, max: number): { by?: string; comment?: string } {
  if (value === undefined) return {};
  if (typeof value !== 'string' || value.length > max) throw badRequest(`${field}: expected a string of at most ${max} characters`);
  return field === 'by' ? { by: value } : { comment: value };
}
