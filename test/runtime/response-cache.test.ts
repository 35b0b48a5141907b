import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createRuntime, defineAgent, TroupeError, type TroupeRuntime, type WorkflowDefinition } from '../../src/index.js';

const runtimes: TroupeRuntime[] = [];
const dirs: string[] = [];
afterEach(async () => {
  for (const rt of runtimes.splice(0)) await rt.stop();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const wf: WorkflowDefinition = { name: 'lookup', steps: { find: { agent: 'intel', input: '{ "ip": input.ip }' } } };

describe('the response cache of idempotent agents', () => {
  it('calls an idempotent agent once per input within its TTL, counting hits and misses', async () => {
    let now = 1_000_000;
    let calls = 0;
    const intel = defineAgent({ id: 'intel', idempotent: { ttl: '1m' }, execute: (i: { ip: string }) => (calls++, { ip: i.ip, verdict: 'bad' }) });
    const rt = await createRuntime({ agents: [intel], workflows: [wf], now: () => now });
    runtimes.push(rt);
    const a = await (await rt.start('lookup', { ip: '192.0.2.1' })).result();
    const again = await rt.start('lookup', { ip: '192.0.2.1' });
    expect(await again.result()).toEqual(a);
    await (await rt.start('lookup', { ip: '192.0.2.2' })).result();
    expect(calls).toBe(2);
    expect(rt.cacheStats()).toEqual({ hits: 1, misses: 2 });
    expect((await again.context())[0]).toMatchObject({ step: 'find', agent: 'intel', attempts: 0 }); // recorded like any step
    now += 61_000; // past the TTL
    await (await rt.start('lookup', { ip: '192.0.2.1' })).result();
    expect(calls).toBe(3);
  });

  it('never caches an agent that is not idempotent, nor a failure', async () => {
    let calls = 0;
    const plain = defineAgent({ id: 'intel', execute: () => ++calls });
    const rt = await createRuntime({ agents: [plain], workflows: [wf] });
    runtimes.push(rt);
    await (await rt.start('lookup', { ip: 'x' })).result();
    await (await rt.start('lookup', { ip: 'x' })).result();
    expect(calls).toBe(2);
    expect(rt.cacheStats()).toEqual({ hits: 0, misses: 0 });

    let tries = 0;
    const flaky = defineAgent({ id: 'intel', idempotent: true, circuitBreaker: false, execute: () => (++tries === 1 ? Promise.reject(new Error('down')) : 'ok') });
    const rt2 = await createRuntime({ agents: [flaky], workflows: [wf] });
    runtimes.push(rt2);
    await expect((await rt2.start('lookup', { ip: 'y' })).result()).rejects.toMatchObject({ code: 'TROUPE_RUN_FAILED' });
    expect(await (await rt2.start('lookup', { ip: 'y' })).result()).toBe('ok');
    expect(tries).toBe(2);
  });

  it('survives a restart with an LMDB store', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'troupe-cache-'));
    dirs.push(dir);
    let calls = 0;
    const intel = defineAgent({ id: 'intel', idempotent: true, execute: () => ++calls });
    const rt1 = await createRuntime({ agents: [intel], workflows: [wf], dataDir: dir, durability: 'commit' });
    await (await rt1.start('lookup', { ip: 'z' })).result();
    await rt1.stop();
    const rt2 = await createRuntime({ agents: [intel], workflows: [wf], dataDir: dir, durability: 'commit' });
    runtimes.push(rt2);
    expect(await (await rt2.start('lookup', { ip: 'z' })).result()).toBe(1);
    expect(calls).toBe(1);
  });

  it('rejects a malformed idempotent option naming the field', () => {
    expect(() => defineAgent({ id: 'x', idempotent: { ttl: 'soon' } as never, execute: () => 1 })).toThrow(TroupeError);
    expect(() => defineAgent({ id: 'x', idempotent: 'yes' as never, execute: () => 1 })).toThrow(/idempotent/);
  });
});
