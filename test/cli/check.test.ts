import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { fixture, testIO } from './helpers.js';

describe('troupe check', () => {
  it('prints ok with the step count and agents for a valid workflow', async () => {
    const io = testIO();
    expect(await main(['check', fixture('gated.yaml')], io)).toBe(0);
    expect(io.out()).toBe('ok: gated (2 steps, agents: boom, greeter, hang)\n');
    expect(io.err()).toBe('');
  });

  it('prints warnings after the ok line', async () => {
    const io = testIO();
    expect(await main(['check', fixture('warning.yaml')], io)).toBe(0);
    const [ok, warning] = io.out().trimEnd().split('\n');
    expect(ok).toMatch(/^ok: warning \(1 step/);
    expect(warning).toMatch(/^test\/cli\/fixtures\/warning.yaml:\d+:\d+ \/steps\/greet\/input\/name: warning: expression reads "nobody"/);
  });

  it('exits 1 with the located issue for an invalid workflow', async () => {
    const io = testIO();
    expect(await main(['check', fixture('invalid.yaml')], io)).toBe(1);
    expect(io.err()).toMatch(/^troupe: TROUPE_WORKFLOW_INVALID: test\/cli\/fixtures\/invalid.yaml:6:5 \/steps\/greet\/next: .*"nowhere"/);
    expect(io.out()).toBe('');
  });

  it('exits 1 when the agent modules do not provide a named agent', async () => {
    const io = testIO();
    expect(await main(['check', fixture('missing-agent.yaml')], io)).toBe(1);
    expect(io.err()).toMatch(/^troupe: TROUPE_WORKFLOW_INVALID: .*\/steps\/greet\/agent: no agent is registered with id "no-such-agent"\n$/);
  });

  it('passes a workflow whose steps name a worker agent it declares, by id and by capability', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'troupe-cli-check-'));
    try {
      writeFileSync(join(dir, 'scan.task.ts'), 'export function execute(input: { text: string }) { return { length: input.text.length }; }\n');
      const file = join(dir, 'scan.yaml');
      writeFileSync(
        file,
        [
          'name: scan',
          'agents:',
          '  - { id: scanner, kind: worker, module: ./scan.task.ts, capabilities: [scanning], pool: { maxThreads: 1, maxQueue: 4 } }',
          'steps:',
          '  first: { agent: scanner, next: second }',
          '  second: { capability: scanning }',
          '',
        ].join('\n'),
      );
      const io = testIO();
      expect(await main(['check', file], io)).toBe(0);
      expect(io.out()).toBe('ok: scan (2 steps, agents: scanner)\n');
      expect(io.err()).toBe('');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('checks the shipped demo crews', async () => {
    for (const crew of ['incident-response', 'customer-support']) {
      const io = testIO();
      expect(await main(['check', `actors/${crew}/workflow.yaml`], io)).toBe(0);
      expect(io.out()).toMatch(new RegExp(`^ok: ${crew} \\(\\d+ steps, agents: `));
    }
  });
});
