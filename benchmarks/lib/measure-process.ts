// One measurement in a process of its own (see isolated.ts): loads the system asked for, measures
// it on one workflow, sends the result over IPC and exits. Its progress goes to stderr.
import { measure, type MeasureOptions, type SystemResult } from './measure.js';
import type { SystemUnderTest, WorkflowName } from './workflows.js';

/** What the parent asks for. */
export interface MeasureRequest {
  readonly system: IsolatedSystem;
  readonly workflow: WorkflowName;
  readonly options: MeasureOptions;
}

/** What the child answers. */
export type MeasureReply = { readonly type: 'result'; readonly result: SystemResult } | { readonly type: 'failed'; readonly message: string };

/** The systems runtime-throughput measures, each loaded only in its own process. */
export const ISOLATED_SYSTEMS = {
  'plain-async': async () => (await import('./plain-async.js')).plainAsync,
  langgraph: async () => (await import('./langgraph.js')).langgraph,
  'langgraph-memorysaver': async () => (await import('./langgraph.js')).langgraphMemorySaver,
  troupe: async () => (await import('./troupe.js')).troupe,
  'troupe-async-context': async () => (await import('./troupe.js')).troupeWithAsyncContext,
} as const satisfies Record<string, () => Promise<SystemUnderTest>>;

export type IsolatedSystem = keyof typeof ISOLATED_SYSTEMS;

async function answer(req: MeasureRequest): Promise<MeasureReply> {
  const system = await ISOLATED_SYSTEMS[req.system]();
  return { type: 'result', result: await measure(() => system.prepare(req.workflow), req.options) };
}

if (process.send !== undefined) {
  process.once('message', (req: MeasureRequest) => {
    answer(req).then(
      (reply) => process.send!(reply, () => process.exit(0)),
      (err: unknown) => process.send!({ type: 'failed', message: err instanceof Error ? (err.stack ?? err.message) : String(err) } satisfies MeasureReply, () => process.exit(1)),
    );
  });
}
