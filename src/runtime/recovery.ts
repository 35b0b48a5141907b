import { toErrorValue, type ErrorValue } from '../errors/index.js';
import type { RunRecord, Store } from '../store/index.js';
import { replayRun, RunCore, type CompiledWorkflow, type RunEnv } from '../workflow/index.js';

/** What recovery did with one interrupted run. */
export type RecoveryOutcome =
  | { readonly runId: string; readonly workflow: string; readonly resumed: true; readonly run: RunCore }
  | { readonly runId: string; readonly workflow: string; readonly resumed: false; readonly error: ErrorValue };

/** What recovery needs from the runtime. */
export interface RecoveryHost {
  readonly store: Store;
  readonly env: RunEnv;
  /** The compiled workflow a root run record names. @throws `TROUPE_WORKFLOW_NOT_FOUND` */
  workflow(name: string): CompiledWorkflow;
  /** Track a resumed run as active. */
  adopt(run: RunCore): void;
}

/**
 * Resume every run the store says was not finished: rebuild each from its definition and its
 * log (never from an XState snapshot), parents before their sub-runs, and re-link each sub-run
 * to the parent step that waits for it. A run whose workflow is not registered, or whose log no
 * longer fits its workflow, is reported and left as it is.
 */
export async function recoverRuns(host: RecoveryHost): Promise<RecoveryOutcome[]> {
  const records = await host.store.recover();
  const byId = new Map<string, RunCore>();
  const outcomes: RecoveryOutcome[] = [];
  // Parents first: a sub-run's workflow is found through its parent's compiled workflow.
  const pending = [...records].sort((a, b) => depth(a.id) - depth(b.id));
  for (const record of pending) {
    try {
      const parent = record.parentRunId === undefined ? undefined : byId.get(record.parentRunId);
      if (record.parentRunId !== undefined && !parent) throw new Error(`its parent run ${record.parentRunId} was not resumed`);
      const wf = parent ? childWorkflow(parent.wf, record.workflow) : host.workflow(record.workflow);
      const entries = await host.store.read(record.id);
      const state = await replayRun(wf, record.input, entries);
      const run = new RunCore(wf, host.env, record);
      if (parent) {
        const step = parent.record.currentSteps[0]!;
        run.onDone = (ok, value) => parent.childDone(step, ok, value, run);
        parent.adopt(run);
      }
      host.adopt(run);
      run.restore(entries, state);
      byId.set(record.id, run);
      outcomes.push({ runId: record.id, workflow: record.workflow, resumed: true, run });
    } catch (e) {
      outcomes.push({ runId: record.id, workflow: record.workflow, resumed: false, error: toErrorValue(e, 'TROUPE_REPLAY_DIVERGED') });
    }
  }
  return outcomes;
}

/** Sub-run ids are `<parent>/<step>:<suffix>`: their depth orders parents first. */
function depth(id: string): number {
  let n = 0;
  for (const c of id) if (c === '/') n++;
  return n;
}

function childWorkflow(parent: CompiledWorkflow, name: string): CompiledWorkflow {
  for (const wf of parent.children.values()) if (wf.name === name) return wf;
  throw new Error(`workflow ${parent.name} has no sub-workflow named ${name}`);
}

export type { RunRecord };
