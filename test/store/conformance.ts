import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { genesisHash, verifyChain, type ContextEntry, type RunStatus, type Store } from '../../src/store/index.js';
import { makeEntries, makeRun } from './records.js';

/** What a conformance run needs from an adapter: a fresh store and a way to remove it. */
export interface StoreFixture {
  readonly store: Store;
  cleanup(): Promise<void>;
}

async function codeOf(p: Promise<unknown>): Promise<string | undefined> {
  try {
    await p;
  } catch (err) {
    return (err as { code?: string }).code;
  }
  return undefined;
}

/** Append `entries` to `runId` one after another, as a run's steps do. */
async function appendAll(store: Store, runId: string, entries: readonly ContextEntry[]): Promise<void> {
  for (const e of entries) await store.append(runId, e);
}

/**
 * The `Store` port's conformance suite: every adapter must pass it unchanged.
 *
 * @param name - the adapter's name in the describe block
 * @param makeStore - a fresh, empty store per test and its cleanup
 */
export function storeConformance(name: string, makeStore: () => Promise<StoreFixture>): void {
  describe(`Store conformance: ${name}`, () => {
    let fx: StoreFixture;
    let store: Store;
    beforeEach(async () => {
      fx = await makeStore();
      store = fx.store;
    });
    afterEach(async () => {
      await fx.cleanup();
    });

    describe('runs', () => {
      it('creates a run and gets it back', async () => {
        const run = makeRun('r1', { input: { alert: 'disk full', n: [1, 2] } });
        await store.createRun(run);
        expect(await store.getRun('r1')).toEqual(run);
        expect(await store.getRun('nope')).toBeUndefined();
      });

      it('refuses a run id in use with TROUPE_STORE_CONFLICT', async () => {
        await store.createRun(makeRun('r1'));
        expect(await codeOf(store.createRun(makeRun('r1')))).toBe('TROUPE_STORE_CONFLICT');
      });

      it('updates a run with a patch', async () => {
        await store.createRun(makeRun('r1'));
        await store.updateRun('r1', { status: 'waiting-approval', currentSteps: ['approve'], updatedAt: 7 });
        expect(await store.getRun('r1')).toMatchObject({ status: 'waiting-approval', currentSteps: ['approve'], updatedAt: 7, workflow: 'wf' });
        expect(await codeOf(store.updateRun('nope', { status: 'paused' }))).toBe('TROUPE_RUN_NOT_FOUND');
      });

      it('lists runs by status, workflow and limit', async () => {
        const statuses: RunStatus[] = ['running', 'completed', 'failed', 'paused', 'running'];
        for (const [i, status] of statuses.entries()) await store.createRun(makeRun(`r${i}`, { status, workflow: i % 2 ? 'odd' : 'even' }));
        expect((await store.listRuns()).map((r) => r.id).sort()).toEqual(['r0', 'r1', 'r2', 'r3', 'r4']);
        expect((await store.listRuns({ status: 'running' })).map((r) => r.id).sort()).toEqual(['r0', 'r4']);
        expect((await store.listRuns({ status: ['failed', 'paused'] })).map((r) => r.id).sort()).toEqual(['r2', 'r3']);
        expect((await store.listRuns({ workflow: 'odd' })).map((r) => r.id).sort()).toEqual(['r1', 'r3']);
        expect(await store.listRuns({ workflow: 'even', status: 'running', limit: 1 })).toHaveLength(1);
        expect(await store.listRuns({ limit: 3 })).toHaveLength(3);
      });

      it('returns copies: mutating a returned record does not change the store', async () => {
        await store.createRun(makeRun('r1'));
        const got = (await store.getRun('r1'))!;
        got.status = 'failed';
        got.currentSteps.push('x');
        const listed = (await store.listRuns())[0]!;
        listed.currentSteps.push('y');
        expect(await store.getRun('r1')).toMatchObject({ status: 'running', currentSteps: ['a'] });
      });

      it('recover returns only unfinished runs', async () => {
        const statuses: RunStatus[] = ['running', 'waiting-approval', 'paused', 'completed', 'failed', 'cancelled'];
        for (const status of statuses) await store.createRun(makeRun(status, { status }));
        expect((await store.recover()).map((r) => r.id).sort()).toEqual(['paused', 'running', 'waiting-approval']);
      });
    });

    describe('the context log', () => {
      it('appends, moves the head, applies the patch, and reads back in order', async () => {
        const run = makeRun('r1');
        await store.createRun(run);
        const entries = makeEntries(run, 3);
        await store.append('r1', entries[0]!);
        await store.append('r1', entries[1]!);
        await store.append('r1', entries[2]!, { currentSteps: ['done'], status: 'completed', output: { ok: true } });
        expect(await store.read('r1')).toEqual(entries);
        expect(await store.getRun('r1')).toMatchObject({ headSeq: 3, headHash: entries[2]!.hash, updatedAt: 103, status: 'completed', currentSteps: ['done'], output: { ok: true } });
      });

      it('rejects a seq that does not follow the head with TROUPE_STORE_CONFLICT, and stores nothing', async () => {
        const run = makeRun('r1');
        await store.createRun(run);
        const [e1, e2] = makeEntries(run, 2);
        expect(await codeOf(store.append('r1', e2!))).toBe('TROUPE_STORE_CONFLICT');
        await store.append('r1', e1!);
        expect(await codeOf(store.append('r1', e1!))).toBe('TROUPE_STORE_CONFLICT');
        expect(await store.read('r1')).toEqual([e1]);
        expect((await store.getRun('r1'))!.headSeq).toBe(1);
      });

      it('rejects an append to an unknown run with TROUPE_RUN_NOT_FOUND', async () => {
        expect(await codeOf(store.append('nope', makeEntries(makeRun('nope'), 1)[0]!))).toBe('TROUPE_RUN_NOT_FOUND');
        expect(await codeOf(store.read('nope'))).toBe('TROUPE_RUN_NOT_FOUND');
      });

      it('reads at a version: the prefix up to that seq (time travel)', async () => {
        const run = makeRun('r1');
        await store.createRun(run);
        const entries = makeEntries(run, 5);
        await appendAll(store, 'r1', entries);
        for (let v = 0; v <= 6; v++) expect(await store.read('r1', v)).toEqual(entries.slice(0, v));
      });

      it('keeps the logs of runs apart, including ids that are prefixes of each other', async () => {
        const a = makeRun('r1');
        const b = makeRun('r10');
        await store.createRun(a);
        await store.createRun(b);
        const ea = makeEntries(a, 2);
        const eb = makeEntries(b, 3);
        await Promise.all([appendAll(store, 'r1', ea), appendAll(store, 'r10', eb)]);
        expect(await store.read('r1')).toEqual(ea);
        expect(await store.read('r10')).toEqual(eb);
      });

      it('takes concurrent appends from many runs', async () => {
        const runs = Array.from({ length: 50 }, (_, i) => makeRun(`run-${i}`));
        await Promise.all(runs.map((r) => store.createRun(r)));
        const logs = runs.map((r) => makeEntries(r, 4));
        await Promise.all(runs.map((r, i) => appendAll(store, r.id, logs[i]!)));
        for (const [i, r] of runs.entries()) {
          const got = await store.read(r.id);
          expect(verifyChain(genesisHash(r.definitionHash, r.input), got, await store.getRun(r.id))).toMatchObject({ ok: true, entries: 4 });
          expect(got).toEqual(logs[i]);
        }
      });

      it('property: any appended sequence reads back exactly and its chain verifies against the head', async () => {
        const output = fc.oneof(fc.jsonValue().map(jsonNormal), fc.constant({ ['__proto__']: { polluted: true }, a: 1 }), fc.constant(null));
        let n = 0;
        await fc.assert(
          fc.asyncProperty(fc.jsonValue().map(jsonNormal), fc.array(output, { maxLength: 12 }), fc.integer({ min: 0, max: 14 }), async (input, outputs, version) => {
            const run = makeRun(`p${n++}`, { input });
            await store.createRun(run);
            const entries = makeEntries(run, outputs.length, outputs);
            await appendAll(store, run.id, entries);
            const got = await store.read(run.id);
            expect(got).toEqual(entries);
            const head = (await store.getRun(run.id))!;
            expect(verifyChain(genesisHash(head.definitionHash, head.input), got, head)).toMatchObject({ ok: true, entries: entries.length });
            expect(await store.read(run.id, version)).toEqual(entries.slice(0, version));
          }),
          { numRuns: 40 },
        );
      });

      it('keeps outputs whose hash depends on JSON semantics verifiable: an own __proto__ key, toJSON, a BigInt, a Date', async () => {
        const run = makeRun('odd', { input: JSON.parse('{"__proto__": {"admin": true}}') });
        await store.createRun(run);
        const outputs = [JSON.parse('{"__proto__": 1, "a": {"__proto__": [2]}}'), { when: new Date(5), n: 10n }, { toJSON: () => 'shown' }, [undefined, 1]];
        const entries = makeEntries(run, outputs.length, outputs);
        await appendAll(store, 'odd', entries);
        const head = (await store.getRun('odd'))!;
        expect(verifyChain(genesisHash(head.definitionHash, head.input), await store.read('odd'), head)).toMatchObject({ ok: true, entries: 4 });
        expect(Object.keys((await store.read('odd'))[0]!.output as object)).toEqual(['__proto__', 'a']);
      });
    });

    describe('retention', () => {
      it('deletes a run with its log and snapshot, and leaves other runs alone', async () => {
        const a = makeRun('a');
        const b = makeRun('b');
        await store.createRun(a);
        await store.createRun(b);
        await appendAll(store, 'a', makeEntries(a, 3));
        await appendAll(store, 'b', makeEntries(b, 2));
        await store.saveSnapshot({ runId: 'a', seq: 3, state: {} });
        expect(await store.deleteRun('a')).toBe(3);
        expect(await store.getRun('a')).toBeUndefined();
        expect(await store.loadSnapshot('a')).toBeUndefined();
        expect((await store.listRuns()).map((r) => r.id)).toEqual(['b']);
        expect(await store.read('b')).toHaveLength(2);
        expect(await store.deleteRun('a')).toBe(0);
        // The id can be used again: nothing of the old run is left.
        await store.createRun(makeRun('a'));
        expect(await store.read('a')).toEqual([]);
      });
    });

    describe('offline decisions', () => {
      it('keeps a decision for a waiting run until it is taken, once', async () => {
        await store.createRun(makeRun('w', { status: 'waiting-approval', currentSteps: ['gate'] }));
        expect(await store.takeDecision('w', 'gate')).toBeUndefined();
        await store.putDecision('w', 'gate', { approved: false, by: 'ops', comment: 'not now', at: 5 });
        expect(await store.takeDecision('w', 'other')).toBeUndefined();
        expect(await store.takeDecision('w', 'gate')).toEqual({ approved: false, by: 'ops', comment: 'not now', at: 5 });
        expect(await store.takeDecision('w', 'gate')).toBeUndefined();
        expect(await codeOf(store.putDecision('nope', 'gate', { approved: true, at: 1 }))).toBe('TROUPE_RUN_NOT_FOUND');
      });
    });

    describe('durable timers', () => {
      it('keeps a run\'s timer deadline by name until deleted, and drops it with the run', async () => {
        await store.createRun(makeRun('t'));
        expect(await store.getTimer('t', 'approval:a')).toBeUndefined();
        await store.putTimer('t', 'approval:a', 12345);
        await store.putTimer('t', 'approval:b', 777);
        expect(await store.getTimer('t', 'approval:a')).toBe(12345);
        await store.deleteTimer('t', 'approval:a');
        expect(await store.getTimer('t', 'approval:a')).toBeUndefined();
        await store.deleteRun('t');
        expect(await store.getTimer('t', 'approval:b')).toBeUndefined();
      });
    });

    describe('the response cache', () => {
      it('keeps a response by key, exactly as given, until replaced', async () => {
        expect(await store.cacheGet('a:h1')).toBeUndefined();
        await store.cachePut('a:h1', { output: { ['__proto__']: 1, n: [1, 'x'] }, expiresAt: 50 });
        expect(await store.cacheGet('a:h1')).toEqual({ output: JSON.parse('{"__proto__":1,"n":[1,"x"]}'), expiresAt: 50 });
        await store.cachePut('a:h1', { output: 'newer', expiresAt: 99 });
        expect(await store.cacheGet('a:h1')).toEqual({ output: 'newer', expiresAt: 99 });
      });
    });

    describe('snapshots', () => {
      it('saves and loads the latest snapshot of a run', async () => {
        expect(await store.loadSnapshot('r1')).toBeUndefined();
        await store.saveSnapshot({ runId: 'r1', seq: 2, state: { value: 'a', ctx: [1, 2] } });
        await store.saveSnapshot({ runId: 'r1', seq: 4, state: { value: 'b' } });
        expect(await store.loadSnapshot('r1')).toEqual({ runId: 'r1', seq: 4, state: { value: 'b' } });
      });
    });

    describe('when closed', () => {
      it('rejects writes with TROUPE_RUNTIME_STOPPED', async () => {
        const run = makeRun('r1');
        await store.createRun(run);
        await store.close();
        await store.close();
        expect(await codeOf(store.createRun(makeRun('r2')))).toBe('TROUPE_RUNTIME_STOPPED');
        expect(await codeOf(store.append('r1', makeEntries(run, 1)[0]!))).toBe('TROUPE_RUNTIME_STOPPED');
        expect(await codeOf(store.updateRun('r1', { status: 'paused' }))).toBe('TROUPE_RUNTIME_STOPPED');
        expect(await codeOf(store.saveSnapshot({ runId: 'r1', seq: 0, state: null }))).toBe('TROUPE_RUNTIME_STOPPED');
      });
    });
  });
}

/** A JSON value as stores keep it: -0 is 0 in JSON, as in the canonical encoding the hash covers. */
function jsonNormal(v: unknown): unknown {
  return JSON.parse(JSON.stringify(v)) as unknown;
}
