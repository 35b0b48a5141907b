import { execFile, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import type { StatusListReport, StatusRunReport } from '../../src/cli/commands/status.js';
import { main } from '../../src/cli/main.js';
import { fixture, ROOT, testIO, useDataDirs } from './helpers.js';

const exec = promisify(execFile);
const tempData = useDataDirs();

describe('bin/troupe.js (the built command, as a child process)', () => {
  beforeAll(async () => {
    // Build src -> dist once. Type errors elsewhere in src must not hide the CLI: tsc still emits.
    await exec(process.execPath, ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.build.json'], { cwd: ROOT }).catch(() => undefined);
    if (!existsSync(`${ROOT}dist/cli/main.js`)) throw new Error('the build did not produce dist/cli/main.js');
  }, 120_000);

  it('runs the incident-response crew with --auto-approve and lists every step, twice into one directory', async () => {
    const data = tempData();
    const args = ['bin/troupe.js', 'run', 'actors/incident-response/workflow.yaml', '--input', '@actors/incident-response/sample-alert.json', '--auto-approve', '--data', data];
    for (let i = 0; i < 2; i++) {
      const { stdout, stderr } = await exec(process.execPath, args, { cwd: ROOT, env: { ...process.env, NO_COLOR: '1' }, timeout: 60_000 });
      expect(stderr).toBe('');
      expect(stdout.split('\n', 1)[0]).toMatch(new RegExp(`^incident-response · run [0-9a-f-]{36} · data ${data}$`));
      for (const step of ['triage', 'investigate.logs', 'investigate.intel', 'remediate', 'report']) {
        expect(stdout).toMatch(new RegExp(`^ {2}${step.replace('.', '\\.')}\\s+\\S+\\s+\\d+\\.\\d {2}(ok|approved)$`, 'm'));
      }
      expect(stdout).toMatch(/^ {2}remediate\s+remediator\s+\d+\.\d {2}approved$/m);
      expect(stdout).toMatch(/\ncompleted · 5 steps · \d+\.\d ms\n$/);
    }
    const io = testIO();
    expect(await main(['status', '--data', data, '--json'], io)).toBe(0);
    const doc = JSON.parse(io.out()) as StatusListReport;
    expect(doc.runs.map((r) => [r.workflow, r.status])).toEqual([
      ['incident-response', 'completed'],
      ['incident-response', 'completed'],
    ]);
  }, 120_000);

  it('exits 2 with a usage line for an unknown flag', async () => {
    const err = await exec(process.execPath, ['bin/troupe.js', 'run', '--bogus'], { cwd: ROOT }).then(
      () => null,
      (e: { code: number; stderr: string }) => e,
    );
    expect(err?.code).toBe(2);
    expect(err?.stderr).toBe("troupe: TROUPE_CLI_USAGE: unknown flag --bogus; see 'troupe --help'\n");
  });

  it('resumes a run whose process was killed (SIGKILL) after its first step: each step is logged once', async () => {
    const data = tempData();
    const child = spawn(process.execPath, ['bin/troupe.js', 'run', fixture('slow.yaml'), '--input', '{"ms":1500}', '--data', data], {
      cwd: ROOT,
      stdio: 'ignore',
    });
    const exited = new Promise<NodeJS.Signals | null>((resolve) => child.once('exit', (_code, signal) => resolve(signal)));
    try {
      // Poll read-only (the child holds the directory) until the first step is committed.
      let runId: string | undefined;
      for (let i = 0; i < 400 && runId === undefined; i++) {
        await new Promise((r) => setTimeout(r, 25));
        if (!existsSync(`${data}/data.mdb`)) continue;
        const io = testIO();
        if ((await main(['status', '--data', data, '--json'], io)) !== 0) continue;
        const run = (JSON.parse(io.out()) as StatusListReport).runs[0];
        if (run && run.headSeq >= 1) runId = run.id;
      }
      expect(runId).toBeDefined();
      child.kill('SIGKILL');
      expect(await exited).toBe('SIGKILL');

      const before = testIO();
      expect(await main(['status', runId!, '--data', data, '--json'], before)).toBe(0);
      const stopped = JSON.parse(before.out()) as StatusRunReport;
      expect(stopped.run.status).toBe('running');
      expect(stopped.entries.map((e) => e.step)).toEqual(['start']);

      const io = testIO();
      const code = await main(['resume', fixture('slow.yaml'), '--data', data], io);
      expect(io.err()).toBe('');
      expect(code).toBe(0);
      expect(io.out()).toContain(`resumed      ${runId}  slow  at step nap (1 step recorded)\n`);
      expect(io.out()).toMatch(/^ {2}[0-9a-f]{8} {2}nap\s+slow\s+\d+\.\d {2}ok$/m);
      expect(io.out()).toMatch(/^ {2}[0-9a-f]{8} {2}finish\s+greeter\s+\d+\.\d {2}ok$/m);
      expect(io.out()).toContain(`completed · run ${runId} (slow) · 2 steps run after resuming · output "hello, after 1500"\n`);

      const after = testIO();
      expect(await main(['status', runId!, '--data', data, '--json'], after)).toBe(0);
      const done = JSON.parse(after.out()) as StatusRunReport;
      expect(done.run).toMatchObject({ status: 'completed', output: 'hello, after 1500', headSeq: 3 });
      expect(done.entries.map((e) => e.step)).toEqual(['start', 'nap', 'finish']);
      const verify = testIO();
      expect(await main(['verify', runId!, '--data', data], verify)).toBe(0);
      expect(verify.out()).toMatch(/^ok: run .+, 3 entries, head [0-9a-f]{12}\n$/);
    } finally {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
    }
  }, 60_000);

  it('uses ./.troupe under the working directory by default', async () => {
    const cwd = tempData();
    const { mkdirSync } = await import('node:fs');
    mkdirSync(cwd, { recursive: true });
    const { stdout } = await exec(process.execPath, [`${ROOT}bin/troupe.js`, 'run', `${ROOT}${fixture('hello.yaml')}`, '--input', '{"name":"Ada"}'], { cwd, timeout: 30_000 });
    expect(stdout.split('\n', 1)[0]).toMatch(/ · data \.\/\.troupe$/);
    const status = await exec(process.execPath, [`${ROOT}bin/troupe.js`, 'status', '--json'], { cwd, timeout: 30_000 });
    expect((JSON.parse(status.stdout) as StatusListReport).runs.map((r) => r.status)).toEqual(['completed']);
  }, 60_000);
});
