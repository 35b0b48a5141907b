import { describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import type { StatusListReport } from '../../src/cli/commands/status.js';
import { fixture, testIO, useDataDirs } from './helpers.js';

const tempData = useDataDirs();

async function runs(dir: string): Promise<StatusListReport['runs']> {
  const io = testIO();
  expect(await main(['status', '--json', '--data', dir], io)).toBe(0);
  return (JSON.parse(io.out()) as StatusListReport).runs;
}

describe('troupe pause, unpause and cancel', () => {
  it('keeps a paused run paused through resume, and lets it finish once unpaused', async () => {
    const dir = tempData();
    expect(await main(['run', fixture('gated.yaml'), '--data', dir], testIO({ stdin: [] }))).toBe(3);
    const [waiting] = await runs(dir);
    const pause = testIO();
    expect(await main(['pause', waiting!.id, '--data', dir], pause)).toBe(0);
    expect(pause.out()).toContain(`paused: run ${waiting!.id} (gated)`);
    expect((await runs(dir))[0]).toMatchObject({ status: 'paused' });

    const held = testIO();
    expect(await main(['resume', fixture('gated.yaml'), '--data', dir, '--auto-approve'], held)).toBe(3);
    expect(held.err()).toContain(`run ${waiting!.id} is paused`);
    // The decision is taken (recorded: seq 2), but the step after it does not start while paused.
    expect((await runs(dir))[0]).toMatchObject({ status: 'paused', headSeq: 2 });

    expect(await main(['unpause', waiting!.id, '--data', dir], testIO())).toBe(0);
    expect(await main(['resume', fixture('gated.yaml'), '--data', dir, '--auto-approve'], testIO())).toBe(0);
    expect((await runs(dir))[0]).toMatchObject({ status: 'completed' });
  });

  it('cancels a waiting run so that it is never resumed, and refuses to cancel a finished one', async () => {
    const dir = tempData();
    expect(await main(['run', fixture('gated.yaml'), '--data', dir], testIO({ stdin: [] }))).toBe(3);
    const [waiting] = await runs(dir);
    expect(await main(['cancel', waiting!.id, '--data', dir], testIO())).toBe(0);
    expect((await runs(dir))[0]).toMatchObject({ status: 'cancelled' });
    const resume = testIO();
    expect(await main(['resume', fixture('gated.yaml'), '--data', dir], resume)).toBe(0);
    expect((await runs(dir))[0]).toMatchObject({ status: 'cancelled', headSeq: 1 });

    const again = testIO();
    expect(await main(['cancel', waiting!.id, '--data', dir], again)).toBe(1);
    expect(again.err()).toMatch(/^troupe: TROUPE_RUN_STATE_INVALID: cannot cancel run .* it is cancelled\n$/);
    const unknown = testIO();
    expect(await main(['pause', 'nope', '--data', dir], unknown)).toBe(1);
    expect(unknown.err()).toContain('TROUPE_RUN_NOT_FOUND');
  });
});
