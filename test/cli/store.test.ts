import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import type { StatusListReport, StatusRunReport } from '../../src/cli/commands/status.js';
import type { ResumeReport } from '../../src/cli/commands/resume.js';
import { LmdbStore } from '../../src/store/index.js';
import { fixture, ROOT, testIO } from './helpers.js';
import { useDataDirs } from './helpers.js';

const tempData = useDataDirs();

/** Run hello.yaml into `dir` and return the run id. */
async function runHello(dir: string, name = 'Ada'): Promise<string> {
  const io = testIO();
  expect(await main(['run', fixture('hello.yaml'), '--input', JSON.stringify({ name }), '--json', '--data', dir], io)).toBe(0);
  return (JSON.parse(io.out()) as { runId: string }).runId;
}

async function statusJson<T>(argv: readonly string[]): Promise<T> {
  const io = testIO();
  expect(await main(['status', ...argv, '--json'], io)).toBe(0);
  return JSON.parse(io.out()) as T;
}

describe('troupe run --data', () => {
  it('persists the run: status lists it as completed and verify says ok', async () => {
    const dir = tempData();
    const id = await runHello(dir);
    expect(existsSync(dir)).toBe(true);

    const list = testIO();
    expect(await main(['status', '--data', dir], list)).toBe(0);
    const lines = list.out().trimEnd().split('\n');
    expect(lines[0]).toMatch(/^run\s+workflow\s+status\s+step\s+updated\s+steps$/);
    expect(lines[1]).toMatch(new RegExp(`^${id}  hello\\s+completed  —\\s+\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d\\s+1$`));
    expect(lines.at(-1)).toBe(`1 run in ${dir}`);

    const verify = testIO();
    expect(await main(['verify', id, '--data', dir], verify)).toBe(0);
    expect(verify.out()).toMatch(new RegExp(`^ok: run ${id}, 1 entry, head [0-9a-f]{12}\\n$`));
    expect(verify.err()).toBe('');
  });

  it('adds a run to a directory that already holds runs, and lists them newest first', async () => {
    const dir = tempData();
    const first = await runHello(dir, 'one');
    await new Promise((r) => setTimeout(r, 5));
    const second = await runHello(dir, 'two');
    const doc = await statusJson<StatusListReport>(['--data', dir]);
    expect(doc.runs.map((r) => r.id)).toEqual([second, first]);
  });

  it('refuses a directory another store holds with one TROUPE_STORE_LOCKED line, while status still reads it', async () => {
    const dir = tempData();
    const id = await runHello(dir);
    const holder = await LmdbStore.open({ dir });
    try {
      const io = testIO();
      expect(await main(['run', fixture('hello.yaml'), '--input', '{"name":"Ada"}', '--data', dir], io)).toBe(1);
      expect(io.err()).toMatch(/^troupe: TROUPE_STORE_LOCKED: data directory .+ is locked by process \d+ .*\n$/);
      expect(io.out()).toBe('');
      const resume = testIO();
      expect(await main(['resume', fixture('hello.yaml'), '--data', dir], resume)).toBe(1);
      expect(resume.err()).toMatch(/^troupe: TROUPE_STORE_LOCKED: /);
      const doc = await statusJson<StatusListReport>(['--data', dir]);
      expect(doc.runs.map((r) => r.id)).toEqual([id]);
    } finally {
      await holder.close();
    }
  });

  it('defaults to ./.troupe under the working directory', async () => {
    const dir = tempData();
    const { mkdirSync } = await import('node:fs');
    mkdirSync(dir, { recursive: true });
    const io = { ...testIO(), cwd: dir };
    expect(await main(['run', `${ROOT}${fixture('hello.yaml')}`, '--input', '{"name":"Ada"}'], io)).toBe(0);
    expect(io.out().split('\n', 1)[0]).toMatch(/ · data \.\/\.troupe$/);
    expect(existsSync(`${dir}/.troupe`)).toBe(true);
  });
});

describe('troupe status', () => {
  it('prints the run records as JSON, and one run with its log entries', async () => {
    const dir = tempData();
    const id = await runHello(dir);
    const list = await statusJson<StatusListReport>(['--data', dir]);
    expect(list.dataDir).toBe(dir);
    expect(list.runs).toHaveLength(1);
    expect(list.runs[0]).toMatchObject({ id, workflow: 'hello', status: 'completed', headSeq: 1, input: { name: 'Ada' }, output: 'hello, Ada', currentSteps: [] });
    expect(list.runs[0]!.headHash).toMatch(/^[0-9a-f]{64}$/);

    const one = await statusJson<StatusRunReport>([id, '--data', dir]);
    expect(one.run).toEqual(list.runs[0]);
    expect(one.subRuns).toEqual([]);
    expect(one.entries).toEqual([
      {
        seq: 1,
        kind: 'step',
        step: 'greet',
        agent: 'greeter',
        inputHash: expect.stringMatching(/^[0-9a-f]{64}$/),
        output: { greeting: 'hello, Ada' },
        at: expect.any(Number),
        durationMs: expect.any(Number),
        attempts: 1,
        prevHash: expect.stringMatching(/^[0-9a-f]{64}$/),
        hash: one.run.headHash,
      },
    ]);
  });

  it('shows one run: its record and its context log', async () => {
    const dir = tempData();
    const id = await runHello(dir);
    const io = testIO();
    expect(await main(['status', id, '--data', dir], io)).toBe(0);
    const out = io.out();
    expect(out).toMatch(new RegExp(`^run {7}${id}\\n`));
    expect(out).toMatch(/^workflow {2}hello \(definition [0-9a-f]{12}\)$/m);
    expect(out).toMatch(/^status {4}completed$/m);
    expect(out).toMatch(/^head {6}seq 1, [0-9a-f]{12}$/m);
    expect(out).toMatch(/^output {4}"hello, Ada"$/m);
    expect(out).toMatch(/\n\n {2}seq {2}kind {2}step {3}agent\s+ms {2}output\n/);
    expect(out).toMatch(/^ {4}1 {2}step {2}greet {2}greeter\s+\d+\.\d {2}\{"greeting":"hello, Ada"\}$/m);
  });

  it('says so when there are no runs', async () => {
    const dir = tempData();
    await (await LmdbStore.open({ dir })).close();
    const io = testIO();
    expect(await main(['status', '--data', dir], io)).toBe(0);
    expect(io.out()).toBe(`no runs in ${dir}\n`);
  });

  it('exits 1 with TROUPE_RUN_NOT_FOUND for an unknown run', async () => {
    const dir = tempData();
    await runHello(dir);
    for (const command of ['status', 'verify']) {
      const io = testIO();
      expect(await main([command, 'no-such-run', '--data', dir], io)).toBe(1);
      expect(io.err()).toBe(`troupe: TROUPE_RUN_NOT_FOUND: no run with id no-such-run in ${dir}\n`);
    }
  });

  it('names a data directory that does not exist, creating nothing', async () => {
    const dir = tempData();
    for (const argv of [['status'], ['verify', 'r1'], ['resume', fixture('hello.yaml')]]) {
      const io = testIO();
      expect(await main([...argv, '--data', dir], io)).toBe(1);
      expect(io.err()).toMatch(new RegExp(`^troupe: TROUPE_STORE_NOT_FOUND: no data directory ${dir} \\(.+\\)\\n$`));
      expect(existsSync(dir)).toBe(false);
    }
  });

  it('reports a directory that is not a troupe store', async () => {
    const dir = tempData();
    const { mkdirSync, writeFileSync } = await import('node:fs');
    mkdirSync(dir, { recursive: true });
    writeFileSync(`${dir}/data.mdb`, 'not lmdb at all, just some text that is long enough '.repeat(200));
    const io = testIO();
    expect(await main(['status', '--data', dir], io)).toBe(1);
    expect(io.err()).toMatch(/^troupe: TROUPE_STORE_(CORRUPT|NOT_FOUND): .*\n$/);
    expect(io.err().trimEnd().split('\n')).toHaveLength(1);
  });
});

describe('troupe verify', () => {
  it('reports a tampered head (a run record whose head hash was changed)', async () => {
    const dir = tempData();
    const id = await runHello(dir);
    const store = await LmdbStore.open({ dir, durability: 'commit' });
    await store.updateRun(id, { headHash: '0'.repeat(64) });
    await store.close();
    const io = testIO();
    expect(await main(['verify', id, '--data', dir], io)).toBe(1);
    expect(io.out()).toBe('');
    expect(io.err()).toBe(
      `troupe: TROUPE_CHAIN_BROKEN: run ${id}: the context log does not verify at seq 1 (position 2): log ends at seq 1 but the run record's head is seq 1\n`,
    );
  });

  it('reports a forged entry by its seq, and prints the result with --json', async () => {
    const dir = tempData();
    const id = await runHello(dir);
    const store = await LmdbStore.open({ dir, durability: 'commit' });
    const head = (await store.getRun(id))!;
    await store.append(id, { seq: head.headSeq + 1, kind: 'step', step: 'greet', agent: 'greeter', output: { greeting: 'forged' }, at: Date.now(), prevHash: 'f'.repeat(64), hash: 'e'.repeat(64) });
    await store.close();
    const io = testIO();
    expect(await main(['verify', id, '--data', dir, '--json'], io)).toBe(1);
    expect(JSON.parse(io.out())).toEqual({ runId: id, ok: false, index: 1, seq: 2, reason: 'prevHash does not match the previous entry' });
    expect(io.err()).toBe(`troupe: TROUPE_CHAIN_BROKEN: run ${id}: the context log does not verify at seq 2 (position 2): prevHash does not match the previous entry\n`);
  });

  it('prints ok as JSON', async () => {
    const dir = tempData();
    const id = await runHello(dir);
    const io = testIO();
    expect(await main(['verify', id, '--data', dir, '--json'], io)).toBe(0);
    expect(JSON.parse(io.out())).toEqual({ runId: id, ok: true, entries: 1, head: expect.stringMatching(/^[0-9a-f]{64}$/) });
  });
});

describe('troupe resume', () => {
  it('says there is nothing to resume when every run finished', async () => {
    const dir = tempData();
    await runHello(dir);
    const io = testIO();
    expect(await main(['resume', fixture('hello.yaml'), '--data', dir], io)).toBe(0);
    expect(io.out()).toBe(`resume · data ${dir}\nnothing to resume: every run in ${dir} is finished\n`);
  });

  it('reports a run left waiting for approval (exit 3), then completes it with --auto-approve', async () => {
    const dir = tempData();
    const run = testIO({ stdin: [] });
    expect(await main(['run', fixture('gated.yaml'), '--data', dir], run)).toBe(3);
    expect(run.err()).toContain(`'troupe resume ${fixture('gated.yaml')} --data ${dir} --auto-approve' approves it`);
    const [record] = (await statusJson<StatusListReport>(['--data', dir])).runs;
    expect(record).toMatchObject({ status: 'waiting-approval', headSeq: 1 });

    const waiting = testIO();
    expect(await main(['resume', fixture('gated.yaml'), '--data', dir], waiting)).toBe(3);
    expect(waiting.out()).toContain(`resumed      ${record!.id}  gated  waiting for approval at draft (1 step recorded)\n`);
    expect(waiting.out()).toContain(`waiting for approval at draft · run ${record!.id} (gated) · 0 steps run after resuming\n`);
    expect(waiting.err()).toBe(
      `troupe: run ${record!.id} is waiting for approval at step draft; it stays waiting in ${dir}. To approve it, run 'troupe resume' again with --auto-approve.\n`,
    );
    expect((await statusJson<StatusListReport>(['--data', dir])).runs[0]).toMatchObject({ status: 'waiting-approval' });

    const approved = testIO();
    expect(await main(['resume', fixture('gated.yaml'), '--data', dir, '--auto-approve', '--json'], approved)).toBe(0);
    expect(approved.err()).toBe('');
    const doc = JSON.parse(approved.out()) as ResumeReport;
    expect(doc.runs).toEqual([
      {
        runId: record!.id,
        workflow: 'gated',
        resumed: true,
        status: 'completed',
        from: ['draft'],
        recordedSteps: 1,
        steps: [
          { step: 'draft', agent: null, durationMs: null, attempts: 1, outcome: 'approved' },
          { step: 'send', agent: 'greeter', durationMs: expect.any(Number), attempts: 1, outcome: 'ok' },
        ],
        output: { greeting: 'hello, hello, gate' },
      },
    ]);
    const one = await statusJson<StatusRunReport>([record!.id, '--data', dir]);
    expect(one.run.status).toBe('completed');
    expect(one.entries.filter((e) => e.kind === 'step').map((e) => e.step)).toEqual(['draft', 'send']);
    const verify = testIO();
    expect(await main(['verify', record!.id, '--data', dir], verify)).toBe(0);
  });

  it('reports a run whose workflow was not named as not resumed (exit 1), leaving it as it is', async () => {
    const dir = tempData();
    expect(await main(['run', fixture('gated.yaml'), '--data', dir], testIO({ stdin: [] }))).toBe(3);
    const io = testIO();
    expect(await main(['resume', fixture('hello.yaml'), '--data', dir], io)).toBe(1);
    expect(io.out()).toMatch(/^not resumed {2}[0-9a-f-]{36} {2}gated {2}TROUPE_WORKFLOW_NOT_FOUND: /m);
    expect(io.err()).toMatch(/^troupe: TROUPE_WORKFLOW_NOT_FOUND: run [0-9a-f-]{36} \(gated\) was not resumed: .+\n$/);
    expect((await statusJson<StatusListReport>(['--data', dir])).runs[0]).toMatchObject({ status: 'waiting-approval' });
  });
});
