import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createRuntime, type RunStatus, type TroupeRuntime } from '../../src/index.js';
import { createServer, type Access, type MetricsSource, type ServerOptions, type TroupeServer } from '../../src/inspector/index.js';
import { fixture, ROOT } from '../cli/helpers.js';

const AGENTS = join(ROOT, 'test/cli/fixtures/agents.ts');
const OPERATOR = 'operator-token-0123456789abcdef';
const READER = 'read-token-0123456789abcdef0000';

interface Served {
  readonly rt: TroupeRuntime;
  readonly server: TroupeServer;
  readonly port: number;
}

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'troupe-http-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** A runtime on a fresh LMDB directory, the gated and hello workflows in a workflows dir, a server on 127.0.0.1:0. */
async function serve(options: Partial<ServerOptions> = {}): Promise<Served> {
  const dir = tempDir();
  const workflows = join(dir, 'workflows');
  mkdirSync(workflows);
  // The CLI's fixtures, their agent module named by absolute path (the copies live elsewhere).
  for (const [name, as] of [['gated.yaml', 'gated.yaml'], ['hello.yaml', 'hello.yml']] as const) {
    writeFileSync(join(workflows, as), readFileSync(join(ROOT, fixture(name)), 'utf8').replace('./agents.ts', AGENTS));
  }
  writeFileSync(join(workflows, 'notes.txt'), 'not a workflow');
  const rt = await createRuntime({ dataDir: join(dir, 'data') });
  cleanups.push(() => rt.stop({ timeoutMs: 0 }));
  const server = await createServer({ runtime: rt, workflowsDir: workflows, host: '127.0.0.1', port: 0, ...options });
  cleanups.push(() => server.close({ graceMs: 100 }));
  const { port } = await server.listen();
  return { rt, server, port };
}

interface Answer {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly text: string;
  readonly json: any;
}

/** One HTTP request over a real socket (node:http: any header may be set, Host and Origin included). */
function call(
  port: number,
  method: string,
  path: string,
  options: { token?: string; body?: unknown; raw?: string | Buffer; headers?: Record<string, string> } = {},
): Promise<Answer> {
  const headers: Record<string, string> = { ...(options.token ? { authorization: `Bearer ${options.token}` } : {}) };
  let body: string | Buffer | undefined = options.raw;
  if (options.body !== undefined) {
    body = JSON.stringify(options.body);
    headers['content-type'] = 'application/json';
  }
  Object.assign(headers, options.headers);
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port, method, path, headers }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (text += d));
      res.on('end', () => {
        let json: unknown;
        try {
          json = JSON.parse(text);
        } catch {
          json = undefined;
        }
        resolve({ status: res.statusCode!, headers: res.headers, text, json });
      });
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** Resolves once the run has the status (checked now, then on each of its events). */
function untilStatus(rt: TroupeRuntime, id: string, status: RunStatus): Promise<void> {
  return new Promise((resolve) => {
    const check = (): void => {
      if (rt.getRun(id).status().status === status) {
        off();
        resolve();
      }
    };
    const off = rt.on((e) => e.runId === id && check());
    check();
  });
}

/** Make `rt.metrics` this value until the test ends (the runtime's own is back before it stops). */
function replaceMetrics(rt: TroupeRuntime, metrics: MetricsSource | undefined): void {
  const own = Object.getOwnPropertyDescriptor(rt, 'metrics');
  Object.defineProperty(rt, 'metrics', { value: metrics, configurable: true, writable: true });
  cleanups.push(() => {
    if (own) Object.defineProperty(rt, 'metrics', own);
    else delete (rt as { metrics?: unknown }).metrics;
  });
}

async function startGated({ rt, port }: Served, token?: string): Promise<string> {
  const started = await call(port, 'POST', '/runs', { token, body: { workflow: 'gated' } });
  expect(started.status).toBe(201);
  const id = started.json.id as string;
  await untilStatus(rt, id, 'waiting-approval');
  return id;
}

describe('the HTTP API', () => {
  describe('runs, without a token on loopback', () => {
    it('POST /runs starts a workflow of the workflows dir by name: 201 with its id and a Location', async () => {
      const s = await serve();
      expect([...s.server.workflows.keys()].sort()).toEqual(['gated', 'hello']);
      const res = await call(s.port, 'POST', '/runs', { body: { workflow: 'hello', input: { name: 'Ada' } } });
      expect(res.status).toBe(201);
      expect(res.json).toMatchObject({ id: expect.any(String), workflow: 'hello' });
      expect(res.headers.location).toBe(`/runs/${res.json.id}`);
      expect(await s.rt.getRun(res.json.id).result()).toBe('hello, Ada');
    });

    it('POST /runs starts an inline definition', async () => {
      const s = await serve();
      const definition = { name: 'inline', steps: { greet: { agent: 'greeter', input: { name: '"inline"' } } } };
      const res = await call(s.port, 'POST', '/runs', { body: { workflow: definition } });
      expect(res.status).toBe(201);
      await untilStatus(s.rt, res.json.id, 'completed');
    });

    it('POST /runs answers 400 for a missing workflow, an unknown name, an invalid input and an invalid definition', async () => {
      const s = await serve();
      for (const body of [{}, { workflow: 'nope' }, { workflow: 'hello', input: {} }, { workflow: { name: 'bad', steps: {} } }, []]) {
        const res = await call(s.port, 'POST', '/runs', { body });
        expect(res.status, JSON.stringify(body)).toBe(400);
        expect(Object.keys(res.json).sort()).toEqual(['code', 'message']);
      }
      expect((await call(s.port, 'POST', '/runs', { body: { workflow: 'nope' } })).json.code).toBe('TROUPE_WORKFLOW_NOT_FOUND');
      expect((await call(s.port, 'POST', '/runs', { body: { workflow: 'hello', input: {} } })).json.code).toBe('TROUPE_RUN_INPUT_INVALID');
    });

    it('GET /runs lists root runs newest first, filtered by status and workflow, and limited', async () => {
      const s = await serve();
      const waiting = await startGated(s);
      const done = (await call(s.port, 'POST', '/runs', { body: { workflow: 'hello', input: { name: 'x' } } })).json.id as string;
      await untilStatus(s.rt, done, 'completed');
      const all = await call(s.port, 'GET', '/runs');
      expect(all.status).toBe(200);
      expect(all.json.runs.map((r: { id: string }) => r.id)).toEqual([done, waiting]);
      expect((await call(s.port, 'GET', '/runs?status=waiting-approval')).json.runs.map((r: { id: string }) => r.id)).toEqual([waiting]);
      expect((await call(s.port, 'GET', '/runs?status=completed,failed&workflow=hello')).json.runs.map((r: { id: string }) => r.id)).toEqual([done]);
      expect((await call(s.port, 'GET', '/runs?limit=1')).json.runs).toHaveLength(1);
      expect((await call(s.port, 'GET', '/runs?status=sleeping')).status).toBe(400);
      expect((await call(s.port, 'GET', '/runs?limit=0')).status).toBe(400);
    });

    it('GET /runs/:id shows the state, current step, pending approvals, the context at the latest version and the hash head', async () => {
      const s = await serve();
      const id = await startGated(s);
      const res = await call(s.port, 'GET', `/runs/${id}`);
      expect(res.status).toBe(200);
      const record = s.rt.getRun(id).status();
      expect(res.json).toMatchObject({
        run: { id, workflow: 'gated', status: 'waiting-approval', currentSteps: ['draft'] },
        active: true,
        pendingApprovals: ['draft'],
        version: 1,
        head: { seq: 1, hash: record.headHash },
        context: { input: {}, draft: { greeting: 'hello, gate' } },
      });
      const genesis = await call(s.port, 'GET', `/runs/${id}?version=0`);
      expect(genesis.json).toMatchObject({ version: 0, context: { input: {} } });
      expect(genesis.json.context).not.toHaveProperty('draft');
      expect((await call(s.port, 'GET', `/runs/${id}?version=-1`)).status).toBe(400);
    });

    it('POST /runs/:id/approvals/:step approves a waiting step; the run completes with the decision in its context', async () => {
      const s = await serve();
      const id = await startGated(s);
      const res = await call(s.port, 'POST', `/runs/${id}/approvals/draft`, { body: { decision: 'approve', by: 'ada', comment: 'ship it' } });
      expect(res.status).toBe(200);
      expect(res.json).toMatchObject({ id, step: 'draft', decision: 'approve' });
      await untilStatus(s.rt, id, 'completed');
      const shown = await call(s.port, 'GET', `/runs/${id}`);
      expect(shown.json).toMatchObject({ active: false, run: { status: 'completed' }, context: { approvals: { draft: { approved: true, by: 'ada', comment: 'ship it' } }, send: { greeting: 'hello, hello, gate' } } });
    });

    it('rejecting a step without a reject branch fails the run', async () => {
      const s = await serve();
      const id = await startGated(s);
      expect((await call(s.port, 'POST', `/runs/${id}/approvals/draft`, { body: { decision: 'reject' } })).status).toBe(200);
      await untilStatus(s.rt, id, 'failed');
    });

    it('approving a step that is not pending answers 409 TROUPE_APPROVAL_NOT_PENDING; a bad decision 400', async () => {
      const s = await serve();
      const id = await startGated(s);
      const wrongStep = await call(s.port, 'POST', `/runs/${id}/approvals/send`, { body: { decision: 'approve' } });
      expect(wrongStep.status).toBe(409);
      expect(wrongStep.json.code).toBe('TROUPE_APPROVAL_NOT_PENDING');
      expect((await call(s.port, 'POST', `/runs/${id}/approvals/draft`, { body: { decision: 'maybe' } })).status).toBe(400);
      expect((await call(s.port, 'POST', `/runs/${id}/approvals/draft`, { body: { decision: 'approve', by: 7 } })).status).toBe(400);
      await call(s.port, 'POST', `/runs/${id}/approvals/draft`, { body: { decision: 'approve' } });
      await untilStatus(s.rt, id, 'completed');
      const again = await call(s.port, 'POST', `/runs/${id}/approvals/draft`, { body: { decision: 'approve' } });
      expect(again.status).toBe(409);
    });

    it('pauses, resumes and cancels a run; a state that does not allow it answers 409 TROUPE_RUN_STATE_INVALID', async () => {
      const s = await serve();
      const id = await startGated(s);
      expect((await call(s.port, 'POST', `/runs/${id}/resume`)).status).toBe(409);
      const paused = await call(s.port, 'POST', `/runs/${id}/pause`);
      expect(paused).toMatchObject({ status: 200, json: { id, status: 'paused' } });
      const twice = await call(s.port, 'POST', `/runs/${id}/pause`);
      expect(twice).toMatchObject({ status: 409, json: { code: 'TROUPE_RUN_STATE_INVALID' } });
      expect((await call(s.port, 'POST', `/runs/${id}/resume`)).json).toMatchObject({ status: 'waiting-approval' });
      const cancelled = await call(s.port, 'POST', `/runs/${id}/cancel`, { body: { reason: 'not today' } });
      expect(cancelled).toMatchObject({ status: 200, json: { status: 'cancelled' } });
      expect((await call(s.port, 'POST', `/runs/${id}/cancel`)).status).toBe(409);
      expect((await call(s.port, 'POST', `/runs/${id}/pause`)).status).toBe(409);
      expect(s.rt.getRun(id).status().error?.message).toContain('not today');
    });

    it('an unknown run answers 404 TROUPE_RUN_NOT_FOUND on every run route', async () => {
      const s = await serve();
      for (const [method, path, body] of [
        ['GET', '/runs/nope', undefined],
        ['POST', '/runs/nope/approvals/draft', { decision: 'approve' }],
        ['POST', '/runs/nope/pause', undefined],
        ['POST', '/runs/nope/resume', undefined],
        ['POST', '/runs/nope/cancel', undefined],
      ] as const) {
        const res = await call(s.port, method, path, { body });
        expect(res.status, path).toBe(404);
        expect(res.json.code).toBe('TROUPE_RUN_NOT_FOUND');
      }
    });

    it('an unknown route answers 404 and a known one with another method 405 with Allow', async () => {
      const s = await serve();
      expect((await call(s.port, 'GET', '/nope')).json).toMatchObject({ code: 'TROUPE_HTTP_NOT_FOUND' });
      const wrong = await call(s.port, 'DELETE', '/runs');
      expect(wrong.status).toBe(405);
      expect(wrong.json.code).toBe('TROUPE_HTTP_METHOD_NOT_ALLOWED');
      expect(wrong.headers.allow).toBe('POST, GET, HEAD');
      expect((await call(s.port, 'GET', '/runs/%E0%A4%A')).status).toBe(400);
    });

    it('GET /workflows names the loaded workflows', async () => {
      const s = await serve();
      expect((await call(s.port, 'GET', '/workflows')).json).toEqual({ workflows: ['gated', 'hello'] });
    });

    it('GET / serves the inspector page as HTML', async () => {
      const s = await serve();
      const res = await call(s.port, 'GET', '/');
      expect(res.status).toBe(200);
      expect(res.headers['content-type']).toBe('text/html; charset=utf-8');
      expect(res.headers['x-frame-options']).toBe('DENY');
      expect(res.text).toContain('<title>troupe inspector</title>');
    });
  });

  describe('GET /metrics', () => {
    it("answers the runtime's Prometheus text with its content type", async () => {
      const s = await serve({ token: OPERATOR });
      const contentType = 'text/plain; version=0.0.4; charset=utf-8';
      replaceMetrics(s.rt, { contentType, text: async () => 'troupe_runs_total 3\n' });
      expect((await call(s.port, 'GET', '/metrics')).status).toBe(401);
      const res = await call(s.port, 'GET', '/metrics', { token: OPERATOR });
      expect(res).toMatchObject({ status: 200, text: 'troupe_runs_total 3\n' });
      expect(res.headers['content-type']).toBe(contentType);
    });

    it('answers 503 TROUPE_HTTP_UNAVAILABLE when the runtime has no metrics', async () => {
      const s = await serve();
      replaceMetrics(s.rt, undefined);
      expect(await call(s.port, 'GET', '/metrics')).toMatchObject({ status: 503, json: { code: 'TROUPE_HTTP_UNAVAILABLE' } });
    });
  });

  describe('request bodies', () => {
    it('a body over maxBodyBytes answers 413, declared or chunked', async () => {
      const s = await serve({ maxBodyBytes: 1024 });
      const big = JSON.stringify({ workflow: 'hello', input: { name: 'x'.repeat(4096) } });
      const declared = await call(s.port, 'POST', '/runs', { raw: big, headers: { 'content-type': 'application/json' } });
      expect(declared).toMatchObject({ status: 413, json: { code: 'TROUPE_HTTP_BODY_TOO_LARGE' } });
      const chunked = await call(s.port, 'POST', '/runs', { raw: big, headers: { 'content-type': 'application/json', 'transfer-encoding': 'chunked' } });
      expect(chunked).toMatchObject({ status: 413, json: { code: 'TROUPE_HTTP_BODY_TOO_LARGE' } });
      expect((await call(s.port, 'GET', '/runs')).json.runs).toEqual([]);
    });

    it('malformed JSON answers 400 naming the line and column', async () => {
      const s = await serve();
      const res = await call(s.port, 'POST', '/runs', { raw: '{\n  "workflow": "hello",\n  "input": {name: 1}\n}', headers: { 'content-type': 'application/json' } });
      expect(res.status).toBe(400);
      expect(res.json.code).toBe('TROUPE_HTTP_BAD_REQUEST');
      expect(res.json.message).toBe('request body: invalid JSON at line 3, column 14 (byte 38): unexpected "a"');
    });

    it('a body that is not JSON answers 415', async () => {
      const s = await serve();
      const res = await call(s.port, 'POST', '/runs', { raw: 'workflow=hello', headers: { 'content-type': 'application/x-www-form-urlencoded' } });
      expect(res).toMatchObject({ status: 415, json: { code: 'TROUPE_HTTP_UNSUPPORTED_MEDIA_TYPE' } });
    });
  });

  describe('with an operator and a read-only token', () => {
    const tokens = { token: OPERATOR, readToken: READER };

    it('answers 401 with WWW-Authenticate to a request without a token, and serves the page and login without one', async () => {
      const s = await serve(tokens);
      for (const path of ['/runs', '/runs/x', '/workflows', '/metrics']) {
        const res = await call(s.port, 'GET', path);
        expect(res.status, path).toBe(401);
        expect(res.json.code).toBe('TROUPE_HTTP_UNAUTHORIZED');
        expect(res.headers['www-authenticate']).toBe('Bearer realm="troupe"');
      }
      expect((await call(s.port, 'POST', '/runs', { body: { workflow: 'hello', input: { name: 'x' } } })).status).toBe(401);
      expect((await call(s.port, 'GET', '/')).status).toBe(200);
    });

    it('lets the read token GET but answers 403 to its approvals and other operator actions', async () => {
      const s = await serve(tokens);
      const id = await startGated(s, OPERATOR);
      expect((await call(s.port, 'GET', '/runs', { token: READER })).json.runs).toHaveLength(1);
      expect((await call(s.port, 'GET', `/runs/${id}`, { token: READER })).status).toBe(200);
      for (const path of [`/runs/${id}/approvals/draft`, `/runs/${id}/pause`, `/runs/${id}/cancel`, '/runs']) {
        const res = await call(s.port, 'POST', path, { token: READER, body: { decision: 'approve', workflow: 'gated' } });
        expect(res.status, path).toBe(403);
        expect(res.json.code).toBe('TROUPE_HTTP_FORBIDDEN');
      }
      expect(s.rt.getRun(id).status().status).toBe('waiting-approval');
    });

    it('lets the operator token approve', async () => {
      const s = await serve(tokens);
      const id = await startGated(s, OPERATOR);
      expect((await call(s.port, 'POST', `/runs/${id}/approvals/draft`, { token: OPERATOR, body: { decision: 'approve' } })).status).toBe(200);
      await untilStatus(s.rt, id, 'completed');
    });

    it('answers 401 to a wrong token of the same length and of another length, and to a malformed Authorization header', async () => {
      const s = await serve(tokens);
      const sameLength = `${OPERATOR.slice(0, -1)}x`;
      expect(sameLength).toHaveLength(OPERATOR.length);
      for (const token of [sameLength, 'short', `${OPERATOR}-and-more`]) {
        expect((await call(s.port, 'GET', '/runs', { token })).json).toMatchObject({ code: 'TROUPE_HTTP_UNAUTHORIZED', message: 'the token is not valid' });
      }
      expect((await call(s.port, 'GET', '/runs', { headers: { authorization: `Basic ${OPERATOR}` } })).status).toBe(401);
    });

    it('POST /login sets an HttpOnly SameSite=Strict session cookie that authenticates later requests with its scope', async () => {
      const s = await serve(tokens);
      const login = await call(s.port, 'POST', '/login', { body: { token: READER } });
      expect(login).toMatchObject({ status: 200, json: { scope: 'read' } });
      const setCookie = login.headers['set-cookie']![0]!;
      expect(setCookie).toMatch(new RegExp(`^troupe_session_${s.port}=[^;]+; HttpOnly; SameSite=Strict; Path=/; Max-Age=\\d+$`));
      expect(setCookie).not.toContain(READER);
      const cookie = setCookie.split(';', 1)[0]!;
      expect((await call(s.port, 'GET', '/runs', { headers: { cookie } })).status).toBe(200);
      expect((await call(s.port, 'POST', '/runs', { headers: { cookie }, body: { workflow: 'gated' } })).status).toBe(403);
      const forged = cookie.replace('=read.', '=operator.');
      expect((await call(s.port, 'POST', '/runs', { headers: { cookie: forged }, body: { workflow: 'gated' } })).status).toBe(401);

      const form = await call(s.port, 'POST', '/login', { raw: `token=${OPERATOR}`, headers: { 'content-type': 'application/x-www-form-urlencoded' } });
      expect(form.status).toBe(303);
      expect(form.headers.location).toBe('/');
      const operator = form.headers['set-cookie']![0]!.split(';', 1)[0]!;
      expect((await call(s.port, 'POST', '/runs', { headers: { cookie: operator }, body: { workflow: 'gated' } })).status).toBe(201);
      expect((await call(s.port, 'POST', '/login', { body: { token: 'wrong' } })).status).toBe(401);
      expect((await call(s.port, 'POST', '/logout')).headers['set-cookie']![0]).toContain('Max-Age=0');
    });

    it('authenticates a WebSocket upgrade by a troupe.token subprotocol before the handler takes it, and refuses one without a token', async () => {
      const s = await serve(tokens);
      const seen: Access[] = [];
      s.server.onUpgrade('/inspect', {
        handle(_req, socket, _head, access) {
          seen.push(access);
          socket.end('HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n');
        },
      });
      const upgrade = (protocols: string): Promise<number> =>
        new Promise((resolve, reject) => {
          const req = httpRequest({
            host: '127.0.0.1',
            port: s.port,
            path: '/inspect',
            headers: { connection: 'Upgrade', upgrade: 'websocket', 'sec-websocket-protocol': protocols },
          });
          req.on('upgrade', (res, socket) => (socket.destroy(), resolve(res.statusCode!)));
          req.on('response', (res) => (res.resume(), resolve(res.statusCode!)));
          req.on('error', reject);
          req.end();
        });
      expect(await upgrade(`troupe.v1, troupe.token.${READER}`)).toBe(101);
      expect(seen).toEqual([{ ok: true, scope: 'read', via: 'subprotocol', protocols: ['troupe.v1'] }]);
      expect(await upgrade('troupe.v1')).toBe(401);
      expect(await upgrade(`troupe.token.${READER}x`)).toBe(401);
      expect(seen).toHaveLength(1);
    });
  });

  describe('Origin and Host', () => {
    it('refuses a browser request from an origin not allowed with 403, and passes its own origin, allowlisted ones and programs', async () => {
      const s = await serve({ origins: ['https://ops.example.com'] });
      const from = (origin: string): Promise<Answer> => call(s.port, 'GET', '/runs', { headers: { origin } });
      expect(await from('https://evil.example.com')).toMatchObject({ status: 403, json: { code: 'TROUPE_HTTP_FORBIDDEN' } });
      expect((await from('null')).status).toBe(403);
      expect((await from(`http://127.0.0.1:${s.port}`)).status).toBe(200);
      expect((await from('https://ops.example.com')).status).toBe(200);
      expect((await call(s.port, 'GET', '/runs')).status).toBe(200);
      const login = await call(s.port, 'POST', '/login', { body: { token: 'x' }, headers: { origin: 'https://evil.example.com' } });
      expect(login.status).toBe(403);
    });

    it('without a token, refuses a Host that is not a loopback name (DNS rebinding) with 403', async () => {
      const s = await serve();
      const res = await call(s.port, 'GET', '/runs', { headers: { host: `rebind.example.com:${s.port}`, origin: `http://rebind.example.com:${s.port}` } });
      expect(res).toMatchObject({ status: 403, json: { code: 'TROUPE_HTTP_FORBIDDEN' } });
      expect((await call(s.port, 'GET', '/runs', { headers: { host: `localhost:${s.port}` } })).status).toBe(200);
    });
  });

  describe('binding', () => {
    it('refuses to bind 0.0.0.0 without a token, naming the host', async () => {
      const rt = await createRuntime();
      cleanups.push(() => rt.stop());
      await expect(createServer({ runtime: rt, host: '0.0.0.0', port: 0 })).rejects.toMatchObject({
        code: 'TROUPE_SERVER_OPTIONS_INVALID',
        message: expect.stringContaining('refusing to listen on 0.0.0.0 without a token'),
      });
      await expect(createServer({ runtime: rt, host: '::', port: 0, readToken: READER, token: READER })).rejects.toMatchObject({ code: 'TROUPE_SERVER_OPTIONS_INVALID' });
    });

    it('reports a port in use as TROUPE_SERVER_LISTEN_FAILED', async () => {
      const s = await serve();
      const other = await createServer({ runtime: s.rt, port: s.port });
      await expect(other.listen()).rejects.toMatchObject({ code: 'TROUPE_SERVER_LISTEN_FAILED', message: expect.stringContaining('the port is in use') });
    });
  });
});
