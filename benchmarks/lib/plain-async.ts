import type { SystemUnderTest, Workload, WorkflowName } from './workflows.js';

/** The agent every shape calls: an awaited function returning a small object. */
async function noop(_input: unknown): Promise<{ ok: true }> {
  return { ok: true };
}

const SHAPES: Record<WorkflowName, (input: { n: number }) => Promise<unknown>> = {
  'sequential-3': async (input) => {
    const a = await noop(input);
    const b = await noop(a);
    return noop(b);
  },
  'fanout-4': async (input) => {
    const start = await noop(input);
    const [b1, b2, b3, b4] = await Promise.all([noop(start), noop(start), noop(start), noop(start)]);
    return noop({ b1, b2, b3, b4 });
  },
};

/**
 * The same shapes as plain awaited calls: no scheduler, no state, no persistence. A ceiling for
 * what any orchestrator can reach on this machine, not a competitor.
 */
export const plainAsync: SystemUnderTest = {
  name: 'plain-async',
  async prepare(workflow): Promise<Workload> {
    const shape = SHAPES[workflow];
    return { startOne: (i) => shape({ n: i }), close: async () => {} };
  },
};
