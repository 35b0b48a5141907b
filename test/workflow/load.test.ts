import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { loadWorkflowFile, parseWorkflow } from '../../src/workflow/index.js';

const fixtures = fileURLToPath(new URL('./fixtures/', import.meta.url));
const tmp = mkdtempSync(join(tmpdir(), 'troupe-workflow-load-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function write(name: string, text: string): string {
  const file = join(tmp, name);
  writeFileSync(file, text);
  return file;
}

describe('loadWorkflowFile', () => {
  it('loads the complete example with agent modules resolved against the file', async () => {
    const loaded = await loadWorkflowFile(join(fixtures, 'incident-response.yaml'));
    expect(loaded.definition.name).toBe('incident-response');
    expect(Object.keys(loaded.definition.steps)).toEqual(['triage', 'investigate', 'enrich', 'remediate', 'review', 'report']);
    expect(loaded.file).toBe(join(fixtures, 'incident-response.yaml'));
    expect(loaded.dir).toBe(join(fixtures).replace(/\/$/, ''));
    expect(loaded.agentModules).toEqual([join(fixtures, '../../../actors/incident-response/index.ts')]);
    expect(loaded.warnings).toEqual([]);
    expect(Object.isFrozen(loaded.definition.steps.triage)).toBe(true);
  });

  it('loads JSON', async () => {
    const loaded = await loadWorkflowFile(join(fixtures, 'incident-response.json'));
    expect(loaded.definition).toEqual({
      name: 'tiny',
      steps: { first: { agent: 'a', next: 'second' }, second: { capability: 'summarise', input: { text: 'first.text' } } },
    });
  });

  it('loads sub-workflow files once, keyed by the value as written', async () => {
    const loaded = await loadWorkflowFile(join(fixtures, 'with-sub.yaml'));
    expect([...loaded.subWorkflows.keys()]).toEqual(['./sub/notify.yaml', 'sub/notify.yaml']);
    const sub = loaded.subWorkflows.get('./sub/notify.yaml')!;
    expect(loaded.subWorkflows.get('sub/notify.yaml')).toBe(sub);
    expect(sub.definition.name).toBe('notify');
    expect(sub.agentModules).toEqual([join(fixtures, 'sub/notifier.ts')]);
    expect(loaded.agentModules).toEqual([join(fixtures, 'agents/local.ts')]);
  });

  describe('when sub-workflows form a cycle', () => {
    it('throws TROUPE_WORKFLOW_INVALID naming the chain, located at the workflow field', async () => {
      const err = await loadWorkflowFile(join(fixtures, 'cycle-a.yaml')).catch((e: unknown) => e);
      expect(err).toMatchObject({ code: 'TROUPE_WORKFLOW_INVALID' });
      const { message } = err as Error;
      expect(message).toContain(`${join(fixtures, 'cycle-b.yaml')}:4:5 /steps/back/workflow: sub-workflows form a cycle: `);
      expect(message).toContain(`cycle-a.yaml -> ${join(fixtures, 'cycle-b.yaml')} -> ${join(fixtures, 'cycle-a.yaml')}`);
    });
  });

  describe('when a sub-workflow file is missing', () => {
    it('throws TROUPE_WORKFLOW_LOAD_FAILED at the step that names it', async () => {
      const err = await loadWorkflowFile(join(fixtures, 'missing-sub.yaml')).catch((e: unknown) => e);
      expect(err).toMatchObject({ code: 'TROUPE_WORKFLOW_LOAD_FAILED' });
      expect((err as Error).message).toMatch(/missing-sub\.yaml:4:5 \/steps\/go\/workflow: cannot load sub-workflow "\.\/nowhere\.yaml": .*no such file/);
    });
  });

  describe('when the file cannot be read', () => {
    it('throws TROUPE_WORKFLOW_LOAD_FAILED naming the file', async () => {
      const missing = join(tmp, 'absent.yaml');
      await expect(loadWorkflowFile(missing)).rejects.toMatchObject({
        code: 'TROUPE_WORKFLOW_LOAD_FAILED',
        message: `${missing}: cannot read workflow file: no such file`,
      });
    });

    it('refuses an unknown extension', async () => {
      const file = write('flow.txt', 'name: x');
      await expect(loadWorkflowFile(file)).rejects.toMatchObject({ code: 'TROUPE_WORKFLOW_LOAD_FAILED', message: expect.stringMatching(/unsupported workflow file extension ".txt"/) });
    });
  });

  describe('when the definition is invalid', () => {
    it('throws TROUPE_WORKFLOW_INVALID with located issues, one a line as file:line:col path: message', async () => {
      const file = write('bad.yaml', 'name: bad\nsteps:\n  a:\n    agent: x\n    next: b\n');
      const err = (await loadWorkflowFile(file).catch((e: unknown) => e)) as { code: string; message: string; data: { issues: unknown[] } };
      expect(err.code).toBe('TROUPE_WORKFLOW_INVALID');
      expect(err.data.issues).toEqual([{ path: '/steps/a/next', message: 'next names step "b", which does not exist (steps: a)', line: 5, column: 5 }]);
      expect(err.message.split('\n')).toEqual([`${file} is invalid (1 error):`, `${file}:5:5 /steps/a/next: next names step "b", which does not exist (steps: a)`]);
    });
  });
});

describe('parseWorkflow', () => {
  describe('when the YAML has a syntax error', () => {
    it('throws TROUPE_WORKFLOW_LOAD_FAILED with file:line:col', () => {
      expect(() => parseWorkflow('name: x\nsteps:\n  a: { agent: x\n', 'flow.yaml')).toThrow(
        expect.objectContaining({ code: 'TROUPE_WORKFLOW_LOAD_FAILED', message: expect.stringMatching(/^flow\.yaml:\d+:\d+: invalid YAML: /) }),
      );
    });

    it('refuses duplicate keys (a step defined twice)', () => {
      expect(() => parseWorkflow('name: x\nsteps:\n  a: { agent: x }\n  a: { agent: y }\n', 'flow.yml')).toThrow(
        expect.objectContaining({ code: 'TROUPE_WORKFLOW_LOAD_FAILED', message: expect.stringMatching(/^flow\.yml:4:3: invalid YAML: Map keys must be unique/) }),
      );
    });

    it('refuses an alias bomb', () => {
      const bomb = ['a: &a [x, x, x, x, x, x, x, x, x, x]', 'b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]', 'c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]', 'd: [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]'].join('\n');
      expect(() => parseWorkflow(bomb, 'bomb.yaml')).toThrow();
    });
  });

  describe('when the JSON has a syntax error', () => {
    it('throws TROUPE_WORKFLOW_LOAD_FAILED with file:line:col', () => {
      expect(() => parseWorkflow('{\n  "name": "x",\n  "steps": {,}\n}', 'flow.json')).toThrow(
        expect.objectContaining({ code: 'TROUPE_WORKFLOW_LOAD_FAILED', message: expect.stringMatching(/^flow\.json:3:13: invalid JSON: /) }),
      );
    });
  });

  it('locates issues in JSON files too', () => {
    const err = (() => {
      try {
        parseWorkflow('{\n  "name": "x",\n  "steps": {\n    "a": { "agent": "x", "next": "zz" }\n  }\n}', 'flow.json');
      } catch (e) {
        return e as { data: { issues: { line: number; column: number }[] } };
      }
      throw new Error('expected a throw');
    })();
    expect(err.data.issues[0]).toMatchObject({ line: 4, column: 26 });
  });
});
