import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { afterEach, describe, expect, it } from 'vitest';
import { createRuntime, defineAgent, METRICS, type TroupeRuntime } from '../../src/index.js';
import { scrape } from './scrape.js';

const echo = defineAgent({ id: 'echo', execute: (i: unknown) => i });
const hello = { name: 'hello', steps: { a: { agent: 'echo', next: 'b' }, b: { agent: 'echo' } } };

const open: TroupeRuntime[] = [];
const dirs: string[] = [];
async function runtime(options: Parameters<typeof createRuntime>[0] = {}): Promise<TroupeRuntime> {
  const rt = await createRuntime({ agents: [echo], workflows: [hello], ...options });
  open.push(rt);
  return rt;
}
afterEach(async () => {
  await Promise.all(open.splice(0).map((rt) => rt.stop({ timeoutMs: 100 })));
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

async function runs(rt: TroupeRuntime, n: number): Promise<string[]> {
  const handles = await Promise.all(Array.from({ length: n }, (_, i) => rt.start('hello', { i })));
  await Promise.all(handles.map((h) => h.result()));
  return handles.map((h) => h.id);
}

/**
 * Block the event loop for `ms`, then give the lag monitor's 10 ms sampling timer a few periods
 * to record samples (a sampling interval, not a wait for a result).
 */
async function block(ms: number): Promise<void> {
  const end = performance.now() + ms;
  while (performance.now() < end);
  await new Promise((r) => setTimeout(r, 30));
}

describe("a runtime's metrics registry", () => {
  it('is its own: two runtimes in one process count their own steps, and both render', async () => {
    const [a, b] = [await runtime(), await runtime()];
    expect(a.metrics.registry).not.toBe(b.metrics.registry);
    await runs(a, 2);
    const [ma, mb] = [await scrape(a.metrics), await scrape(b.metrics)];
    expect(ma.count('troupe_step_duration_seconds', { agent: 'echo', outcome: 'ok' })).toBe(4);
    expect(mb.count('troupe_step_duration_seconds')).toBe(0);
    expect(mb.count('troupe_run_duration_seconds')).toBe(0);
    for (const m of [ma, mb]) {
      for (const name of ['nodejs_eventloop_lag_seconds', 'nodejs_heap_size_used_bytes', 'process_cpu_user_seconds_total', 'nodejs_gc_duration_seconds']) expect(m.byName.has(name), name).toBe(true);
    }
  });

  it('declares every troupe metric of the catalog with its type and help, and serves the text format', async () => {
    const rt = await runtime();
    expect(rt.metrics.contentType).toBe('text/plain; version=0.0.4; charset=utf-8');
    const m = await scrape(rt.metrics);
    for (const spec of Object.values(METRICS)) {
      const f = m.family(spec.name);
      expect(f.type, spec.name).toBe(spec.type.toUpperCase());
      expect(f.help, spec.name).toBe(spec.help);
    }
    expect(m.families.filter((f) => f.name.startsWith('troupe_')).map((f) => f.name).sort()).toEqual(Object.values(METRICS).map((s) => s.name).sort());
  });

  it('keeps label cardinality bounded: 200 more runs add no series, and no label holds a run id', async () => {
    const rt = await runtime();
    await runs(rt, 10);
    const before = (await scrape(rt.metrics)).seriesKeys('troupe_');
    const ids = await runs(rt, 200);
    const m = await scrape(rt.metrics);
    expect(m.seriesKeys('troupe_')).toEqual(before);
    expect(m.count('troupe_run_duration_seconds', { workflow: 'hello', status: 'completed' })).toBe(210);
    const text = await rt.metrics.text();
    for (const id of ids) expect(text).not.toContain(id);
  });

  it('times LMDB commits and flushes of run writes (a data directory in a temp dir)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'troupe-metrics-'));
    dirs.push(dir);
    const rt = await runtime({ dataDir: dir });
    const empty = await scrape(rt.metrics);
    expect(empty.count('troupe_store_commit_duration_seconds')).toBe(0);
    await runs(rt, 3);
    const m = await scrape(rt.metrics);
    const [commit] = m.histogram('troupe_store_commit_duration_seconds');
    const [flush] = m.histogram('troupe_store_flush_duration_seconds');
    // Each run: its record created, one append per step (2), its final status: 4 writes at least.
    expect(commit!.count).toBeGreaterThanOrEqual(3 * 4);
    expect(flush!.count).toBe(commit!.count); // durability 'flush' (the default) waits for every write
    expect(commit!.sum).toBeGreaterThan(0);
    expect(flush!.sum).toBeGreaterThanOrEqual(commit!.sum);
  });

  it('records no store latency with the memory store', async () => {
    const rt = await runtime();
    await runs(rt, 2);
    expect((await scrape(rt.metrics)).count('troupe_store_commit_duration_seconds')).toBe(0);
  });

  describe('when the runtime stops', () => {
    it('stops its event-loop monitor: it samples the loop before stop, not after', async () => {
      const rt = await runtime();
      await rt.metrics.text(); // starts a fresh window
      await block(40);
      expect((await scrape(rt.metrics)).value('nodejs_eventloop_lag_max_seconds')).toBeGreaterThan(0);
      await rt.stop();
      await rt.metrics.text();
      await block(40);
      expect((await scrape(rt.metrics)).value('nodejs_eventloop_lag_max_seconds')).toBe(0);
    });

    it('stops observing GC: a collection after stop is counted by a live runtime only', async () => {
      setFlagsFromString('--expose-gc');
      const gc = runInNewContext('gc') as () => void;
      const [stopped, live] = [await runtime(), await runtime()];
      await stopped.stop();
      const gcs = async (rt: TroupeRuntime): Promise<number> => (await scrape(rt.metrics)).count('nodejs_gc_duration_seconds');
      const [s0, l0] = [await gcs(stopped), await gcs(live)];
      gc();
      const end = Date.now() + 5_000;
      while ((await gcs(live)) === l0 && Date.now() < end) await new Promise((r) => setTimeout(r, 5));
      expect(await gcs(live)).toBeGreaterThan(l0);
      expect(await gcs(stopped)).toBe(s0);
    });

    it('leaves no timer behind', async () => {
      const timers = (): number => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
      const before = timers();
      const rt = await runtime();
      await runs(rt, 3);
      await rt.metrics.text();
      await rt.stop();
      expect(timers()).toBeLessThanOrEqual(before);
    });
  });
});
