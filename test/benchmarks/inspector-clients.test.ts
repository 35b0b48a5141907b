import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { ClientProcess, InspectorClients } from '../../benchmarks/lib/inspector-clients.js';
import { createRuntime, defineAgent, type TroupeRuntime } from '../../src/index.js';
import { InspectorSockets } from '../../src/inspector/sockets.js';

interface Harness {
  readonly rt: TroupeRuntime;
  readonly sockets: InspectorSockets;
  readonly server: Server;
  readonly url: string;
}

const open: Harness[] = [];
afterEach(async () => {
  for (const h of open.splice(0)) {
    await h.sockets.close();
    await new Promise((resolve) => h.server.close(resolve));
    await h.rt.stop({ timeoutMs: 50 });
  }
});

const three = { name: 'three', steps: { a: { agent: 'noop', next: 'b' }, b: { agent: 'noop', next: 'c' }, c: { agent: 'noop' } } };

async function harness(): Promise<Harness> {
  const rt = await createRuntime({ agents: [defineAgent({ id: 'noop', execute: () => ({ ok: true }) })], workflows: [three] });
  const sockets = new InspectorSockets({ runtime: rt, version: 'test', flushMs: 5 });
  const server = createServer((_req, res) => res.end());
  server.on('upgrade', (req, socket, head) => sockets.handleUpgrade(req, socket, head, { scope: 'read', label: 'bench' }));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const h = { rt, sockets, server, url: `ws://127.0.0.1:${(server.address() as AddressInfo).port}/inspect` };
  open.push(h);
  return h;
}

async function runSome(rt: TroupeRuntime, n: number): Promise<string[]> {
  const runs = await Promise.all(Array.from({ length: n }, (_, i) => rt.start('three', { i })));
  await Promise.all(runs.map((r) => r.result()));
  return runs.map((r) => r.id);
}

describe('inspector-load clients', () => {
  it.each(['digest', 'events'] as const)('see the end of every run, count its events, and the tree client also the actors (the all-runs feed as %s)', async (format) => {
    const h = await harness();
    const clients = await InspectorClients.connect(h.url, 3, 1, format);
    const ids = await runSome(h.rt, 5);
    const report = await clients.awaitCoverage(ids, 5_000);
    await clients.close();
    expect(report).toMatchObject({ runsExpected: 5, allCovered: true });
    const [tree, a, b] = report.clients;
    // A 3-step run on the all-runs feed, coalesced per batch: at least its final state and 3 completed steps (context entries go to a run's followers only).
    expect(a!.events).toBeGreaterThanOrEqual(5 * 4);
    expect(b!.events).toBe(a!.events);
    // With every event, the tree adds each run's actor: spawned and stopped, or once if it came and
    // went within a batch. With digests (as the page), the tree leaves the runs' actors out.
    if (format === 'events') {
      expect(tree!.treeEvents).toBeGreaterThanOrEqual(5);
      expect(tree!.treeEvents).toBeLessThanOrEqual(5 * 2);
    } else expect(tree!.treeEvents).toBe(0);
    expect(a!.treeEvents).toBe(0);
    expect(tree!.events).toBe(a!.events + tree!.treeEvents);
    expect(report.clients.every((c) => c.runsCovered === 5 && c.frames > 0 && c.bytes > 0 && c.errors === 0 && !c.closed)).toBe(true);
  });

  it('count afresh after each report, and say when a run never reached them', async () => {
    const h = await harness();
    const clients = await InspectorClients.connect(h.url, 1, 0);
    await clients.awaitCoverage(await runSome(h.rt, 2), 5_000);
    const report = await clients.awaitCoverage(['no-such-run'], 50);
    await clients.close();
    expect(report).toMatchObject({ runsExpected: 1, allCovered: false, clients: [{ events: 0, runsCovered: 0 }] });
  });

  it('work from a child process over IPC', async () => {
    const h = await harness();
    const child = new ClientProcess();
    try {
      await child.request({ type: 'connect', url: h.url, count: 2, treeClients: 0 }, 'connected');
      const ids = await runSome(h.rt, 3);
      const { report, cpuMs } = await child.request({ type: 'expect', runIds: ids, timeoutMs: 5_000 }, 'report');
      expect(report).toMatchObject({ runsExpected: 3, allCovered: true });
      expect(report.clients[0]!.events).toBeGreaterThanOrEqual(3 * 4);
      expect(report.clients[1]!.events).toBe(report.clients[0]!.events);
      expect(cpuMs).toBeGreaterThan(0);
      await child.request({ type: 'disconnect' }, 'disconnected');
    } finally {
      child.close();
    }
  }, 20_000);
});
