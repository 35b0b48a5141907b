import { describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { fixture, testIO, useDataDirs } from './helpers.js';

const tempData = useDataDirs();

describe('troupe run', () => {
  describe('with --json', () => {
    it('prints one JSON document with runId, workflow, status, output and steps', async () => {
      const io = testIO();
      const code = await main(['run', fixture('hello.yaml'), '--input', '{"name":"Ada"}', '--json', '--data', tempData()], io);
      expect(io.err()).toBe('');
      expect(code).toBe(0);
      const doc = JSON.parse(io.out()) as Record<string, unknown>;
      expect(doc).toMatchObject({ workflow: 'hello', status: 'completed', output: 'hello, Ada' });
      expect(typeof doc.runId).toBe('string');
      expect(doc.error).toBeUndefined();
      expect(doc.steps).toEqual([{ step: 'greet', agent: 'greeter', durationMs: expect.any(Number), attempts: 1, outcome: 'ok' }]);
    });
  });

  describe('the readable summary', () => {
    it('prints a header, one row per step, the output and a total line', async () => {
      const io = testIO();
      const code = await main(['run', fixture('hello.yaml'), '--input', '{"name":"Ada"}', '--data', tempData()], io);
      expect(code).toBe(0);
      const lines = io.out().split('\n');
      expect(lines[0]).toMatch(/^hello · run [0-9a-f-]{36} · data \/.+\/data$/);
      expect(io.out()).toMatch(/^ {2}greet\s+greeter\s+\d+\.\d {2}ok$/m);
      expect(io.out()).toContain('\nhello, Ada\n');
      expect(io.out()).toMatch(/\ncompleted · 1 step · \d+\.\d ms\n$/);
      expect(io.out()).not.toContain('\u001b['); // no colour when stdout is not a TTY
    });

    it('uses colour only on a TTY without NO_COLOR', async () => {
      const tty = testIO({ isTTY: true });
      expect(await main(['run', fixture('hello.yaml'), '--input', '{"name":"Ada"}', '--data', tempData()], tty)).toBe(0);
      expect(tty.out()).toContain('\u001b[32mok\u001b[39m');
      const noColor = testIO({ isTTY: true, env: { NO_COLOR: '1' } });
      expect(await main(['run', fixture('hello.yaml'), '--input', '{"name":"Ada"}', '--data', tempData()], noColor)).toBe(0);
      expect(noColor.out()).not.toContain('\u001b[');
    });

    it('prints only the output with --quiet', async () => {
      const io = testIO();
      expect(await main(['run', fixture('hello.yaml'), '--input', '{"name":"Bo"}', '--quiet', '--data', tempData()], io)).toBe(0);
      expect(io.out()).toBe('hello, Bo\n');
    });
  });

  describe('when the run fails', () => {
    it('exits 1 with one line on stderr naming the code and step, and no stack', async () => {
      const io = testIO();
      const code = await main(['run', fixture('failing.yaml'), '--data', tempData()], io);
      expect(code).toBe(1);
      const err = io.err();
      expect(err.trimEnd().split('\n')).toHaveLength(1);
      expect(err).toMatch(/^troupe: TROUPE_AGENT_FAILED: step explode: kaboom \(run [0-9a-f-]+\)\n$/);
      expect(err).not.toMatch(/\bat .*:\d+:\d+/);
      expect(io.out()).toMatch(/explode\s+boom\s+\d+\.\d {2}failed: TROUPE_AGENT_FAILED/);
      expect(io.out()).toMatch(/failed · 2 steps/);
    });

    it('reports the error in the --json document too', async () => {
      const io = testIO();
      expect(await main(['run', fixture('failing.yaml'), '--json', '--data', tempData()], io)).toBe(1);
      const doc = JSON.parse(io.out()) as { status: string; error: { code: string }; steps: { outcome: string }[] };
      expect(doc.status).toBe('failed');
      expect(doc.error.code).toBe('TROUPE_AGENT_FAILED');
      expect(doc.steps.map((s) => s.outcome)).toEqual(['ok', 'failed']);
    });

    it('exits 1 naming the file, line and path for an invalid workflow', async () => {
      const io = testIO();
      expect(await main(['run', fixture('invalid.yaml'), '--data', tempData()], io)).toBe(1);
      expect(io.err()).toBe(
        'troupe: TROUPE_WORKFLOW_INVALID: test/cli/fixtures/invalid.yaml:6:5 /steps/greet/next: next names step "nowhere", which does not exist (steps: greet)\n',
      );
      expect(io.out()).toBe('');
    });

    it('exits 1 for input that does not match the workflow input schema', async () => {
      const io = testIO();
      expect(await main(['run', fixture('hello.yaml'), '--input', '{}', '--data', tempData()], io)).toBe(1);
      expect(io.err()).toMatch(/^troupe: TROUPE_RUN_INPUT_INVALID: .*name/);
    });

    it('prints the stack only with TROUPE_DEBUG=1', async () => {
      const io = testIO({ env: { TROUPE_DEBUG: '1' } });
      expect(await main(['run', fixture('missing.yaml'), '--data', tempData()], io)).toBe(1);
      expect(io.err()).toMatch(/^troupe: TROUPE_WORKFLOW_LOAD_FAILED: test\/cli\/fixtures\/missing.yaml: .*\n[^]*\n\s+at /);
    });
  });

  describe('--input', () => {
    it('exits 2 naming the flag and the position of bad inline JSON', async () => {
      const io = testIO();
      expect(await main(['run', fixture('hello.yaml'), '--input', '{"name": "Ada",}', '--data', tempData()], io)).toBe(2);
      expect(io.err()).toBe('troupe: TROUPE_CLI_INPUT_INVALID: --input: invalid JSON at line 1, column 16 (position 15): Expected double-quoted property name\n');
    });

    it('exits 2 naming a file that does not exist', async () => {
      const io = testIO();
      expect(await main(['run', fixture('hello.yaml'), '--input', '@no/such.json', '--data', tempData()], io)).toBe(2);
      expect(io.err()).toBe('troupe: TROUPE_CLI_INPUT_INVALID: --input @no/such.json: cannot read no/such.json: no such file\n');
    });

    it('reads @file', async () => {
      const io = testIO();
      expect(await main(['run', fixture('hello.yaml'), '--input', `@${fixture('ada.json')}`, '--quiet', '--data', tempData()], io)).toBe(0);
      expect(io.out()).toBe('hello, Ada\n');
    });
  });

  describe('approvals without --auto-approve', () => {
    it('approves from piped stdin and completes', async () => {
      const io = testIO({ stdin: ['approve\n'] });
      const code = await main(['run', fixture('gated.yaml'), '--data', tempData()], io);
      expect(io.err()).toMatch(/^run [0-9a-f-]+ is waiting for approval at step draft: Send the greeting\? Type `approve` or `reject \[reason\]` and press Enter \(or re-run with --auto-approve\)\.\n/);
      expect(code).toBe(0);
      expect(io.out()).toMatch(/draft\s+greeter\s+\d+\.\d {2}approved/);
      expect(io.out()).toContain('hello, hello, gate');
    });

    it('accepts `approve <step>`', async () => {
      const io = testIO({ stdin: ['approve draft\n'] });
      expect(await main(['run', fixture('gated.yaml'), '--quiet', '--data', tempData()], io)).toBe(0);
      expect(io.err()).toContain('approved step draft');
    });

    it('asks again on other input and accepts `reject <reason>`', async () => {
      const io = testIO({ stdin: ['what?\n', 'reject not today\n'] });
      const code = await main(['run', fixture('gated.yaml'), '--json', '--data', tempData()], io);
      expect(code).toBe(1);
      expect(io.err()).toContain('please type `approve` or `reject [reason]`');
      const doc = JSON.parse(io.out()) as { error: { code: string; message: string }; steps: { outcome: string }[] };
      expect(doc.error.code).toBe('TROUPE_APPROVAL_REJECTED');
      expect(doc.error.message).toContain('not today');
      expect(doc.steps.map((s) => s.outcome)).toEqual(['rejected']);
    });

    it('exits 3 when stdin ends while the run is waiting', async () => {
      const io = testIO({ stdin: [] });
      const code = await main(['run', fixture('gated.yaml'), '--data', tempData()], io);
      expect(code).toBe(3);
      expect(io.err().trimEnd().split('\n').at(-1)).toMatch(/^troupe: run [0-9a-f-]+ is still waiting for approval at step draft; it was not approved/);
      expect(io.out()).toMatch(/draft\s+greeter\s+\d+\.\d {2}waiting for approval/);
    });

    it('approves at once with --auto-approve, reading nothing', async () => {
      const io = testIO({ stdin: [] });
      expect(await main(['run', fixture('gated.yaml'), '--auto-approve', '--data', tempData()], io)).toBe(0);
      expect(io.err()).toBe('');
      expect(io.out()).toMatch(/draft\s+greeter\s+\d+\.\d {2}approved/);
    });
  });

  describe('on interrupt (SIGINT)', () => {
    it('cancels the run, stops the runtime and exits 130', async () => {
      let interrupt: (() => void) | undefined;
      const io = testIO({
        onInterrupt: (h) => ((interrupt = h), () => (interrupt = undefined)),
        onStdout: (s) => s.startsWith('hanging · run') && queueMicrotask(() => interrupt?.()),
      });
      const code = await main(['run', fixture('hanging.yaml'), '--data', tempData()], io);
      expect(code).toBe(130);
      expect(io.err()).toMatch(/^troupe: run [0-9a-f-]+ cancelled \(interrupted\)\n$/);
      expect(io.out()).toMatch(/^ {2}wait\s+hang\s+\d+\.\d {2}cancelled$/m);
      expect(io.out()).toMatch(/cancelled · 1 step · /);
      expect(interrupt).toBeUndefined();
    });
  });
});
