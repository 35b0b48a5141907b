import { afterEach, describe, expect, it } from 'vitest';
import { createRuntime, defineAgent, defineWorkflow, type AgentContext, type RunEvent, type TroupeRuntime, type WorkflowIssue } from '../../src/index.js';
import * as api from '../../src/index.js';
import { deferred, rejectionOf, turn } from '../workflow/run-helpers.js';

let rt: TroupeRuntime | undefined;
afterEach(async () => {
  await rt?.stop({ timeoutMs: 200 });
  rt = undefined;
});

const echo = () => defineAgent({ id: 'echo', execute: (i: unknown) => i });

/** An agent that blocks until released; it rejects when its signal aborts. */
function blocker(id = 'blocker') {
  const started = deferred<AgentContext>();
  const release = deferred<unknown>();
  const agent = defineAgent({
    id,
    execute: (_i: unknown, ctx: AgentContext) =>
      new Promise((resolve, reject) => {
        ctx.signal.addEventListener('abort', () => reject(ctx.signal.reason));
        started.resolve(ctx);
        void release.promise.then(resolve);
      }),
  });
  return { agent, started: started.promise, release: release.resolve };
}

describe('createRuntime', () => {
  it('is the public API with defineAgent and defineWorkflow, and runs a built workflow', async () => {
    expect(typeof api.createRuntime).toBe('function');
    expect(typeof api.defineAgent).toBe('function');
    expect(typeof api.defineWorkflow).toBe('function');
    const wf = defineWorkflow('hello').step('greet', { agent: 'greeter', input: '{ "name": input.name }' }).build();
    rt = await createRuntime({ agents: [defineAgent({ id: 'greeter', execute: (i: { name: string }) => `hello ${i.name}` })], workflows: [wf] });
    expect(await (await rt.start('hello', { name: 'Ada' })).result()).toBe('hello Ada');
  });

  it('lets two runtimes coexist in one process with the same agent ids', async () => {
    const mk = (tag: string) => defineAgent({ id: 'same', execute: () => tag });
    const one = await createRuntime({ agents: [mk('one')] });
    const two = await createRuntime({ agents: [mk('two')] });
    try {
      const def = { name: 'w', steps: { s: { agent: 'same' } } };
      const [a, b] = await Promise.all([one.start(def), two.start(def)]);
      expect([await a.result(), await b.result()]).toEqual(['one', 'two']);
    } finally {
      await one.stop();
      await two.stop();
    }
  });

  it('refuses an unknown policy with TROUPE_RUNTIME_OPTIONS_INVALID', async () => {
    const e = await rejectionOf(createRuntime({ policy: 'random' as never }));
    expect(e.code).toBe('TROUPE_RUNTIME_OPTIONS_INVALID');
    expect(e.message).toContain('policy');
  });

  it('reports every run event to rt.on listeners', async () => {
    rt = await createRuntime({ agents: [echo()] });
    const events: RunEvent[] = [];
    const off = rt.on((e) => events.push(e));
    const run = await rt.start({ name: 'ev', steps: { s: { agent: 'echo' } } }, {});
    await run.result();
    off();
    // The run announces itself, each step starts and is sealed into the log (entry.appended, with its hash), then completes.
    expect(events.map((e) => e.type)).toEqual(['run.status', 'step.started', 'entry.appended', 'step.completed', 'run.status']);
    expect(events[0]).toMatchObject({ type: 'run.status', runId: run.id, status: 'running' });
    expect(events.at(-1)).toMatchObject({ type: 'run.status', runId: run.id, status: 'completed' });
  });

  it("a listener with { perStep: false } gets run states, retries and failures but no step's routine events; others still get them all", async () => {
    let calls = 0;
    const flaky = defineAgent({ id: 'flaky', retry: { max: 1, base: '1ms', jitter: false }, circuitBreaker: false, execute: () => (calls++ === 0 ? Promise.reject(new Error('once')) : 'ok') });
    const broken = defineAgent({ id: 'broken', retry: { max: 0 }, circuitBreaker: false, execute: () => Promise.reject(new Error('always')) });
    rt = await createRuntime({ agents: [echo(), flaky, broken] });
    const coarse: RunEvent[] = [];
    const all: RunEvent[] = [];
    const offCoarse = rt.on((e) => coarse.push(e), { perStep: false });
    const offThrowing = rt.on(() => {
      throw new Error('a listener that throws');
    });
    const offAll = rt.on((e) => all.push(e));
    const ok = await rt.start({ name: 'ok', steps: { a: { agent: 'echo', next: 'b' }, b: { agent: 'flaky' } } }, {});
    await ok.result();
    const bad = await rt.start({ name: 'bad', steps: { a: { agent: 'broken' } } }, {});
    await rejectionOf(bad.result());
    const types = (events: RunEvent[], runId: string) => events.filter((e) => e.runId === runId).map((e) => (e.type === 'step.started' ? `${e.type}#${e.attempt}` : e.type));
    expect(types(coarse, ok.id)).toEqual(['run.status', 'step.started#2', 'run.status']);
    expect(types(coarse, bad.id)).toEqual(['run.status', 'step.failed', 'run.status']);
    expect(types(all, ok.id)).toEqual(['run.status', 'step.started#1', 'entry.appended', 'step.completed', 'step.started#1', 'step.started#2', 'entry.appended', 'step.completed', 'run.status']);
    // Without a listener that wants them, the runs no longer make them: the coarse listener sees the same.
    offAll();
    offThrowing();
    const again = await rt.start({ name: 'again', steps: { a: { agent: 'echo' } } }, {});
    await again.result();
    expect(types(coarse, again.id)).toEqual(['run.status', 'run.status']);
    offCoarse();
  });

  it('finds a run by id with getRun, and throws TROUPE_RUN_NOT_FOUND for an unknown one', async () => {
    rt = await createRuntime({ agents: [echo()] });
    const run = await rt.start({ name: 'g', steps: { s: { agent: 'echo' } } }, {}, { runId: 'my-run' });
    expect(rt.getRun('my-run')).toBe(run);
    await run.result();
    expect(rt.getRun('my-run').status().status).toBe('completed');
    // peek(): the record itself (read at once), status(): a copy.
    expect(run.peek()).toBe(run.peek());
    expect(run.status()).not.toBe(run.peek());
    expect(run.status()).toEqual(run.peek());
    expect((await rejectionOf(() => rt!.getRun('nope'))).code).toBe('TROUPE_RUN_NOT_FOUND');
    expect((await rejectionOf(rt.start({ name: 'g', steps: { s: { agent: 'echo' } } }, {}, { runId: 'my-run' }))).code).toBe('TROUPE_RUNTIME_OPTIONS_INVALID');
  });
});

describe('bad input', () => {
  it('rejects an unknown workflow name with TROUPE_WORKFLOW_NOT_FOUND', async () => {
    rt = await createRuntime({ agents: [echo()], workflows: [{ name: 'known', steps: { s: { agent: 'echo' } } }] });
    const e = await rejectionOf(rt.start('unknown', {}));
    expect(e.code).toBe('TROUPE_WORKFLOW_NOT_FOUND');
    expect(e.message).toContain('unknown');
    expect(e.message).toContain('known');
  });

  it('rejects run input that fails the workflow input schema with TROUPE_RUN_INPUT_INVALID naming the path', async () => {
    rt = await createRuntime({
      agents: [echo()],
      workflows: [
        {
          name: 'typed',
          input: { type: 'object', required: ['alert'], properties: { alert: { type: 'object', properties: { severity: { enum: ['low', 'high'] } } } } },
          steps: { s: { agent: 'echo' } },
        },
      ],
    });
    const e = await rejectionOf(rt.start('typed', { alert: { severity: 'apocalyptic' } }));
    expect(e.code).toBe('TROUPE_RUN_INPUT_INVALID');
    expect(e.message).toContain('/alert/severity');
    expect(e.data.issues).toEqual([expect.objectContaining({ path: '/alert/severity' })]);
    const missing = await rejectionOf(rt.start('typed', {}));
    expect(missing.code).toBe('TROUPE_RUN_INPUT_INVALID');
    expect(missing.message).toContain('alert');
    expect(await rt.store.listRuns()).toEqual([]); // nothing was started
  });

  it('refuses a definition naming an unknown agent with TROUPE_WORKFLOW_INVALID at /steps/x/agent', async () => {
    rt = await createRuntime({ agents: [echo()] });
    const def = { name: 'bad', steps: { first: { agent: 'echo', next: 'x' }, x: { agent: 'ghost' } } };
    const e = await rejectionOf(() => rt!.registerWorkflow(def));
    expect(e.code).toBe('TROUPE_WORKFLOW_INVALID');
    expect(e.data.issues.map((i: WorkflowIssue) => i.path)).toEqual(['/steps/x/agent']);
    expect(e.message).toContain('/steps/x/agent');
    expect(e.message).toContain('ghost');
    // Starting the definition directly and creating a runtime with it fail the same way.
    expect((await rejectionOf(rt.start(def, {}))).code).toBe('TROUPE_WORKFLOW_INVALID');
    const e2 = await rejectionOf(createRuntime({ agents: [echo()], workflows: [def] }));
    expect(e2.data.issues.map((i: WorkflowIssue) => i.path)).toEqual(['/steps/x/agent']);
  });

  it('names /steps/x/capability for an unknown capability, and the branch path inside a parallel step', async () => {
    rt = await createRuntime({ agents: [echo()] });
    const e = await rejectionOf(() =>
      rt!.registerWorkflow({ name: 'bad2', steps: { x: { capability: 'teleport', next: 'p' }, p: { parallel: { a: { agent: 'echo' }, b: { agent: 'nobody' } } } } }),
    );
    expect(e.code).toBe('TROUPE_WORKFLOW_INVALID');
    expect(e.data.issues.map((i: WorkflowIssue) => i.path).sort()).toEqual(['/steps/p/parallel/b/agent', '/steps/x/capability']);
  });
});

describe('stopping the runtime', () => {
  it('waits for runs in flight to finish (drain) before it resolves', async () => {
    const b = blocker();
    rt = await createRuntime({ agents: [b.agent, echo()] });
    const run = await rt.start({ name: 'drain', steps: { s: { agent: 'blocker', next: 't' }, t: { agent: 'echo', input: '{ "got": s }' } } }, {});
    await b.started;
    let stopped = false;
    const stopping = rt.stop().then(() => (stopped = true));
    await turn(20);
    expect(stopped).toBe(false);
    expect(run.status().status).toBe('running');
    b.release('value');
    await stopping;
    expect(await run.result()).toEqual({ got: 'value' });
    expect(run.status().status).toBe('completed');
  });

  it('takes no new work while draining or after: start() rejects with TROUPE_RUNTIME_STOPPED', async () => {
    const b = blocker();
    rt = await createRuntime({ agents: [b.agent, echo()], workflows: [{ name: 'w', steps: { s: { agent: 'echo' } } }] });
    const run = await rt.start({ name: 'drain', steps: { s: { agent: 'blocker' } } }, {});
    await b.started;
    const stopping = rt.stop();
    expect((await rejectionOf(rt.start('w', {}))).code).toBe('TROUPE_RUNTIME_STOPPED');
    b.release('done');
    await stopping;
    await run.result();
    expect((await rejectionOf(rt.start('w', {}))).code).toBe('TROUPE_RUNTIME_STOPPED');
    expect((await rejectionOf(() => rt!.registerAgent(echo()))).code).toBe('TROUPE_RUNTIME_STOPPED');
    expect(rt.stop()).toBe(stopping); // idempotent
  });

  it('interrupts runs still in flight after timeoutMs, aborting their agents', async () => {
    const b = blocker();
    rt = await createRuntime({ agents: [b.agent] });
    const run = await rt.start({ name: 'stuck', steps: { s: { agent: 'blocker' } } }, {});
    const ctx = await b.started;
    await rt.stop({ timeoutMs: 20 });
    expect(ctx.signal.aborted).toBe(true);
    expect((await rejectionOf(run.result())).code).toBe('TROUPE_RUNTIME_STOPPED');
    // The record is left as it was, so a durable store could resume the run.
    expect(run.status().status).toBe('running');
  });

  it('resolves at once when nothing is running', async () => {
    rt = await createRuntime({ agents: [echo()] });
    await (await rt.start({ name: 'w', steps: { s: { agent: 'echo' } } }, {})).result();
    await rt.stop();
    expect(rt.activeRuns()).toEqual([]);
  });
});
