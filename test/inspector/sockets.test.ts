import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it, vi } from 'vitest';
import WebSocket from 'ws';
import { createRuntime, defineAgent, type TroupeRuntime } from '../../src/index.js';
import { InspectorSockets, type ClientIdentity } from '../../src/inspector/sockets.js';

interface Harness {
  rt: TroupeRuntime;
  sockets: InspectorSockets;
  url: string;
  server: Server;
}

const open: Harness[] = [];
const clients: WebSocket[] = [];
afterEach(async () => {
  for (const c of clients.splice(0)) c.terminate();
  for (const h of open.splice(0)) {
    await h.sockets.close();
    await new Promise((r) => h.server.close(r));
    await h.rt.stop({ timeoutMs: 50 });
  }
});

const echo = defineAgent({ id: 'echo', execute: (i: unknown) => ({ got: i }) });
const gated = { name: 'gated', steps: { draft: { agent: 'echo', input: '{ "n": input.n }', approval: { required: true, prompt: 'ship it?' }, next: 'done' }, done: { agent: 'echo' } } };
const quick = { name: 'quick', steps: { a: { agent: 'echo', input: 'input' } } };

async function harness(opts: Partial<ConstructorParameters<typeof InspectorSockets>[0]> = {}, identity: (req: { url?: string }) => ClientIdentity = (req) => ({ scope: req.url?.includes('read') ? 'read' : 'operator', label: req.url?.includes('read') ? 'viewer' : 'ops' })): Promise<Harness> {
  const rt = await createRuntime({ agents: [echo], workflows: [gated, quick] });
  const sockets = new InspectorSockets({ runtime: rt, version: 'test', flushMs: 5, ...opts });
  const server = createServer((_req, res) => res.end());
  server.on('upgrade', (req, socket, head) => sockets.handleUpgrade(req, socket, head, identity(req)));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const h = { rt, sockets, server, url: `ws://127.0.0.1:${(server.address() as AddressInfo).port}/inspect` };
  open.push(h);
  return h;
}

/** A client that records every message it receives. */
async function connect(url: string): Promise<{ ws: WebSocket; messages: any[]; next: (pred: (m: any) => boolean, timeoutMs?: number) => Promise<any> }> {
  const ws = new WebSocket(url);
  clients.push(ws);
  const messages: any[] = [];
  const waiters: { pred: (m: any) => boolean; resolve: (m: any) => void }[] = [];
  ws.on('message', (d) => {
    const m = JSON.parse(d.toString());
    const all = m.type === 'events' ? [m, ...m.events.map((e: any) => ({ type: 'event', ...e }))] : [m];
    for (const x of all) {
      messages.push(x);
      for (const w of [...waiters]) {
        if (!w.pred(x)) continue;
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve(x);
      }
    }
  });
  await new Promise((r, j) => (ws.once('open', r), ws.once('error', j)));
  const next = (pred: (m: any) => boolean, timeoutMs = 5_000): Promise<any> => {
    const seen = messages.find(pred);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`no matching message in ${timeoutMs} ms; got ${JSON.stringify(messages.map((m) => m.type === 'event' ? m.event.type : m.type))}`)), timeoutMs);
      waiters.push({ pred, resolve: (m) => (clearTimeout(t), resolve(m)) });
    });
  };
  return { ws, messages, next };
}

const isEvent = (type: string, f: (e: any) => boolean = () => true) => (m: any) => m.type === 'event' && m.event.type === type && f(m.event);

describe('the inspector WebSocket', () => {
  it('says hello with the protocol version and the client scope', async () => {
    const h = await harness();
    const c = await connect(h.url);
    expect(await c.next((m) => m.type === 'hello')).toMatchObject({ protocol: 3, scope: 'operator', server: { name: 'troupe', version: 'test' } });
  });

  it('streams runs live after a snapshot: steps, the approval wait; a followed run also gets its context entries with their hash', async () => {
    const h = await harness();
    const c = await connect(h.url);
    c.ws.send(JSON.stringify({ type: 'subscribe', target: { kind: 'runs' } }));
    expect(await c.next((m) => m.type === 'snapshot')).toMatchObject({ snapshot: { kind: 'runs', runs: [] } });
    const run = await h.rt.start('gated', { n: 7 });
    // Coalesced per batch: the run's latest state only, and the step's start dropped when its end is in the same batch.
    await c.next(isEvent('step.completed', (e) => e.runId === run.id && e.step === 'draft' && e.seq === 1));
    await c.next(isEvent('approval.waiting', (e) => e.runId === run.id && e.prompt === 'ship it?'));
    const state = await c.next(isEvent('run.state', (e) => e.run.status === 'waiting-approval'));
    expect(state.event.run.pendingApprovals).toEqual(['draft']);
    // The all-runs feed carries no context entries; following the run gives its log and then its new entries.
    expect(c.messages.some((m) => m.type === 'event' && m.event.type === 'context.appended')).toBe(false);
    c.ws.send(JSON.stringify({ type: 'subscribe', target: { kind: 'run', runId: run.id } }));
    const snap = await c.next((m) => m.type === 'snapshot' && m.target.kind === 'run');
    expect(snap.snapshot.entries[0]).toMatchObject({ seq: 1, kind: 'step', step: 'draft', hash: expect.stringMatching(/^[0-9a-f]{64}$/) });
    run.approve('draft');
    const appended = await c.next(isEvent('context.appended', (e) => e.runId === run.id && e.entry.seq === 2));
    expect(appended.event.entry).toMatchObject({ kind: 'approval', prevHash: snap.snapshot.entries[0].hash });
  });

  it('an operator approves over the socket: acknowledged once, idempotent by command id, recorded with who', async () => {
    const h = await harness();
    const c = await connect(h.url);
    const run = await h.rt.start('gated', { n: 1 });
    await new Promise((r) => setTimeout(r, 50));
    const cmd = { type: 'command', id: 'cmd-1', command: 'approve', runId: run.id, step: 'draft', comment: 'looks fine' };
    c.ws.send(JSON.stringify(cmd));
    expect(await c.next((m) => m.type === 'ack' && m.id === 'cmd-1')).toEqual({ type: 'ack', id: 'cmd-1', ok: true });
    c.ws.send(JSON.stringify(cmd));
    expect(await c.next((m) => m.type === 'ack' && m.duplicate)).toMatchObject({ id: 'cmd-1', ok: true, duplicate: true });
    await run.result();
    const approval = (await run.context()).find((e) => e.kind === 'approval');
    expect(approval?.output).toMatchObject({ approved: true, by: 'ops', comment: 'looks fine' });
  });

  it('pause, resume and cancel are recorded in the log as who did what', async () => {
    const h = await harness();
    const c = await connect(h.url);
    const run = await h.rt.start('gated', { n: 2 });
    await new Promise((r) => setTimeout(r, 50));
    for (const [i, command] of (['pause', 'resume', 'cancel'] as const).entries()) {
      c.ws.send(JSON.stringify({ type: 'command', id: `c${i}`, command, runId: run.id, by: 'carol' }));
      expect(await c.next((m) => m.type === 'ack' && m.id === `c${i}`)).toMatchObject({ ok: true });
    }
    await expect(run.result()).rejects.toMatchObject({ code: 'TROUPE_RUN_CANCELLED' });
    await new Promise((r) => setTimeout(r, 20));
    const ops = (await h.rt.store.read(run.id)).filter((e) => e.kind === 'operator').map((e) => e.output);
    expect(ops).toEqual([
      { command: 'pause', by: 'carol' },
      { command: 'resume', by: 'carol' },
      { command: 'cancel', by: 'carol', comment: 'cancelled by carol' },
    ]);
    c.ws.send(JSON.stringify({ type: 'command', id: 'late', command: 'pause', runId: run.id }));
    expect(await c.next((m) => m.type === 'ack' && m.id === 'late')).toMatchObject({ ok: false, error: { code: 'TROUPE_RUN_STATE_INVALID' } });
  });

  it('a read-only client cannot act', async () => {
    const h = await harness();
    const c = await connect(h.url.replace('/inspect', '/inspect?read'));
    expect(await c.next((m) => m.type === 'hello')).toMatchObject({ scope: 'read' });
    const run = await h.rt.start('gated', { n: 3 });
    c.ws.send(JSON.stringify({ type: 'command', id: 'x', command: 'approve', runId: run.id, step: 'draft' }));
    expect(await c.next((m) => m.type === 'ack')).toMatchObject({ ok: false, error: { code: 'TROUPE_HTTP_FORBIDDEN' } });
    expect(run.status().status).not.toBe('completed');
  });

  it('answers malformed and unknown messages with an error and keeps the connection', async () => {
    const h = await harness();
    const c = await connect(h.url);
    for (const bad of ['not json', '[]', '{"type":"launch"}', '{"type":"subscribe","target":{"kind":"run"}}', '{"type":"command","id":"a","command":"approve","runId":"r"}']) {
      c.ws.send(bad);
      const err = await c.next((m) => m.type === 'error' && !m.seen);
      err.seen = true;
      expect(err.code).toBe('TROUPE_INSPECTOR_MESSAGE_INVALID');
    }
    c.ws.send(JSON.stringify({ type: 'ping' }));
    await c.next((m) => m.type === 'pong');
  });

  it('closes a connection that sends more than 64 KiB in one message; the server goes on', async () => {
    const h = await harness();
    const c = await connect(h.url);
    const closed = new Promise<number>((r) => c.ws.on('close', (code) => r(code)));
    c.ws.send('x'.repeat(70 * 1024));
    expect(await closed).toBe(1009);
    const d = await connect(h.url);
    await d.next((m) => m.type === 'hello');
  });

  it('refuses clients beyond the bound before accepting the socket', async () => {
    const h = await harness({ maxClients: 2 });
    await connect(h.url);
    await connect(h.url);
    const third = new WebSocket(h.url);
    third.on('error', () => undefined);
    clients.push(third);
    const status = await new Promise<number>((r) => third.on('unexpected-response', (_req, res) => r(res.statusCode ?? 0)));
    expect(status).toBe(503);
  });

  it('disconnects a client that stops reading once its backlog passes the high-water mark', async () => {
    const h = await harness({ highWaterMark: 64 * 1024 });
    const c = await connect(h.url);
    const closed = new Promise<void>((r) => c.ws.on('close', () => r()));
    (c.ws as unknown as { _socket: { pause(): void } })._socket.pause(); // stop reading (it still sends)
    const big = 'y'.repeat(40_000);
    for (let i = 0; i < 400 && h.sockets.clients > 0; i++) {
      // Follow each run, so its context entries (40 KB outputs) come to this client.
      const run = await h.rt.start('gated', { n: big });
      c.ws.send(JSON.stringify({ type: 'subscribe', target: { kind: 'run', runId: run.id } }));
      await new Promise((r) => setTimeout(r, 2)); // let the snapshot go and the batches flush
      run.approve('draft');
      await run.result();
    }
    expect(h.sockets.clients).toBe(0);
    (c.ws as unknown as { _socket: { resume(): void } })._socket.resume();
    await closed;
  });

  it('drops a peer that stops answering pings', async () => {
    const h = await harness({ heartbeatMs: 30 });
    const c = await connect(h.url);
    (c.ws as unknown as { _socket: { pause(): void } })._socket.pause(); // no pongs either
    for (let i = 0; i < 100 && h.sockets.clients > 0; i++) await new Promise((r) => setTimeout(r, 10));
    expect(h.sockets.clients).toBe(0);
  });

  it('tells every subscriber when an agent circuit breaker opens', async () => {
    const h = await harness();
    const flaky = defineAgent({ id: 'flaky', circuitBreaker: { failureThreshold: 2, resetTimeout: '1m' }, execute: () => Promise.reject(new Error('down')) });
    h.rt.registerAgent(flaky);
    const c = await connect(h.url);
    c.ws.send(JSON.stringify({ type: 'subscribe', target: { kind: 'runs' } }));
    await c.next((m) => m.type === 'snapshot');
    for (let i = 0; i < 2; i++) await (await h.rt.start({ name: `f${i}`, steps: { s: { agent: 'flaky' } } }, {})).result().catch(() => undefined);
    expect((await c.next(isEvent('circuit.changed'))).event).toEqual({ type: 'circuit.changed', agent: 'flaky', state: 'open' });
  });

  it('shows the actor tree through XState inspection: supervisors, instances, and runs as they come and go', async () => {
    const h = await harness();
    const c = await connect(h.url);
    c.ws.send(JSON.stringify({ type: 'subscribe', target: { kind: 'tree' } }));
    const snap = await c.next((m) => m.type === 'snapshot');
    const byName = (re: RegExp) => snap.snapshot.actors.find((a: any) => re.test(a.name));
    expect(byName(/^runtime$/)).toMatchObject({ kind: 'supervisor' });
    expect(byName(/^agents#\d+$/)).toMatchObject({ kind: 'supervisor' });
    expect(byName(/^workflows#\d+$/)).toMatchObject({ kind: 'supervisor' });
    expect(byName(/^agent:echo#\d+$/)).toMatchObject({ kind: 'supervisor' });
    expect(byName(/^echo#0#\d+$/)).toMatchObject({ kind: 'agent-instance', status: 'active' });
    const run = await h.rt.start('gated', { n: 1 });
    const spawned = await c.next(isEvent('actor.spawned', (e) => e.actor.name === run.id));
    expect(spawned.event.actor).toMatchObject({ kind: 'run', status: 'active' });
    run.approve('draft');
    await run.result();
    await c.next(isEvent('actor.stopped', (e) => e.id === spawned.event.actor.id && e.status === 'done'));
  });

  it("a tree subscription with runs: false leaves the runs' actors out (snapshot and events), while another client's tree has them", async () => {
    const h = await harness();
    const lean = await connect(h.url);
    const full = await connect(h.url);
    const waiting = await h.rt.start('gated', { n: 1 });
    lean.ws.send(JSON.stringify({ type: 'subscribe', target: { kind: 'tree', runs: false } }));
    full.ws.send(JSON.stringify({ type: 'subscribe', target: { kind: 'tree' } }));
    const leanSnap = await lean.next((m) => m.type === 'snapshot');
    const fullSnap = await full.next((m) => m.type === 'snapshot');
    expect(leanSnap.target).toEqual({ kind: 'tree', runs: false });
    expect(leanSnap.snapshot.actors.some((a: any) => a.kind === 'run')).toBe(false);
    expect(leanSnap.snapshot.actors.some((a: any) => a.kind === 'supervisor')).toBe(true);
    expect(fullSnap.snapshot.actors.some((a: any) => a.kind === 'run' && a.name === waiting.id)).toBe(true);
    const run = await h.rt.start('gated', { n: 2 });
    await full.next(isEvent('actor.spawned', (e) => e.actor.name === run.id));
    run.approve('draft');
    await run.result();
    const stopped = await full.next(isEvent('actor.stopped', (e) => e.kind === 'run'));
    expect(stopped.event.status).toBe('done');
    await new Promise((r) => setTimeout(r, 50)); // a flush later
    expect(lean.messages.some((m) => m.type === 'event' && m.event.type.startsWith('actor.') && (m.event.actor?.kind ?? m.event.kind) === 'run')).toBe(false);
    lean.ws.send(JSON.stringify({ type: 'subscribe', target: { kind: 'tree', runs: 'no' } }));
    expect(await lean.next((m) => m.type === 'error')).toMatchObject({ code: 'TROUPE_INSPECTOR_MESSAGE_INVALID', message: expect.stringContaining('target.runs') });
  });

  it('an actor that comes and goes within a batch is told once, by its spawn carrying its final status', async () => {
    const h = await harness({ flushMs: 60_000, digestFlushMs: 60_000 }); // one batch: sent when the subscription changes
    const c = await connect(h.url);
    c.ws.send(JSON.stringify({ type: 'subscribe', target: { kind: 'tree' } }));
    await c.next((m) => m.type === 'snapshot');
    const run = await h.rt.start('quick', {});
    await run.result();
    c.ws.send(JSON.stringify({ type: 'subscribe', target: { kind: 'runs' } })); // flushes the batch
    const spawned = await c.next(isEvent('actor.spawned', (e) => e.actor.name === run.id));
    expect(spawned.event.actor).toMatchObject({ kind: 'run', status: 'done' });
    await c.next((m) => m.type === 'snapshot' && m.target.kind === 'runs');
    expect(c.messages.some((m) => m.type === 'event' && m.event.type === 'actor.stopped' && m.event.id === spawned.event.actor.id)).toBe(false);
  });

  describe('per batch', () => {
    /** A client subscribed to all runs (as a digest or not) once it has the snapshot. */
    const allRuns = async (flushMs: number, digest: boolean, digestFlushMs = flushMs) => {
      const h = await harness({ flushMs, digestFlushMs });
      const c = await connect(h.url);
      c.ws.send(JSON.stringify({ type: 'subscribe', target: { kind: 'runs' }, ...(digest ? { digest } : {}) }));
      await c.next((m) => m.type === 'snapshot');
      return { h, c };
    };
    /** A digest's run tuple as [id, status]. */
    const idStatus = (r: any[]) => [r[0], r[2]];
    /** A digest's runs as tuples: its `runs`, then its `finished` columns made tuples (parentRunId ninth when set). */
    const tuples = (m: any): any[] => {
      const f = m.finished;
      if (f === null) return m.runs;
      const ended = f.ids.map((id: string, i: number) => [id, f.workflow[i], f.statuses[f.status[i]], f.createdAgo[i], f.updatedAgo[i], f.headSeq[i], [], [], ...(f.parent?.[i] ? [f.parent[i]] : [])]);
      return [...m.runs, ...ended];
    };

    it('coalesces: one run.state per run (the latest), no start of a step that ended in the same batch', async () => {
      const { h, c } = await allRuns(200, false);
      const runs = await Promise.all([1, 2, 3].map(() => h.rt.start('quick', {})));
      await Promise.all(runs.map((r) => r.result()));
      const batch = await c.next((m) => m.type === 'events');
      const mine = batch.events.map((e: any) => e.event).filter((e: any) => runs.some((r) => r.id === (e.runId ?? e.run?.id)));
      for (const run of runs) {
        const states = mine.filter((e: any) => e.type === 'run.state' && e.run.id === run.id);
        expect(states.map((e: any) => e.run.status)).toEqual(['completed']);
        expect(mine.filter((e: any) => e.runId === run.id).map((e: any) => e.type)).toEqual(['step.completed']);
      }
    });

    it('a digest subscriber gets the all-runs feed as an overview of tuples; a run it follows comes in full as events, outside the overview', async () => {
      const { h, c } = await allRuns(20, true, 200);
      const followed = await h.rt.start('gated', { n: 1 });
      c.ws.send(JSON.stringify({ type: 'subscribe', target: { kind: 'run', runId: followed.id } }));
      await c.next((m) => m.type === 'snapshot' && m.target.kind === 'run');
      const runs = await Promise.all([1, 2, 3].map(() => h.rt.start('quick', {})));
      await Promise.all(runs.map((r) => r.result()));
      followed.approve('draft');
      await followed.result();
      const digest = await c.next((m) => m.type === 'digest' && tuples(m).some((r: any) => r[0] === runs[0]!.id));
      expect(tuples(digest).map(idStatus).sort()).toEqual(runs.map((r) => [r.id, 'completed']).sort());
      const [id, workflow, status, createdAgo, updatedAgo, headSeq, currentSteps, pendingApprovals, ...rest] = tuples(digest).find((r: any) => r[0] === runs[0]!.id);
      expect({ id, workflow: digest.workflows[workflow], status, headSeq, currentSteps, pendingApprovals, rest }).toEqual({ id: runs[0]!.id, workflow: 'quick', status: 'completed', headSeq: 1, currentSteps: [], pendingApprovals: [], rest: [] });
      const record = runs[0]!.status();
      expect([digest.at - createdAgo, digest.at - updatedAgo]).toEqual([record.createdAt, record.updatedAt]);
      // Every step of every run (the followed one's too), as a histogram of the runtime's buckets, from the metrics.
      const { le, counts, count, failed } = digest.completed;
      expect(le).toEqual([0.5, 1, 2.5, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 30000, 60000, 120000, 300000]);
      expect(counts).toHaveLength(le.length + 1);
      expect(counts.reduce((a: number, b: number) => a + b, 0)).toBe(count);
      expect(failed).toBe(0);
      const total = h.rt.metrics.stepTotals().count;
      const counted = () => c.messages.filter((m) => m.type === 'digest').reduce((n, m) => n + (m.completed?.count ?? 0), 0);
      await vi.waitFor(() => expect(counted()).toBe(total), { timeout: 3_000 });
      expect(total).toBeGreaterThanOrEqual(4); // 3 one-step runs and the followed run's steps
      expect(digest).not.toHaveProperty('events');
      // The followed run: its events in full (its log too), in events frames, not in the overview.
      await c.next(isEvent('run.state', (e) => e.run.id === followed.id && e.run.status === 'completed'));
      const events = c.messages.filter((m) => m.type === 'event').map((m) => m.event);
      const types = events.filter((e: any) => (e.runId ?? e.run?.id) === followed.id).map((e: any) => e.type);
      expect(types).toContain('context.appended');
      expect(types).toContain('step.completed');
      const followedFrom = c.messages.findIndex((m) => m.type === 'snapshot' && m.target.kind === 'run');
      expect(c.messages.slice(followedFrom).some((m) => m.type === 'digest' && (tuples(m).some((r: any) => r[0] === followed.id) || followed.id in m.steps))).toBe(false);
      // The other runs' states and steps are the overview's alone.
      expect(events.some((e: any) => runs.some((r) => r.id === (e.runId ?? e.run?.id)))).toBe(false);
    });

    it('a digest shows a run going on as the flush finds it: its status, its steps, its approvals', async () => {
      const { h, c } = await allRuns(20, true, 50);
      const run = await h.rt.start('gated', { n: 1 });
      const digest = await c.next((m) => m.type === 'digest' && tuples(m).some((r: any) => r[0] === run.id && r[2] === 'waiting-approval'));
      const [, workflow, , createdAgo, , , currentSteps, pendingApprovals] = tuples(digest).find((r: any) => r[0] === run.id);
      expect({ workflow: digest.workflows[workflow], currentSteps, pendingApprovals }).toEqual({ workflow: 'gated', currentSteps: ['draft'], pendingApprovals: ['draft'] });
      expect(digest.at - createdAgo).toBe(run.status().createdAt);
      run.approve('draft');
      await run.result();
      await c.next((m) => m.type === 'digest' && tuples(m).some((r: any) => r[0] === run.id && r[2] === 'completed'));
    });

    it('a new run shows up once it has run a digest interval, or when it ends: a short run is told once, finished', async () => {
      const { h, c } = await allRuns(20, true, 100);
      h.rt.registerAgent(defineAgent({ id: 'slow', execute: () => new Promise((resolve) => setTimeout(() => resolve({ ok: true }), 400)) }));
      const slow = await h.rt.start({ name: 'slowly', steps: { s: { agent: 'slow' } } }, {});
      const quick = await h.rt.start('quick', {});
      await quick.result();
      const running = await c.next((m) => m.type === 'digest' && tuples(m).some((r: any) => r[0] === slow.id));
      const tuple = tuples(running).find((r: any) => r[0] === slow.id);
      expect(tuple[2]).toBe('running');
      expect(tuple[3]).toBeGreaterThanOrEqual(100); // created at least a digest interval before
      await slow.result();
      await c.next((m) => m.type === 'digest' && tuples(m).some((r: any) => r[0] === slow.id && r[2] === 'completed'));
      const told = c.messages.filter((m) => m.type === 'digest').flatMap((m) => tuples(m).filter((r: any) => r[0] === quick.id).map((r: any) => r[2]));
      expect(told).toEqual(['completed']);
    });

    it('digests come at their own interval, a followed run\'s events at the events interval', async () => {
      const { h, c } = await allRuns(10, true, 150);
      const followed = await h.rt.start('gated', { n: 1 });
      c.ws.send(JSON.stringify({ type: 'subscribe', target: { kind: 'run', runId: followed.id } }));
      await c.next((m) => m.type === 'snapshot' && m.target.kind === 'run');
      const arrivals: { type: string; t: number }[] = [];
      c.ws.on('message', (d) => arrivals.push({ type: JSON.parse(d.toString()).type, t: performance.now() }));
      // ~600 ms of runs, one every 10 ms.
      const started: Promise<unknown>[] = [];
      for (let i = 0; i < 60; i++) {
        started.push(h.rt.start('quick', { i }).then((r) => r.result()));
        await new Promise((r) => setTimeout(r, 10));
      }
      await Promise.all(started);
      await new Promise((r) => setTimeout(r, 200)); // the last digest
      const digests = arrivals.filter((a) => a.type === 'digest').map((a) => a.t);
      expect(digests.length).toBeGreaterThanOrEqual(3);
      for (let i = 1; i < digests.length; i++) expect(digests[i]! - digests[i - 1]!).toBeGreaterThan(120);
      // Every run's end is in some digest.
      const ends = new Set(c.messages.filter((m) => m.type === 'digest').flatMap((m) => tuples(m).filter((r: any) => r[2] === 'completed').map((r: any) => r[0])));
      expect(ends.size).toBe(60);
      // The followed run's approval, decided now, arrives within a few events intervals, not a digest's.
      const t0 = performance.now();
      followed.approve('draft');
      await c.next(isEvent('approval.decided', (e) => e.runId === followed.id));
      expect(performance.now() - t0).toBeLessThan(150);
    });

    it('a client never gets a digest before the snapshot of its subscription, and every client gets the end of every run', async () => {
      const h = await harness({ flushMs: 5, digestFlushMs: 100 });
      const first = await connect(h.url);
      first.ws.send(JSON.stringify({ type: 'subscribe', target: { kind: 'runs' }, digest: true }));
      await first.next((m) => m.type === 'snapshot');
      const runs: Promise<string>[] = [];
      const start = (i: number) => runs.push(h.rt.start('quick', { i }).then(async (r) => (await r.result(), r.id)));
      for (let i = 0; i < 20; i++) start(i);
      // A second client subscribes while the first's overview is being gathered, runs in flight.
      const second = await connect(h.url);
      await second.next((m) => m.type === 'hello');
      second.ws.send(JSON.stringify({ type: 'subscribe', target: { kind: 'runs' }, digest: true }));
      second.ws.send(JSON.stringify({ type: 'subscribe', target: { kind: 'tree' } }));
      for (let i = 20; i < 40; i++) start(i);
      const ids = await Promise.all(runs);
      await new Promise((r) => setTimeout(r, 250));
      const order = second.messages.map((m) => m.type);
      expect(order.indexOf('snapshot')).toBeGreaterThan(-1);
      expect(order.slice(0, order.indexOf('snapshot'))).not.toContain('digest');
      // The end of each run: in a digest after the snapshot, or in the snapshot itself.
      for (const c of [first, second]) {
        const seen = new Set<string>();
        for (const m of c.messages) {
          if (m.type === 'digest') for (const r of tuples(m)) if (r[2] === 'completed') seen.add(r[0]);
          if (m.type === 'snapshot' && m.snapshot.kind === 'runs') for (const r of m.snapshot.runs) if (r.status === 'completed') seen.add(r.id);
        }
        expect(ids.filter((id) => !seen.has(id))).toEqual([]);
      }
    });

    it('a digest tells the runs that ended as columns, a sub-run with its parent', async () => {
      const { h, c } = await allRuns(5, true);
      const parent = await h.rt.start({ name: 'outer', steps: { child: { workflow: 'quick' } } }, {});
      await parent.result();
      await c.next((m) => m.type === 'digest' && m.finished !== null && m.finished.ids.includes(parent.id));
      // Each run that ended, from the columns of whichever digest told it.
      const told = new Map<string, unknown>();
      for (const m of c.messages) {
        if (m.type !== 'digest' || m.finished === null) continue;
        const f = m.finished;
        f.ids.forEach((id: string, i: number) => told.set(id, { workflow: m.workflows[f.workflow[i]], status: f.statuses[f.status[i]], parent: f.parent?.[i] ?? null }));
      }
      const childId = [...told.keys()].find((id) => id !== parent.id);
      expect(told.get(parent.id)).toEqual({ workflow: 'outer', status: 'completed', parent: null });
      expect(told.get(childId!)).toEqual({ workflow: 'quick', status: 'completed', parent: parent.id });
      expect(told.size).toBe(2);
      for (const m of c.messages) if (m.type === 'digest') expect(m.runs.filter((r: any) => told.has(r[0]) && r[2] === 'completed')).toEqual([]); // told once, in the columns
    });

    it('a digest names the steps running now of a run whose status did not change', async () => {
      const { h, c } = await allRuns(5, true);
      const run = await h.rt.start('gated', { n: 2 });
      await c.next((m) => m.type === 'digest' && tuples(m).some((r: any) => r[0] === run.id && r[2] === 'waiting-approval'));
      run.approve('draft');
      await run.result();
      await c.next((m) => m.type === 'digest' && tuples(m).some((r: any) => r[0] === run.id && r[2] === 'completed'));
      const approval = await c.next(isEvent('approval.decided', (e) => e.runId === run.id));
      expect(approval.event.approved).toBe(true);
    });

    it('refuses a digest flag that is not a boolean', async () => {
      const h = await harness();
      const c = await connect(h.url);
      c.ws.send(JSON.stringify({ type: 'subscribe', target: { kind: 'runs' }, digest: 'yes' }));
      expect(await c.next((m) => m.type === 'error')).toMatchObject({ code: 'TROUPE_INSPECTOR_MESSAGE_INVALID', message: expect.stringContaining('digest') });
    });
  });

  it("following the tree leaves the system's other inspection observers every event", async () => {
    const h = await harness();
    const seen: string[] = [];
    const sub = h.rt.tree.root.system.inspect((ev) => void seen.push(ev.type));
    const runOnce = async (): Promise<string[]> => {
      seen.length = 0;
      await (await h.rt.start('quick', {})).result();
      return [...seen].sort();
    };
    const unwatched = await runOnce();
    const c = await connect(h.url);
    c.ws.send(JSON.stringify({ type: 'subscribe', target: { kind: 'tree' } }));
    await c.next((m) => m.type === 'snapshot');
    expect(await runOnce()).toEqual(unwatched);
    await c.next(isEvent('actor.spawned', (e) => e.actor.kind === 'run'));
    c.ws.send(JSON.stringify({ type: 'unsubscribe', target: { kind: 'tree' } }));
    await c.next((m) => m.type === 'unsubscribed');
    expect(await runOnce()).toEqual(unwatched);
    expect(unwatched).toContain('@xstate.snapshot');
    sub.unsubscribe();
  });
});
