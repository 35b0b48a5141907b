import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import { ROOT } from './helpers.js';

const exec = promisify(execFile);

describe('bin/troupe.js (the built command, as a child process)', () => {
  beforeAll(async () => {
    // Build src -> dist once. Type errors elsewhere in src must not hide the CLI: tsc still emits.
    await exec(process.execPath, ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.build.json'], { cwd: ROOT }).catch(() => undefined);
    if (!existsSync(`${ROOT}dist/cli/main.js`)) throw new Error('the build did not produce dist/cli/main.js');
  }, 120_000);

  it('runs the incident-response crew with --auto-approve and lists every step', async () => {
    const args = ['bin/troupe.js', 'run', 'actors/incident-response/workflow.yaml', '--input', '@actors/incident-response/sample-alert.json', '--auto-approve'];
    const { stdout, stderr } = await exec(process.execPath, args, { cwd: ROOT, env: { ...process.env, NO_COLOR: '1' }, timeout: 60_000 });
    expect(stderr).toBe('');
    for (const step of ['triage', 'investigate.logs', 'investigate.intel', 'remediate', 'report']) {
      expect(stdout).toMatch(new RegExp(`^ {2}${step.replace('.', '\\.')}\\s+\\S+\\s+\\d+\\.\\d {2}(ok|approved)$`, 'm'));
    }
    expect(stdout).toMatch(/^ {2}remediate\s+remediator\s+\d+\.\d {2}approved$/m);
    expect(stdout).toMatch(/\ncompleted · 5 steps · \d+\.\d ms\n$/);
  }, 60_000);

  it('exits 2 with a usage line for an unknown flag', async () => {
    const err = await exec(process.execPath, ['bin/troupe.js', 'run', '--bogus'], { cwd: ROOT }).then(
      () => null,
      (e: { code: number; stderr: string }) => e,
    );
    expect(err?.code).toBe(2);
    expect(err?.stderr).toBe("troupe: TROUPE_CLI_USAGE: unknown flag --bogus; see 'troupe --help'\n");
  });
});
