import { genesisHash, sealEntry, type ContextEntry, type RunRecord } from '../../src/store/index.js';

/** A run record with defaults. */
export function makeRun(id: string, over: Partial<RunRecord> = {}): RunRecord {
  const input = 'input' in over ? over.input : { id };
  const definitionHash = over.definitionHash ?? 'def-hash';
  return {
    id,
    workflow: 'wf',
    definitionHash,
    input,
    status: 'running',
    createdAt: 1,
    updatedAt: 1,
    headSeq: 0,
    headHash: genesisHash(definitionHash, input),
    currentSteps: ['a'],
    ...over,
  };
}

/** `count` sealed entries chained from `run`'s head, with outputs from `outputs` (or defaults). */
export function makeEntries(run: RunRecord, count: number, outputs: unknown[] = []): ContextEntry[] {
  const out: ContextEntry[] = [];
  let prev = run.headHash;
  for (let i = 0; i < count; i++) {
    const seq = run.headSeq + i + 1;
    const e = sealEntry({ seq, kind: 'step', step: `s${seq}`, agent: 'echo', output: i < outputs.length ? outputs[i] : { n: seq }, at: 100 + seq, prevHash: prev });
    out.push(e);
    prev = e.hash;
  }
  return out;
}
