// troupe as a system under test of runtime-throughput (loaded with a dynamic import, so
// `--only langgraph` never loads troupe), and the two benchmark workflows.
import { AsyncLocalStorage } from 'node:async_hooks';
import type { WorkflowDefinition } from '../../src/index.js';
import type { SystemUnderTest, Workload, WorkflowName } from './workflows.js';

// The built package (dist/, tsc's output), as users run it: tsx's transform of src/ runs this
// path 10-20% slower. Build first (`npm run build`). A URL, not a specifier, so that type-checking
// needs no build and tsconfig `paths` (which map `troupe` to src/) do not apply.
const { createRuntime, defineAgent } = (await import(new URL('../../dist/index.js', import.meta.url).href)) as typeof import('../../src/index.js');

/** The two benchmark workflows on troupe (shared with store-durability, so the benchmarks compare). */
export const DEFINITIONS = {
  'sequential-3': {
    name: 'sequential-3',
    steps: {
      a: { agent: 'noop', next: 'b' },
      b: { agent: 'noop', next: 'c' },
      c: { agent: 'noop' },
    },
  },
  'fanout-4': {
    name: 'fanout-4',
    steps: {
      start: { agent: 'noop', next: 'fan' },
      fan: {
        parallel: {
          b1: { agent: 'noop' },
          b2: { agent: 'noop' },
          b3: { agent: 'noop' },
          b4: { agent: 'noop' },
        },
        next: 'join',
      },
      join: { agent: 'noop' },
    },
  },
} as const satisfies Record<WorkflowName, WorkflowDefinition>;

/** troupe with its defaults (MemoryStore): a fresh runtime per workload, stopped on close. */
export const troupe: SystemUnderTest = {
  name: 'troupe',
  async prepare(workflow): Promise<Workload> {
    const noop = defineAgent({ id: 'noop', execute: () => ({ ok: true }) });
    const rt = await createRuntime({ agents: [noop], workflows: [DEFINITIONS[workflow]] });
    return {
      startOne: async (i) => {
        const run = await rt.start(workflow, { n: i });
        await run.result();
      },
      close: () => rt.stop(),
    };
  },
};

/**
 * troupe as above, in a process where an AsyncLocalStorage is on, as in an app traced with
 * OpenTelemetry or one that also runs LangChain: Node's promise hooks then run for every promise
 * of the process. Measured in a process of its own (it cannot be turned off).
 */
export const troupeWithAsyncContext: SystemUnderTest = {
  name: 'troupe-async-context',
  async prepare(workflow): Promise<Workload> {
    new AsyncLocalStorage<{ readonly tenant: string }>().enterWith({ tenant: 'bench' });
    return troupe.prepare(workflow);
  },
};
