import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseCommandLine } from '../../src/cli/args.js';
import { main } from '../../src/cli/main.js';
import { fixture, testIO } from './helpers.js';

const usageLine = /^troupe: TROUPE_CLI_USAGE: .+; see 'troupe --help'\n$/;

describe('the command line', () => {
  it('parses run with every flag', () => {
    expect(parseCommandLine(['run', 'wf.yaml', '--input', '{}', '--json', '--auto-approve', '--quiet', '--data', 'd'])).toEqual({
      kind: 'run',
      workflow: 'wf.yaml',
      input: '{}',
      json: true,
      autoApprove: true,
      quiet: true,
      data: 'd',
      durability: 'flush',
    });
  });

  it('defaults --data to ./.troupe', () => {
    expect(parseCommandLine(['run', 'wf.yaml'])).toMatchObject({ data: './.troupe', durability: 'flush' });
    expect(parseCommandLine(['resume', 'wf.yaml', '--durability', 'commit'])).toMatchObject({ durability: 'commit' });
    expect(parseCommandLine(['status'])).toEqual({ kind: 'status', run: null, json: false, data: './.troupe' });
  });

  it('parses status, verify and resume', () => {
    expect(parseCommandLine(['status', 'r1', '--json', '--data', 'd'])).toEqual({ kind: 'status', run: 'r1', json: true, data: 'd' });
    expect(parseCommandLine(['verify', 'r1', '--data', 'd'])).toEqual({ kind: 'verify', run: 'r1', json: false, data: 'd' });
    expect(parseCommandLine(['resume', 'a.yaml', 'b.json', '--auto-approve', '--json'])).toEqual({
      kind: 'resume',
      workflows: ['a.yaml', 'b.json'],
      json: true,
      autoApprove: true,
      data: './.troupe',
      durability: 'flush',
    });
  });

  it.each([
    [['run', fixture('hello.yaml'), '--frobnicate'], /unknown flag --frobnicate/],
    [['check', fixture('hello.yaml'), '--json'], /unknown flag --json/],
    [['--nope'], /unknown flag --nope/],
    [['run'], /run: missing argument <workflow.yaml\|json>/],
    [['run', 'a.yaml', 'b.yaml'], /unexpected argument "b.yaml"/],
    [['run', 'a.yaml', '--input'], /flag --input needs a value/],
    [['deploy'], /unknown command "deploy"/],
    [['check', fixture('hello.yaml'), '--data', 'd'], /unknown flag --data/],
    [['status', 'a', 'b'], /status: unexpected argument "b"/],
    [['verify'], /verify: missing argument RUN/],
    [['verify', 'a', 'b'], /verify: unexpected argument "b"/],
    [['run', 'a.yaml', '--data'], /flag --data needs a value/],
    [['approve', 'r'], /approve: missing arguments RUN STEP/],
    [['run', 'a.yaml', '--durability', 'fast'], /flag --durability must be flush, commit or memory, got "fast"/],
    [[], /missing command/],
  ])('exits 2 with one usage line for %j', async (argv, detail) => {
    const io = testIO();
    expect(await main(argv, io)).toBe(2);
    expect(io.err()).toMatch(usageLine);
    expect(io.err()).toMatch(detail);
    expect(io.out()).toBe('');
  });

  it('prints help listing only the commands that exist', async () => {
    const io = testIO();
    expect(await main(['--help'], io)).toBe(0);
    expect(io.out()).toContain('troupe run <workflow.yaml|json>');
    expect(io.out()).toContain('troupe check <workflow.yaml|json>');
    expect(io.out()).toContain('troupe status [RUN] [--data DIR] [--json]');
    expect(io.out()).toContain('troupe verify RUN [--data DIR] [--json]');
    expect(io.out()).toContain('troupe resume [<workflow.yaml|json>...] [--data DIR]');
    expect(io.out()).toContain('troupe serve [--port 7070] [--host 127.0.0.1] [--data DIR] [--workflows DIR] [--token T]');
    expect(io.out()).toContain('troupe inspect URL [--token T] [--run RUN] [--tree] [--json]');
    expect(io.out()).not.toMatch(/\bbench\b/);
    expect(io.out()).toMatch(/troupe gc --older-than AGE/);
    expect(io.out()).toMatch(/troupe approve RUN STEP/);
  });

  it('says in resume --help where the workflow files come from', async () => {
    const io = testIO();
    expect(await main(['resume', '--help'], io)).toBe(0);
    expect(io.out()).toContain('Each run records the workflow file it was started from');
  });

  it.each(['run', 'resume', 'status', 'verify', 'check'])('prints help for %s', async (command) => {
    const io = testIO();
    expect(await main([command, '--help'], io)).toBe(0);
    expect(io.out()).toMatch(new RegExp(`^Usage: troupe ${command} `));
  });

  it('takes serve --digest-ms (how often the inspector sends its overview) and refuses a value out of range', async () => {
    expect(parseCommandLine(['serve', '--digest-ms', '1000'])).toMatchObject({ kind: 'serve', digestMs: 1000 });
    expect(parseCommandLine(['serve'])).toMatchObject({ kind: 'serve', digestMs: undefined });
    for (const bad of ['5', '60001', '1.5', 'fast', '']) {
      const io = testIO();
      expect(await main(['serve', '--digest-ms', bad], io), bad).toBe(2);
      expect(io.err()).toMatch(/^troupe: TROUPE_CLI_USAGE: flag --digest-ms must be an integer from 10 to 60000 \(milliseconds\), got /);
    }
  });

  it('prints the version from package.json', async () => {
    const io = testIO();
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
    expect(await main(['--version'], io)).toBe(0);
    expect(io.out()).toBe(`${pkg.version}\n`);
  });
});
