import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer as createNetServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { shortRunId } from '../../src/cli/format.js';
import { main } from '../../src/cli/main.js';
import { createRuntime, type RunStatus, type TroupeRuntime } from '../../src/index.js';
import { createServer, type TroupeServer } from '../../src/inspector/index.js';
import { fixture, ROOT, testIO, type TestIO } from './helpers.js';

const OPERATOR = 'inspect-operator-token-0123456789';
const READER = 'inspect-read-token-0123456789abcd';
/** One event line: time, run column, event type, details. */
const TIME = String.raw`\d\d:\d\d:\d\d\.\d{3}`;

const cleanups: (() => Promise<unknown> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

interface Served {
  readonly rt: TroupeRuntime;
  readonly server: TroupeServer;
  readonly port: number;
  readonly url: string;
}

/** A runtime on a fresh LMDB directory with the gated workflow loaded, served on 127.0.0.1:0 with both tokens. */
async function serve(maxClients = 64): Promise<Served> {
  const dir = mkdtempSync(join(tmpdir(), 'troupe-inspect-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  const workflows = join(dir, 'workflows');
  mkdirSync(workflows);
  writeFileSync(join(workflows, 'gated.yaml'), readFileSync(join(ROOT, fixture('gated.yaml')), 'utf8').replace('./agents.ts', join(ROOT, fixture('agents.ts'))));
  const rt = await createRuntime({ dataDir: join(dir, 'data') });
  cleanups.push(() => rt.stop({ timeoutMs: 0 }));
  const server = await createServer({ runtime: rt, workflowsDir: workflows, token: OPERATOR, readToken: READER, host: '127.0.0.1', port: 0, inspector: { flushMs: 10, maxClients } });
  cleanups.push(() => server.close({ graceMs: 50 }));
  const { port } = await server.listen();
  return { rt, server, port, url: `ws://127.0.0.1:${port}/inspect` };
}

async function post(s: Served, path: string, body: unknown): Promise<any> {
  const res = await fetch(`http://127.0.0.1:${s.port}${path}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${OPERATOR}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  expect(res.status).toBeLessThan(300);
  return res.json();
}

/** Start a gated run over HTTP and wait until it waits for approval at `draft`. */
async function startGated(s: Served): Promise<string> {
  const { id } = (await post(s, '/runs', { workflow: 'gated' })) as { id: string };
  await untilStatus(s.rt, id, 'waiting-approval');
  return id;
}

/** Resolves once the run has `status`: checked now and after each of its events (subscribed in the same tick, so none is missed). */
async function untilStatus(rt: TroupeRuntime, id: string, status: RunStatus): Promise<void> {
  const run = rt.getRun(id);
  while (run.status().status !== status) {
    await new Promise<void>((resolve) => {
      const stop = run.on(() => {
        stop();
        resolve();
      });
    });
  }
}

interface Tail {
  readonly io: TestIO;
  readonly exit: Promise<number>;
  /** Resolves with the output so far once it matches (rejects if the command ends first). */
  until(pattern: RegExp): Promise<string>;
  interrupt(): void;
}

/** Run `troupe inspect ...args` in-process with captured output and a scriptable Ctrl-C. */
function tail(args: readonly string[], env: Record<string, string> = {}, isTTY = false): Tail {
  const waiters: { pattern: RegExp; resolve: (out: string) => void }[] = [];
  let onInterrupt: (() => void) | undefined;
  const check = (): void => {
    for (const w of [...waiters]) {
      if (w.pattern.test(io.out())) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve(io.out());
      }
    }
  };
  const io = testIO({
    env,
    isTTY,
    onStdout: () => queueMicrotask(check),
    onInterrupt: (handler) => {
      onInterrupt = handler;
      return () => (onInterrupt = undefined);
    },
  });
  const exit = main(['inspect', ...args], io);
  const interrupt = (): void => onInterrupt?.();
  cleanups.push(async () => {
    interrupt();
    await exit;
  });
  return {
    io,
    exit,
    interrupt,
    until: (pattern) =>
      Promise.race([
        new Promise<string>((resolve) => {
          waiters.push({ pattern, resolve });
          check();
        }),
        exit.then((code) => {
          throw new Error(`troupe inspect exited with ${code} before printing ${pattern}:\n${io.out()}\n${io.err()}`);
        }),
      ]),
  };
}

describe('troupe inspect', () => {
  describe('following every run', () => {
    it('prints a summary of the runs, then one line per event: steps, the approval waiting, and the completion after an approval over HTTP', async () => {
      const s = await serve();
      const earlier = await startGated(s);
      const t = tail([s.url], { TROUPE_READ_TOKEN: READER });
      const summary = await t.until(/^1 run: 1 waiting-approval\n/m);
      expect(summary).toMatch(/^connected to ws:\/\/127\.0\.0\.1:\d+\/inspect · troupe \S+ \(pid \d+\) · read scope\n/);
      expect(summary).toContain(`  ${earlier.slice(0, 8)}  gated  waiting-approval at draft · approval pending: draft\n`);

      const { id } = (await post(s, '/runs', { workflow: 'gated' })) as { id: string };
      const run = id.slice(0, 8);
      await t.until(new RegExp(`approval\\.waiting +draft: "Send the greeting\\?"`));
      await untilStatus(s.rt, id, 'waiting-approval');
      await post(s, `/runs/${id}/approvals/draft`, { decision: 'approve', by: 'ops', comment: 'ship it' });
      const out = await t.until(/run\.state +gated → completed\n/);

      const line = (type: string, detail: string): RegExp => new RegExp(`^${TIME}  ${run}  ${type.replace('.', '\\.')} +${detail}$`, 'm');
      // The step's start shows unless its end came in the same batch (then only the end does).
      if (/step\.started +draft/.test(out)) expect(out).toMatch(line('step.started', 'draft · greeter'));
      expect(out).toMatch(line('step.completed', String.raw`draft · greeter · \d+\.\d ms`));
      // Context entries (with outputs) are on a run's own feed (--run), not on the all-runs feed.
      expect(out).not.toMatch(/context\.appended/);
      expect(out).toMatch(line('approval.waiting', 'draft: "Send the greeting\\?"'));
      expect(out).toMatch(line('run.state', 'gated → waiting-approval at draft · approval pending: draft'));
      expect(out).toMatch(line('approval.decided', 'draft: approved by ops — "ship it"'));
      expect(out).toMatch(line('step.completed', String.raw`send · greeter · \d+\.\d ms`));
      // In order: waiting, decided, the last step, completed.
      const at = (p: string): number => out.indexOf(p);
      expect(at('approval.waiting')).toBeLessThan(at('approval.decided'));
      expect(at('approval.decided')).toBeLessThan(out.search(/step\.completed +send/));
      expect(out.search(/step\.completed +send/)).toBeLessThan(out.search(/→ completed/));
      expect(out).not.toContain('\u001b['); // not a TTY: no colour

      t.interrupt();
      expect(await t.exit).toBe(130);
      expect(t.io.err()).toBe('');
    });

    it('colours the lines on a TTY, and not with NO_COLOR', async () => {
      const s = await serve();
      await startGated(s);
      const coloured = tail([s.url], { TROUPE_TOKEN: OPERATOR }, true);
      await coloured.until(/waiting-approval/);
      coloured.interrupt();
      expect(await coloured.exit).toBe(130);
      expect(coloured.io.out()).toContain('\u001b[33m1 waiting-approval\u001b[39m');
      const plain = tail([s.url], { TROUPE_TOKEN: OPERATOR, NO_COLOR: '1' }, true);
      await plain.until(/waiting-approval/);
      plain.interrupt();
      expect(await plain.exit).toBe(130);
      expect(plain.io.out()).toContain('1 run: 1 waiting-approval');
      expect(plain.io.out()).not.toContain('\u001b[');
    });
  });

  describe('with --run', () => {
    it("prints that run's log so far, then only its events: other runs are filtered out", async () => {
      const s = await serve();
      const followed = await startGated(s);
      const other = await startGated(s);
      const t = tail([s.url, '--run', followed, '--token', OPERATOR]);
      const head = await t.until(/#1 step draft/);
      expect(head).toContain(`run ${followed} · gated · waiting-approval at draft · approval pending: draft · head #1 `);
      expect(head).toMatch(new RegExp(`^${TIME}  ${followed.slice(0, 8)}  entry +#1 step draft · greeter · \\d+\\.\\d ms · [0-9a-f]{12}$`, 'm'));

      const later = await startGated(s); // its events reach the server's runs followers, not this one
      await post(s, `/runs/${other}/approvals/draft`, { decision: 'approve' });
      await untilStatus(s.rt, other, 'completed');
      await post(s, `/runs/${followed}/approvals/draft`, { decision: 'reject', comment: 'not today' });
      const out = await t.until(/run\.state +gated → (completed|failed)/);
      expect(out).toMatch(/approval\.decided +draft: rejected — "not today"/);
      for (const id of [other, later]) expect(out).not.toContain(id.slice(0, 8));
      const runColumn = out.split('\n').filter((l) => new RegExp(`^${TIME}  `).test(l)).map((l) => l.slice(14, 22));
      expect(new Set(runColumn)).toEqual(new Set([followed.slice(0, 8)]));
      // The snapshot's entry is not printed a second time from the stream.
      expect(out.match(/#1 step draft/g)).toHaveLength(1);

      t.interrupt();
      expect(await t.exit).toBe(130);
    });

    it('exits 1 naming the run when it does not exist', async () => {
      const s = await serve();
      const io = testIO({ env: { TROUPE_TOKEN: OPERATOR } });
      expect(await main(['inspect', s.url, '--run', 'no-such-run'], io)).toBe(1);
      expect(io.err()).toBe(`troupe: TROUPE_RUN_NOT_FOUND: no run with id no-such-run on ${s.url}\n`);
    });
  });

  it('--tree adds the actor tree: a summary, then actors as they spawn and stop', async () => {
    const s = await serve();
    const t = tail([s.url, '--tree'], { TROUPE_TOKEN: OPERATOR });
    await t.until(/^actor tree: \d+ active: .*supervisor/m);
    await t.until(/^no runs yet$/m);
    const id = await startGated(s);
    await t.until(new RegExp(`actor\\.spawned +${id} \\(run\\) under workflows#\\d+\n`));
    await post(s, `/runs/${id}/approvals/draft`, { decision: 'approve' });
    const out = await t.until(new RegExp(`actor\\.stopped +${id} done\n`));
    expect(out).toMatch(new RegExp(`^${TIME} {12}actor\\.spawned +${id} \\(run\\) under workflows#\\d+$`, 'm'));
    expect(out).toMatch(new RegExp(`^${TIME} {12}actor\\.stopped +${id} done$`, 'm'));
    t.interrupt();
    expect(await t.exit).toBe(130);
  });

  it('--json prints the snapshot, then each event as one JSON line', async () => {
    const s = await serve();
    const t = tail([s.url, '--json'], { TROUPE_TOKEN: OPERATOR });
    await t.until(/"type":"snapshot"/);
    const id = await startGated(s);
    const out = await t.until(/"type":"approval\.waiting"/);
    t.interrupt();
    expect(await t.exit).toBe(130);
    const lines = out.trimEnd().split('\n').map((l) => JSON.parse(l) as Record<string, any>);
    expect(lines[0]).toEqual({ type: 'snapshot', target: { kind: 'runs' }, snapshot: { kind: 'runs', runs: [] } });
    for (const l of lines.slice(1)) expect(l).toEqual({ at: expect.any(Number), event: expect.objectContaining({ type: expect.any(String) }) });
    // A step's start is dropped when its end comes in the same batch (docs/inspector-protocol.md), so it may not show.
    expect(lines.map((l) => l.event?.type)).toEqual(expect.arrayContaining(['step.completed', 'approval.waiting']));
    expect(lines.find((l) => l.event?.type === 'approval.waiting')!.event).toEqual({ type: 'approval.waiting', runId: id, step: 'draft', prompt: 'Send the greeting?' });
  });

  describe('when it cannot connect or the connection ends', () => {
    it('exits 1 with the 401 line without a token, and with a wrong one', async () => {
      const s = await serve();
      const none = testIO();
      expect(await main(['inspect', s.url], none)).toBe(1);
      expect(none.err()).toBe(`troupe: cannot connect to ${s.url}: 401 unauthorized — pass --token or set TROUPE_TOKEN\n`);
      expect(none.out()).toBe('');
      const wrong = testIO({ env: { TROUPE_TOKEN: 'not-the-token' } });
      expect(await main(['inspect', s.url], wrong)).toBe(1);
      expect(wrong.err()).toBe(`troupe: cannot connect to ${s.url}: 401 unauthorized: the token is not valid — check --token or TROUPE_TOKEN\n`);
    });

    it('exits 1 when nothing listens at the port', async () => {
      const port = await closedPort();
      const io = testIO({ env: { TROUPE_TOKEN: OPERATOR } });
      expect(await main(['inspect', `ws://127.0.0.1:${port}`], io)).toBe(1);
      expect(io.err()).toBe(`troupe: cannot connect to ws://127.0.0.1:${port}/inspect: connection refused (is \`troupe serve\` running there?)\n`);
    });

    it('exits 1 with the 404 line for a path that is not the inspector', async () => {
      const s = await serve();
      const io = testIO({ env: { TROUPE_TOKEN: OPERATOR } });
      expect(await main(['inspect', `ws://127.0.0.1:${s.port}/elsewhere`], io)).toBe(1);
      expect(io.err()).toBe(`troupe: cannot connect to ws://127.0.0.1:${s.port}/elsewhere: 404 not found: no WebSocket endpoint at /elsewhere (troupe serve hosts the inspector at /inspect)\n`);
    });

    it('exits 1 with the 503 line when the server has no room for another client', async () => {
      const s = await serve(1);
      const first = tail([s.url], { TROUPE_TOKEN: OPERATOR });
      await first.until(/no runs yet/);
      const io = testIO({ env: { TROUPE_TOKEN: OPERATOR } });
      expect(await main(['inspect', s.url], io)).toBe(1);
      expect(io.err()).toBe(`troupe: cannot connect to ${s.url}: 503 unavailable: too many inspector clients\n`);
      first.interrupt();
      expect(await first.exit).toBe(130);
    });

    it('exits 1 saying so when the server closes the connection', async () => {
      const s = await serve();
      const t = tail([s.url], { TROUPE_TOKEN: OPERATOR });
      await t.until(/no runs yet/);
      await s.server.close({ graceMs: 0 });
      expect(await t.exit).toBe(1);
      expect(t.io.err()).toBe(`troupe: ${s.url}: the server closed the connection: 1001 server shutting down\n`);
    });
  });

  describe('command line', () => {
    it.each([
      [['inspect'], /inspect: missing argument URL/],
      [['inspect', 'http://127.0.0.1:7070'], /URL must be ws:\/\/ or wss:\/\/, got "http:\/\/127\.0\.0\.1:7070" \(did you mean ws:\/\/127\.0\.0\.1:7070\/inspect\?\)/],
      [['inspect', 'localhost:7070'], /URL must be ws:\/\/ or wss:\/\//],
      [['inspect', 'not a url'], /URL must be a ws:\/\/ or wss:\/\/ URL/],
      [['inspect', 'ws://127.0.0.1:7070', '--token', ''], /flag --token needs a value/],
      [['inspect', 'ws://a:b@127.0.0.1:7070'], /must not carry credentials/],
    ])('%j is a usage error (exit 2)', async (argv, detail) => {
      const io = testIO();
      expect(await main(argv, io)).toBe(2);
      expect(io.err()).toMatch(/^troupe: TROUPE_CLI_USAGE: .+; see 'troupe --help'\n$/);
      expect(io.err()).toMatch(detail);
    });

    it('prints its help, which says it does not reconnect', async () => {
      const io = testIO();
      expect(await main(['inspect', '--help'], io)).toBe(0);
      expect(io.out()).toMatch(/^Usage: troupe inspect URL/);
      expect(io.out()).toContain('It does not reconnect');
    });
  });

  it('shortens run ids: a UUID to its first 8 digits, in a sub-run id too; a long other id with …', () => {
    expect(shortRunId('3f2a9c1d-0b1e-4c2d-9e8f-001122334455')).toBe('3f2a9c1d');
    expect(shortRunId('3f2a9c1d-0b1e-4c2d-9e8f-001122334455/research:1a2b3c4d')).toBe('3f2a9c1d/research:1a2b3c4d');
    expect(shortRunId('nightly')).toBe('nightly');
    expect(shortRunId('x'.repeat(40))).toBe(`${'x'.repeat(31)}…`);
  });
});

/** A port nothing listens on (bound, then released). */
async function closedPort(): Promise<number> {
  const server = createNetServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
