import { describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import type { StatusListReport, StatusRunReport } from '../../src/cli/commands/status.js';
import { fixture, testIO, useDataDirs } from './helpers.js';

const tempData = useDataDirs();

async function status<T>(args: string[]): Promise<T> {
  const io = testIO();
  expect(await main(['status', '--json', ...args], io)).toBe(0);
  return JSON.parse(io.out()) as T;
}

describe('troupe approve', () => {
  it('records a decision in a stopped directory that the run applies when it resumes', async () => {
    const dir = tempData();
    expect(await main(['run', fixture('gated.yaml'), '--data', dir], testIO({ stdin: [] }))).toBe(3);
    const [record] = (await status<StatusListReport>(['--data', dir])).runs;
    expect(record).toMatchObject({ status: 'waiting-approval', currentSteps: ['draft'] });

    const approve = testIO();
    expect(await main(['approve', record!.id, 'draft', '--by', 'ops', '--comment', 'looks fine', '--data', dir], approve)).toBe(0);
    expect(approve.out()).toContain(`recorded: approval of draft for run ${record!.id} (gated)`);

    // No workflow file named: the run recorded the one it was started from.
    expect(await main(['resume', '--data', dir], testIO())).toBe(0);
    const done = await status<StatusRunReport>([record!.id, '--data', dir]);
    expect(done.run).toMatchObject({ status: 'completed' });
    expect(done.entries.map((e) => `${e.kind}:${e.step}`)).toEqual(['step:draft', 'approval:draft', 'step:send']);
    expect(done.entries[1]!.output).toEqual({ approved: true, by: 'ops', comment: 'looks fine' });
  });

  it('refuses a step the run does not wait at, and an unknown run, naming them', async () => {
    const dir = tempData();
    expect(await main(['run', fixture('gated.yaml'), '--data', dir], testIO({ stdin: [] }))).toBe(3);
    const [record] = (await status<StatusListReport>(['--data', dir])).runs;
    const wrong = testIO();
    expect(await main(['approve', record!.id, 'send', '--data', dir], wrong)).toBe(1);
    expect(wrong.err()).toMatch(/^troupe: TROUPE_APPROVAL_NOT_PENDING: run .* is waiting-approval at draft, not waiting for approval at send\n$/);
    const unknown = testIO();
    expect(await main(['approve', 'nope', 'draft', '--data', dir], unknown)).toBe(1);
    expect(unknown.err()).toContain('TROUPE_RUN_NOT_FOUND');
    const usage = testIO();
    expect(await main(['approve', record!.id], usage)).toBe(2);
    expect(usage.err()).toContain('TROUPE_CLI_USAGE');
  });
});
