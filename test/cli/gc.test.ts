import { describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import type { StatusListReport } from '../../src/cli/commands/status.js';
import { fixture, testIO, useDataDirs } from './helpers.js';

const tempData = useDataDirs();

describe('troupe gc', () => {
  it('removes finished runs older than the age and reports what it freed', async () => {
    const dir = tempData();
    expect(await main(['run', fixture('hello.yaml'), '--input', '{"name":"a"}', '--data', dir], testIO())).toBe(0);
    expect(await main(['run', fixture('hello.yaml'), '--input', '{"name":"b"}', '--data', dir], testIO())).toBe(0);

    const young = testIO();
    expect(await main(['gc', '--older-than', '7d', '--data', dir], young)).toBe(0);
    expect(young.out()).toContain('gc: removed 0 finished runs older than 7d');

    await new Promise((r) => setTimeout(r, 5));
    const all = testIO();
    expect(await main(['gc', '--older-than', '1ms', '--data', dir, '--json'], all)).toBe(0);
    const report = JSON.parse(all.out()) as { runs: number; entries: number; runIds: string[] };
    expect(report.runs).toBe(2);
    expect(report.entries).toBeGreaterThanOrEqual(2);

    const status = testIO();
    expect(await main(['status', '--json', '--data', dir], status)).toBe(0);
    expect((JSON.parse(status.out()) as StatusListReport).runs).toEqual([]);
  });

  it('refuses a bad age and a missing flag with a usage error', async () => {
    const dir = tempData();
    const bad = testIO();
    expect(await main(['gc', '--older-than', 'a week', '--data', dir], bad)).toBe(2);
    expect(bad.err()).toContain('TROUPE_CLI_USAGE');
    const missing = testIO();
    expect(await main(['gc', '--data', dir], missing)).toBe(2);
    expect(missing.err()).toContain('--older-than');
  });
});
