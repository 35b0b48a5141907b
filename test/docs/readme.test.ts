import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';

const root = join(import.meta.dirname, '..', '..');
const readme = readFileSync(join(root, 'README.md'), 'utf8');
const tmp = join(import.meta.dirname, '.readme-example.tmp.ts');

afterAll(() => rmSync(tmp, { force: true }));

describe('the README', () => {
  it('names the two commands for a fresh machine', () => {
    expect(readme).toContain('npm install && npm start');
    expect(readme).toContain('npm install && npm test');
  });

  it("library quick start runs as written and prints the run's result and context", async () => {
    const block = /## Quick start: the library\s+```ts\n([\s\S]*?)```/.exec(readme)?.[1];
    expect(block).toBeDefined();
    writeFileSync(tmp, block!);
    const logs: unknown[] = [];
    const spy = vi.spyOn(console, 'log').mockImplementation((...args: unknown[]) => void logs.push(args[0]));
    try {
      await import(tmp);
    } finally {
      spy.mockRestore();
    }
    expect(logs).toContainEqual({ sent: true, input: { severity: 'high' } });
    expect(logs.some((l) => Array.isArray(l) && l.some((e: { kind?: string }) => e.kind === 'approval'))).toBe(true);
  });
});
