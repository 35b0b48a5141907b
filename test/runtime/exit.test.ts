import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../../', import.meta.url));

describe('a process using the runtime', () => {
  it('exits by itself with code 0 after rt.stop(), without calling process.exit', async () => {
    const started = Date.now();
    const child = spawn(process.execPath, ['--import', 'tsx', 'test/runtime/fixtures/exit-script.ts'], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    // The watchdog only decides the failure message; the process must exit on its own well before it.
    const watchdog = setTimeout(() => child.kill('SIGKILL'), 10_000);
    const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve) => child.on('exit', (c, s) => resolve([c, s])));
    clearTimeout(watchdog);
    const elapsed = Date.now() - started;
    expect(signal, `killed after ${elapsed} ms: the process did not exit by itself\n${stderr}`).toBeNull();
    expect(code, stderr).toBe(0);
    expect(elapsed).toBeLessThan(10_000);
    expect(JSON.parse(stdout.trim())).toEqual({ completed: 5, interrupted: ['TROUPE_RUNTIME_STOPPED', 'TROUPE_RUNTIME_STOPPED', 'TROUPE_RUNTIME_STOPPED'] });
  });
});
