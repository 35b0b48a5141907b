import { afterEach, describe, expect, it } from 'vitest';
import { createRuntime, defineAgent, type TroupeRuntime, type WorkflowDefinition } from '../../src/index.js';
import { failureOf } from './run-helpers.js';

let rt: TroupeRuntime | undefined;
afterEach(async () => {
  await rt?.stop();
  rt = undefined;
});

/** Records every input it receives and returns what `fn` makes of it. */
function recorder(id: string, fn: (input: any) => unknown = (i) => i) {
  const inputs: unknown[] = [];
  const agent = defineAgent({
    id,
    execute: (input: unknown) => {
      inputs.push(input);
      return fn(input);
    },
  });
  return { agent, inputs };
}

describe('a run', () => {
  describe('with steps in sequence', () => {
    it('runs each step after the previous one and ends with the last output', async () => {
      const order: string[] = [];
      const step = (id: string) =>
        defineAgent({
          id,
          execute: async (i: { n: number }) => {
            order.push(id);
            await Promise.resolve();
            return { n: i.n * 10 + Number(id.slice(1)) };
          },
        });
      rt = await createRuntime({ agents: [step('s1'), step('s2'), step('s3')] });
      const run = await rt.start(
        {
          name: 'seq',
          steps: {
            a: { agent: 's1', input: '{ "n": input.n }', next: 'b' },
            b: { agent: 's2', input: '{ "n": a.n }', next: 'c' },
            c: { agent: 's3', input: '{ "n": b.n }' },
          },
        },
        { n: 0 },
      );
      expect(await run.result()).toEqual({ n: 123 });
      expect(order).toEqual(['s1', 's2', 's3']);
      expect(run.status().status).toBe('completed');
      expect((await run.context()).map((e) => [e.step, e.agent])).toEqual([
        ['a', 's1'],
        ['b', 's2'],
        ['c', 's3'],
      ]);
    });
  });

  describe('with conditional routing (`when` in JSONata)', () => {
    const wf: WorkflowDefinition = {
      name: 'route',
      steps: {
        classify: {
          agent: 'classify',
          input: 'input',
          next: [
            { when: 'classify.score > 10', to: 'big' },
            { when: 'classify.score > 5', to: 'medium' },
            { when: 'classify.score > 0', to: 'small' },
          ],
        },
        big: { agent: 'big' },
        medium: { agent: 'medium' },
        small: { agent: 'small' },
      },
    };
    const agents = () => [
      defineAgent({ id: 'classify', execute: (i: { score: number }) => ({ score: i.score }) }),
      defineAgent({ id: 'big', execute: () => 'big' }),
      defineAgent({ id: 'medium', execute: () => 'medium' }),
      defineAgent({ id: 'small', execute: () => 'small' }),
    ];

    it('takes the first rule whose condition is true, even when later rules also match', async () => {
      rt = await createRuntime({ agents: agents(), workflows: [wf] });
      // score 20 satisfies all three rules: the first one wins.
      expect(await (await rt.start('route', { score: 20 })).result()).toBe('big');
      expect(await (await rt.start('route', { score: 7 })).result()).toBe('medium');
      expect(await (await rt.start('route', { score: 1 })).result()).toBe('small');
    });

    it('ends the run successfully after the step when no rule matches', async () => {
      rt = await createRuntime({ agents: agents(), workflows: [wf] });
      const run = await rt.start('route', { score: -3 });
      expect(await run.result()).toEqual({ score: -3 });
      expect(run.status().status).toBe('completed');
      expect((await run.context()).map((e) => e.step)).toEqual(['classify']);
    });

    it('treats a rule without `when` as the default', async () => {
      const cls = defineAgent({ id: 'classify', execute: (i: { score: number }) => ({ score: i.score }) });
      const other = defineAgent({ id: 'other', execute: () => 'other' });
      const high = defineAgent({ id: 'high', execute: () => 'high' });
      rt = await createRuntime({ agents: [cls, other, high] });
      const def: WorkflowDefinition = {
        name: 'dflt',
        steps: {
          c: { agent: 'classify', input: 'input', next: [{ when: 'c.score > 10', to: 'h' }, { to: 'o' }] },
          h: { agent: 'high' },
          o: { agent: 'other' },
        },
      };
      expect(await (await rt.start(def, { score: 11 })).result()).toBe('high');
      expect(await (await rt.start(def, { score: 2 })).result()).toBe('other');
    });
  });

  describe('input mappings', () => {
    it('builds an object from an object of expressions, leaving out keys that are undefined', async () => {
      const src = recorder('src', () => ({ name: 'Ada', tags: ['x', 'y'] }));
      const dst = recorder('dst');
      rt = await createRuntime({ agents: [src.agent, dst.agent] });
      const run = await rt.start(
        {
          name: 'map-obj',
          steps: {
            a: { agent: 'src', input: 'input', next: 'b' },
            b: { agent: 'dst', input: { who: 'a.name', count: '$count(a.tags)', id: 'input.id', note: '"fixed"', missing: 'a.nothing' } },
          },
        },
        { id: 7 },
      );
      await run.result();
      expect(dst.inputs).toEqual([{ who: 'Ada', count: 2, id: 7, note: 'fixed' }]);
    });

    it('uses the value of a single expression as the input', async () => {
      const src = recorder('src', () => ({ list: [1, 2, 3] }));
      const dst = recorder('dst');
      rt = await createRuntime({ agents: [src.agent, dst.agent] });
      const run = await rt.start({ name: 'map-one', steps: { a: { agent: 'src', next: 'b' }, b: { agent: 'dst', input: '$sum(a.list)' } } }, {});
      expect(await run.result()).toBe(6);
      expect(dst.inputs).toEqual([6]);
    });

    it('gives a step without a mapping the context view {input, <step>: output}', async () => {
      const first = recorder('first', () => ({ one: 1 }));
      const second = recorder('second', () => ({ two: 2 }));
      const third = recorder('third', () => 'done');
      rt = await createRuntime({ agents: [first.agent, second.agent, third.agent] });
      const run = await rt.start({ name: 'view', steps: { a: { agent: 'first', next: 'b' }, b: { agent: 'second', next: 'c' }, c: { agent: 'third' } } }, { q: 'hi' });
      await run.result();
      expect(first.inputs).toEqual([{ input: { q: 'hi' } }]);
      expect(second.inputs).toEqual([{ input: { q: 'hi' }, a: { one: 1 } }]);
      expect(third.inputs).toEqual([{ input: { q: 'hi' }, a: { one: 1 }, b: { two: 2 } }]);
    });
  });

  describe('output', () => {
    it('is the value of the workflow `output` expression over the final view', async () => {
      const a = recorder('a', () => ({ x: 2 }));
      const b = recorder('b', () => ({ y: 3 }));
      rt = await createRuntime({ agents: [a.agent, b.agent] });
      const run2 = await rt.start(
        { name: 'out2', output: '{ "sum": s1.x + s2.y, "who": input.who }', steps: { s1: { agent: 'a', next: 's2' }, s2: { agent: 'b' } } },
        { who: 'me' },
      );
      expect(await run2.result()).toEqual({ sum: 5, who: 'me' });
      expect(run2.status().output).toEqual({ sum: 5, who: 'me' });
    });
  });

  describe('onError routing', () => {
    it('routes an invalid output (TROUPE_AGENT_OUTPUT_INVALID) to a diagnostic step that sees error.code', async () => {
      const bad = defineAgent({
        id: 'bad',
        output: { type: 'object', required: ['severity'], properties: { severity: { enum: ['low', 'high'] } } },
        execute: () => ({ severity: 'catastrophic' }),
      });
      const diag = recorder('diagnose', (i: { code: string; message: string }) => ({ diagnosed: i.code }));
      const never = recorder('never');
      rt = await createRuntime({ agents: [bad, diag.agent, never.agent] });
      const run = await rt.start(
        {
          name: 'on-error',
          steps: {
            triage: {
              agent: 'bad',
              next: 'after',
              onError: [
                { when: 'error.code = "TROUPE_AGENT_TIMEOUT"', to: 'after' },
                { when: 'error.code = "TROUPE_AGENT_OUTPUT_INVALID"', to: 'diagnose' },
              ],
            },
            diagnose: { agent: 'diagnose', input: '{ "code": triage.error.code, "message": triage.error.message }' },
            after: { agent: 'never' },
          },
        },
        {},
      );
      expect(await run.result()).toEqual({ diagnosed: 'TROUPE_AGENT_OUTPUT_INVALID' });
      expect(diag.inputs[0]).toMatchObject({ code: 'TROUPE_AGENT_OUTPUT_INVALID' });
      expect((diag.inputs[0] as { message: string }).message).toContain('/severity');
      expect(never.inputs).toEqual([]);
      const log = await run.context();
      expect(log.map((e) => [e.kind, e.step])).toEqual([
        ['error', 'triage'],
        ['step', 'diagnose'],
      ]);
    });

    it('fails the run with the step error when no onError rule matches', async () => {
      const boom = defineAgent({
        id: 'boom',
        circuitBreaker: false,
        execute: () => {
          throw new Error('kaput');
        },
      });
      const other = recorder('other');
      rt = await createRuntime({ agents: [boom, other.agent] });
      const run = await rt.start({ name: 'nomatch', steps: { a: { agent: 'boom', onError: [{ when: 'error.code = "NOPE"', to: 'b' }] }, b: { agent: 'other' } } }, {});
      const f = await failureOf(run);
      expect(f.runCode).toBe('TROUPE_RUN_FAILED');
      expect(f.code).toBe('TROUPE_AGENT_FAILED');
      expect(f.message).toContain('kaput');
      expect(run.status().status).toBe('failed');
      expect(run.status().error?.code).toBe('TROUPE_AGENT_FAILED');
      expect(other.inputs).toEqual([]);
    });
  });
});
