import { describe, expect, it } from 'vitest';
import { MemoryStore } from '../../src/store/index.js';
import { storeConformance } from './conformance.js';
import { makeEntries, makeRun } from './records.js';

storeConformance('MemoryStore', async () => {
  const store = new MemoryStore();
  return { store, cleanup: () => store.close() };
});

describe('MemoryStore.appendNow', () => {
  it('has the entry stored when it returns, and throws what append would reject with', async () => {
    const store = new MemoryStore();
    const run = makeRun('r1');
    await store.createRun(run);
    const [e1, e2] = makeEntries(run, 2);
    store.appendNow('r1', e1!, { currentSteps: ['b'] });
    expect(await store.getRun('r1')).toMatchObject({ headSeq: 1, headHash: e1!.hash, currentSteps: ['b'] });
    expect(await store.read('r1')).toEqual([e1]);
    expect(() => store.appendNow('r1', e1!)).toThrow(expect.objectContaining({ code: 'TROUPE_STORE_CONFLICT' }));
    expect(() => store.appendNow('nope', e2!)).toThrow(expect.objectContaining({ code: 'TROUPE_RUN_NOT_FOUND' }));
    await expect(store.append('r1', e1!)).rejects.toMatchObject({ code: 'TROUPE_STORE_CONFLICT' }); // append still rejects, never throws
    expect(await store.read('r1')).toEqual([e1]);
    await store.close();
  });
});
