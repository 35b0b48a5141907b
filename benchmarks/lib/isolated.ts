import { fork } from 'node:child_process';
import type { MeasureOptions, SystemResult } from './measure.js';
import type { IsolatedSystem, MeasureReply, MeasureRequest } from './measure-process.js';
import type { WorkflowName } from './workflows.js';

export type { IsolatedSystem } from './measure-process.js';

/**
 * Measure one system on one workflow in a fresh Node process (measure-process.ts, through tsx,
 * with `--expose-gc`), so that no system runs in a process another one has changed. LangGraph,
 * for one, turns on an AsyncLocalStorage when its graphs run, and with it Node's promise hooks for
 * every promise of the process from then on: troupe measured after it in the same process ran
 * 10-13% fewer runs/s (benchmarks in the README).
 */
export function measureIsolated(system: IsolatedSystem, workflow: WorkflowName, options: MeasureOptions): Promise<SystemResult> {
  const child = fork(new URL('./measure-process.ts', import.meta.url), [], { execArgv: ['--expose-gc', '--import', 'tsx'], stdio: ['ignore', 2, 2, 'ipc'] });
  return new Promise((resolve, reject) => {
    let reply: MeasureReply | null = null;
    child.once('message', (r: MeasureReply) => (reply = r));
    child.once('error', reject);
    child.once('exit', (code, signal) => {
      if (reply?.type === 'result') resolve(reply.result);
      else if (reply?.type === 'failed') reject(new Error(`${system} on ${workflow}: ${reply.message}`));
      else reject(new Error(`${system} on ${workflow}: the measuring process exited (${signal ?? `code ${code}`}) without a result`));
    });
    child.send({ system, workflow, options } satisfies MeasureRequest);
  });
}
