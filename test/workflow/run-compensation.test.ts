import { afterEach, describe, expect, it } from 'vitest';
import { createRuntime, defineAgent, type TroupeRuntime, type WorkflowDefinition } from '../../src/index.js';
import { failureOf } from './run-helpers.js';

let rt: TroupeRuntime | undefined;
afterEach(async () => {
  await rt?.stop();
  rt = undefined;
});

describe('compensation (saga)', () => {
  const calls: [string, unknown][] = [];
  const agent = (id: string, fn: (i: any) => unknown = (i) => i) =>
    defineAgent({
      id,
      circuitBreaker: false,
      execute: (i: unknown) => {
        calls.push([id, i]);
        return fn(i);
      },
    });
  const agents = () => [
    agent('book-flight', () => ({ flight: 'F1' })),
    agent('book-hotel', () => ({ hotel: 'H1' })),
    agent('notify', () => ({ sent: true })),
    agent('pay', () => {
      throw new Error('card declined');
    }),
    agent('cancel-flight', () => 'flight cancelled'),
    agent('cancel-hotel', () => 'hotel cancelled'),
  ];
  const trip: WorkflowDefinition = {
    name: 'trip',
    steps: {
      flight: { agent: 'book-flight', compensate: 'cancel-flight', next: 'hotel' },
      hotel: { agent: 'book-hotel', compensate: { agent: 'cancel-hotel' }, next: 'notify' },
      notify: { agent: 'notify', next: 'pay' },
      pay: { agent: 'pay' },
    },
  };

  it("runs the completed steps' compensations in reverse order, each with its step's output, then fails the run", async () => {
    calls.length = 0;
    rt = await createRuntime({ agents: agents(), workflows: [trip] });
    const run = await rt.start('trip', {});
    const f = await failureOf(run);
    expect(f.code).toBe('TROUPE_AGENT_FAILED');
    expect(f.message).toContain('card declined');
    expect(run.status().status).toBe('failed');
    const compensations = calls.filter(([id]) => id.startsWith('cancel-'));
    expect(compensations).toEqual([
      ['cancel-hotel', { hotel: 'H1' }],
      ['cancel-flight', { flight: 'F1' }],
    ]);
    const log = await run.context();
    expect(log.map((e) => `${e.kind}:${e.step}`)).toEqual(['step:flight', 'step:hotel', 'step:notify', 'error:pay', 'compensation:hotel', 'compensation:flight']);
    expect(log[4]).toMatchObject({ agent: 'cancel-hotel', output: 'hotel cancelled' });
    expect(log[5]).toMatchObject({ agent: 'cancel-flight', output: 'flight cancelled' });
  });

  it('maps a compensation input with the failure as `error` in view', async () => {
    calls.length = 0;
    rt = await createRuntime({ agents: agents() });
    const run = await rt.start(
      {
        name: 'trip-mapped',
        steps: {
          flight: { agent: 'book-flight', compensate: { agent: 'cancel-flight', input: '{ "f": flight.flight, "why": error.code, "who": input.user }' }, next: 'pay' },
          pay: { agent: 'pay' },
        },
      },
      { user: 'u1' },
    );
    await failureOf(run);
    expect(calls.find(([id]) => id === 'cancel-flight')).toEqual(['cancel-flight', { f: 'F1', why: 'TROUPE_AGENT_FAILED', who: 'u1' }]);
  });

  it('runs no compensation when the run completes, nor when the failure was handled by onError', async () => {
    calls.length = 0;
    rt = await createRuntime({ agents: agents() });
    const ok = await rt.start({ name: 'trip-ok', steps: { flight: { agent: 'book-flight', compensate: 'cancel-flight', next: 'notify' }, notify: { agent: 'notify' } } }, {});
    await ok.result();
    const handled = await rt.start(
      { name: 'trip-handled', steps: { flight: { agent: 'book-flight', compensate: 'cancel-flight', next: 'pay' }, pay: { agent: 'pay', onError: 'notify' }, notify: { agent: 'notify' } } },
      {},
    );
    await handled.result();
    expect(calls.some(([id]) => id.startsWith('cancel-'))).toBe(false);
    expect((await handled.context()).some((e) => e.kind === 'compensation')).toBe(false);
  });

  it('records a failing compensation and still runs the earlier ones', async () => {
    calls.length = 0;
    const brokenUndo = agent('undo-broken', () => {
      throw new Error('cannot undo');
    });
    rt = await createRuntime({ agents: [...agents(), brokenUndo] });
    const run = await rt.start(
      {
        name: 'trip-broken-undo',
        steps: {
          flight: { agent: 'book-flight', compensate: 'cancel-flight', next: 'hotel' },
          hotel: { agent: 'book-hotel', compensate: 'undo-broken', next: 'pay' },
          pay: { agent: 'pay' },
        },
      },
      {},
    );
    await failureOf(run);
    const log = await run.context();
    const comp = log.filter((e) => e.kind === 'compensation');
    expect(comp.map((e) => e.step)).toEqual(['hotel', 'flight']);
    expect(comp[0]!.output).toMatchObject({ error: { code: 'TROUPE_AGENT_FAILED' } });
    expect(comp[1]!.output).toBe('flight cancelled');
  });
});
