import { randomUUID } from 'node:crypto';
import { TroupeError } from '../errors/index.js';
import { genesisHash, sealEntry, type ContextEntry, type RunRecord, type Store } from '../store/index.js';
import { replayRun, RunCore, type CompiledWorkflow, type RunEnv } from '../workflow/index.js';

/** Options of `runtime.fork`. */
export interface ForkOptions {
  /** Keep the source's log up to this version (seq). @defaultValue the whole log */
  readonly version?: number;
  /** The fork's input. @defaultValue the source run's input */
  readonly input?: unknown;
  /** A changed workflow (a registered name or a definition) to continue with. @defaultValue the source's */
  readonly workflow?: CompiledWorkflow;
  /** @defaultValue a random UUID */
  readonly runId?: string;
}

/**
 * Fork a new run from version N of an old one: the first N entries are copied (their recorded
 * outputs, re-chained from the fork's own genesis), then the fork carries on from there, with a
 * changed input or workflow if given. The source run is never touched.
 *
 * @throws `TROUPE_RUN_NOT_FOUND`, `TROUPE_RUNTIME_OPTIONS_INVALID` (bad version),
 *   `TROUPE_REPLAY_DIVERGED` (the kept entries do not fit the changed workflow)
 */
export async function forkRun(
  host: {
    readonly store: Store;
    readonly env: RunEnv;
    workflow(name: string): CompiledWorkflow;
    /** A new run's record, as the runtime makes them. */
    record(id: string, wf: CompiledWorkflow, input: unknown): RunRecord;
    adopt(run: RunCore): void;
  },
  sourceId: string,
  options: ForkOptions = {},
): Promise<RunCore> {
  const source = await host.store.getRun(sourceId);
  if (!source) throw new TroupeError('TROUPE_RUN_NOT_FOUND', `no run with id ${sourceId} to fork`, { data: { runId: sourceId } });
  const version = options.version ?? source.headSeq;
  if (!Number.isInteger(version) || version < 0 || version > source.headSeq) {
    throw new TroupeError('TROUPE_RUNTIME_OPTIONS_INVALID', `fork of ${sourceId}: version must be an integer from 0 to ${source.headSeq}, got ${String(version)}`, {
      data: { runId: sourceId, version },
    });
  }
  const wf = options.workflow ?? host.workflow(source.workflow);
  const input = options.input === undefined ? source.input : options.input;
  const kept = await host.store.read(sourceId, version);
  let prev = genesisHash(wf.hash, input);
  const entries: ContextEntry[] = kept.map((e) => {
    const { hash: _old, ...rest } = e;
    const sealed = sealEntry({ ...rest, prevHash: prev });
    prev = sealed.hash;
    return sealed;
  });
  const state = await replayRun(wf, input, entries); // throws TROUPE_REPLAY_DIVERGED before anything is written
  const record = host.record(options.runId ?? randomUUID(), wf, input);
  await host.store.createRun(record);
  for (const e of entries) {
    record.headSeq = e.seq;
    record.headHash = e.hash;
    await host.store.append(record.id, e);
  }
  const run = new RunCore(wf, host.env, record);
  host.adopt(run);
  run.restore(entries, state);
  return run;
}
