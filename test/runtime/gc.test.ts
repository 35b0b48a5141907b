import { afterEach, describe, expect, it } from 'vitest';
import { createRuntime, defineAgent, type TroupeRuntime } from '../../src/index.js';

let rt: TroupeRuntime | undefined;
afterEach(async () => {
  await rt?.stop({ timeoutMs: 10 });
  rt = undefined;
});

describe('retention (gc)', () => {
  it('removes finished runs older than the age, keeps newer ones and runs in progress, and reports what it freed', async () => {
    let now = Date.parse('2026-01-01T00:00:00Z');
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    const echo = defineAgent({ id: 'echo', execute: (i: unknown) => i });
    const wait = defineAgent({ id: 'wait', execute: async () => held });
    rt = await createRuntime({ agents: [echo, wait], now: () => now });
    const two = { name: 'two', steps: { a: { agent: 'echo', next: 'b' }, b: { agent: 'echo' } } };
    const old = await rt.start(two, { n: 1 }, { runId: 'old' });
    await old.result();
    const running = await rt.start({ name: 'w', steps: { a: { agent: 'wait' } } }, {}, { runId: 'busy' });
    now += 8 * 86_400_000; // eight days later
    const fresh = await rt.start(two, { n: 2 }, { runId: 'fresh' });
    await fresh.result();

    expect(await rt.gc({ olderThan: '7d' })).toEqual({ runs: 1, entries: 2, runIds: ['old'] });
    expect(await rt.store.getRun('old')).toBeUndefined();
    expect(await rt.store.getRun('fresh')).toBeDefined();
    expect(await rt.store.getRun('busy')).toBeDefined();
    await expect(rt.gc({ olderThan: 'a week' })).rejects.toMatchObject({ code: 'TROUPE_DURATION_INVALID' });
    release();
    await running.result();
  });
});
