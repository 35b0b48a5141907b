import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { promisify } from 'node:util';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { LmdbStore, type RunStatus } from '../../src/index.js';
import { fixture, ROOT, testIO } from './helpers.js';

const exec = promisify(execFile);
const TOKEN = 'serve-test-token-0123456789abcdef';

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups.splice(0).reverse()) c();
});

/** A temp directory with `workflows/gated.yaml`; `data` is where the store goes. */
function dirs(): { data: string; workflows: string } {
  const root = mkdtempSync(join(tmpdir(), 'troupe-serve-'));
  cleanups.push(() => rmSync(root, { recursive: true, force: true }));
  const workflows = join(root, 'workflows');
  mkdirSync(workflows);
  writeFileSync(join(workflows, 'gated.yaml'), readFileSync(join(ROOT, fixture('gated.yaml')), 'utf8').replace('./agents.ts', join(ROOT, fixture('agents.ts'))));
  return { data: join(root, 'data'), workflows };
}

interface Served {
  readonly proc: ChildProcess;
  readonly url: string;
  readonly stdout: () => string;
  readonly stderr: () => string;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Spawn `troupe serve --port 0` (the built CLI) with the token in the environment; resolves once it prints its URL. */
async function serve(data: string, workflows: string): Promise<Served> {
  const proc = spawn(process.execPath, ['bin/troupe.js', 'serve', '--port', '0', '--data', data, '--workflows', workflows], {
    cwd: ROOT,
    env: { ...process.env, TROUPE_TOKEN: TOKEN, NO_COLOR: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  cleanups.push(() => proc.kill('SIGKILL'));
  let out = '';
  let err = '';
  proc.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => proc.on('exit', (code, signal) => resolve({ code, signal })));
  const url = await new Promise<string>((resolve, reject) => {
    createInterface({ input: proc.stdout! }).on('line', (line) => {
      out += `${line}\n`;
      const m = /listening on (http:\/\/\S+)/.exec(line);
      if (m) resolve(m[1]!);
    });
    void exited.then(({ code }) => reject(new Error(`troupe serve exited with ${code} before listening: ${err}`)));
  });
  return { proc, url, exited, stdout: () => out, stderr: () => err };
}

async function api(url: string, method: string, path: string, body?: unknown): Promise<{ status: number; json: any }> {
  const res = await fetch(`${url}${path}`, {
    method,
    headers: { authorization: `Bearer ${TOKEN}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: res.status, json: await res.json() };
}

/** Poll `GET /runs/:id` (the server is another process) until the run has `status`. */
async function until(url: string, id: string, status: RunStatus): Promise<any> {
  let last: any;
  for (let i = 0; i < 400; i++) {
    last = (await api(url, 'GET', `/runs/${id}`)).json;
    if (last.run?.status === status) return last;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`run ${id} never became ${status}: ${JSON.stringify(last)}`);
}

describe('troupe serve (the built command, as a child process)', () => {
  beforeAll(async () => {
    // The build copies the inspector page into dist, then compiles; type errors elsewhere in src must not hide the CLI (tsc still emits).
    await exec('npm', ['run', 'build', '--silent'], { cwd: ROOT }).catch(() => undefined);
    if (!existsSync(`${ROOT}dist/cli/main.js`)) throw new Error('the build did not produce dist/cli/main.js');
  }, 120_000);

  it('starts a run of --workflows over HTTP, approves it, sees it complete; SIGTERM exits 0 with the store closed cleanly', async () => {
    const { data, workflows } = dirs();
    const s = await serve(data, workflows);
    expect(s.stdout()).toMatch(/^troupe serve: listening on http:\/\/127\.0\.0\.1:\d+ · data .* · workflows gated · auth operator token\n/m);
    expect((await fetch(`${s.url}/runs`)).status).toBe(401);
    const page = await fetch(`${s.url}/`);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('troupe inspector');

    const started = await api(s.url, 'POST', '/runs', { workflow: 'gated' });
    expect(started.status).toBe(201);
    const id = started.json.id as string;
    const waiting = await until(s.url, id, 'waiting-approval');
    expect(waiting.pendingApprovals).toEqual(['draft']);
    const approved = await api(s.url, 'POST', `/runs/${id}/approvals/draft`, { decision: 'approve', by: 'ops' });
    expect(approved.status).toBe(200);
    const done = await until(s.url, id, 'completed');
    expect(done.context.send).toEqual({ greeting: 'hello, hello, gate' });

    s.proc.kill('SIGTERM');
    expect(await s.exited).toEqual({ code: 0, signal: null });
    expect(s.stdout()).toContain('troupe serve: SIGTERM: stopping');
    expect(s.stdout()).toMatch(/troupe serve: stopped\n$/);
    expect(s.stderr()).toBe('');
    expect(existsSync(join(data, 'troupe.lock'))).toBe(false);

    const store = await LmdbStore.openReadOnly({ dir: data });
    try {
      expect(await store.getRun(id)).toMatchObject({ status: 'completed', headSeq: 3 });
      expect((await store.read(id)).map((e) => e.step)).toEqual(['draft', 'draft', 'send']);
    } finally {
      await store.close();
    }
  }, 60_000);

  it('resumes on start a run that a killed server left waiting, and stops on SIGINT with exit 0', async () => {
    const { data, workflows } = dirs();
    const first = await serve(data, workflows);
    const id = (await api(first.url, 'POST', '/runs', { workflow: 'gated' })).json.id as string;
    await until(first.url, id, 'waiting-approval');
    first.proc.kill('SIGKILL');
    expect((await first.exited).signal).toBe('SIGKILL');

    const second = await serve(data, workflows);
    expect(second.stdout()).toContain('troupe serve: resumed 1 unfinished run\n');
    const shown = await api(second.url, 'GET', `/runs/${id}`);
    expect(shown.json).toMatchObject({ active: true, pendingApprovals: ['draft'], run: { status: 'waiting-approval' } });
    expect((await api(second.url, 'POST', `/runs/${id}/approvals/draft`, { decision: 'approve' })).status).toBe(200);
    await until(second.url, id, 'completed');
    second.proc.kill('SIGINT');
    expect(await second.exited).toEqual({ code: 0, signal: null });
  }, 60_000);
});

describe('troupe serve (command line)', () => {
  it('refuses a non-loopback --host without a token: exit 2 naming the host, nothing opened', async () => {
    const { data } = dirs();
    const io = testIO();
    expect(await main(['serve', '--host', '0.0.0.0', '--data', data], io)).toBe(2);
    expect(io.err()).toMatch(/^troupe: TROUPE_CLI_USAGE: refusing to listen on 0\.0\.0\.0 without a token .*; see 'troupe --help'\n$/);
    expect(existsSync(data)).toBe(false);
  });

  it('exits 2 for a bad --port and an empty --token', async () => {
    for (const argv of [['serve', '--port', 'http'], ['serve', '--port', '70000'], ['serve', '--token', '']]) {
      const io = testIO();
      expect(await main(argv, io), argv.join(' ')).toBe(2);
      expect(io.err()).toMatch(/^troupe: TROUPE_CLI_USAGE: flag --(port|token) /);
    }
  });

  it('exits 1 naming the cause when --workflows does not exist', async () => {
    const { data } = dirs();
    const io = testIO();
    expect(await main(['serve', '--port', '0', '--data', data, '--workflows', join(data, 'missing')], io)).toBe(1);
    expect(io.err()).toMatch(/^troupe: TROUPE_SERVER_OPTIONS_INVALID: workflowsDir: cannot read .*missing/);
  });
});
