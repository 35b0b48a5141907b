import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { threadId } from 'node:worker_threads';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { createRuntime, loadWorkflowFile, type TroupeRuntime } from '../../src/index.js';

const tmp = mkdtempSync(join(tmpdir(), 'troupe-workflow-workers-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

let rt: TroupeRuntime | undefined;
afterEach(async () => {
  await rt?.stop({ timeoutMs: 100 });
  rt = undefined;
});

function write(name: string, text: string): string {
  const file = join(tmp, name);
  writeFileSync(file, text);
  return file;
}

/** 1-based line and column of the first occurrence of `needle` in `text`. */
function positionOf(text: string, needle: string): string {
  const before = text.slice(0, text.indexOf(needle)).split('\n');
  return `${before.length}:${before[before.length - 1]!.length + 1}`;
}

write(
  'count-words.task.ts',
  `import { threadId } from 'node:worker_threads';
export function execute(input: { text: string }): { words: number; threadId: number } {
  return { words: input.text.split(/\\s+/).filter(Boolean).length, threadId };
}
`,
);

const WORKFLOW = `name: word-count
agents:
  - id: word-count
    kind: worker
    module: ./count-words.task.ts
    capabilities: [counting]
    timeout: 5s
    retry: { max: 1 }
    input: { type: object, required: [text] }
    output: { type: object, required: [words] }
    pool: { maxThreads: 2, maxQueue: 32, recycleAfter: 1000 }
steps:
  count:
    agent: word-count
    input: { text: input.text }
    next: again
  again:
    capability: counting
    input: { text: '"one two"' }
output: '{ "first": count, "second": again }'
`;

describe('worker agents declared in a workflow file', () => {
  it('runs its steps in another thread, by agent id and by capability', async () => {
    const file = write('word-count.yaml', WORKFLOW);
    rt = await createRuntime();
    expect(await rt.load(file)).toBe('word-count');
    const run = await rt.start('word-count', { text: 'the quick brown fox' });
    const out = (await run.result()) as { first: { words: number; threadId: number }; second: { words: number; threadId: number } };
    expect(out.first.words).toBe(4);
    expect(out.second.words).toBe(2);
    expect(out.first.threadId).not.toBe(threadId);
    expect(out.second.threadId).not.toBe(threadId);
    expect(rt.poolStats()).toEqual([expect.objectContaining({ name: 'agent:word-count', maxThreads: 2, maxQueue: 32, completed: 2 })]);
  });

  it('resolves the module against the workflow file and exposes the defined agents beside the module paths', async () => {
    const file = write('mixed.yaml', WORKFLOW.replace('agents:\n', 'agents:\n  - ./other-agents.ts\n'));
    const loaded = await loadWorkflowFile(file);
    expect(loaded.agentModules).toEqual([join(tmp, 'other-agents.ts')]);
    expect(loaded.workerAgents).toHaveLength(1);
    const [agent] = loaded.workerAgents;
    expect(agent).toMatchObject({ id: 'word-count', kind: 'worker', capabilities: ['counting'], timeoutMs: 5_000 });
    expect(agent!.worker).toMatchObject({ module: pathToFileURL(join(tmp, 'count-words.task.ts')).href, exportName: 'execute' });
    expect(agent!.worker!.pool).toMatchObject({ maxThreads: 2, maxQueue: 32, recycleAfter: 1000 });
  });

  it('loading the same workflow file twice registers its worker agents once', async () => {
    const file = write('twice.yaml', WORKFLOW);
    rt = await createRuntime();
    await rt.load(file);
    await rt.load(file);
    expect(rt.agents.registry.list().map((a) => a.id)).toEqual(['word-count']);
    const run = await rt.start('word-count', { text: 'a b c' });
    expect(await run.result()).toMatchObject({ first: { words: 3 } });
  });

  it('refuses a second workflow declaring the same agent id differently', async () => {
    rt = await createRuntime();
    await rt.load(write('first.yaml', WORKFLOW));
    const other = write('second.yaml', WORKFLOW.replace('name: word-count', 'name: other').replace('maxThreads: 2', 'maxThreads: 1'));
    await expect(rt.load(other)).rejects.toMatchObject({ code: 'TROUPE_AGENT_DUPLICATE' });
  });

  describe('when a pool option is invalid', () => {
    it('names agents/N/pool/maxQueue with its line and column (schema)', async () => {
      const text = WORKFLOW.replace('agents:\n', 'agents:\n  - ./other-agents.ts\n').replace('pool: { maxThreads: 2, maxQueue: 32', 'pool: { maxThreads: 2, maxQueue: -1');
      const file = write('bad-queue.yaml', text);
      const err = await loadWorkflowFile(file).catch((e: unknown) => e);
      expect(err).toMatchObject({ code: 'TROUPE_WORKFLOW_INVALID' });
      expect((err as Error).message).toContain(`${file}:${positionOf(text, 'maxQueue')} /agents/1/pool/maxQueue: must be >= 0, got -1`);
    });

    it('names the field defineAgent rejects (minThreads above maxThreads), located', async () => {
      const text = WORKFLOW.replace('pool: { maxThreads: 2,', 'pool: { minThreads: 3, maxThreads: 2,');
      const file = write('bad-threads.yaml', text);
      const err = await loadWorkflowFile(file).catch((e: unknown) => e);
      expect(err).toMatchObject({ code: 'TROUPE_WORKFLOW_INVALID' });
      expect((err as Error).message).toContain(`${file}:${positionOf(text, 'minThreads')} /agents/0/pool/minThreads: expected at most maxThreads (2), got 3`);
    });

    it('suggests the option meant by a misspelt one', async () => {
      const text = WORKFLOW.replace('maxQueue: 32', 'maxQeue: 32');
      const err = await loadWorkflowFile(write('typo.yaml', text)).catch((e: unknown) => e);
      expect((err as Error).message).toContain(`/agents/0/pool/maxQeue: unknown property "maxQeue" (did you mean "maxQueue"?)`);
    });
  });

  describe('when the worker module file is missing', () => {
    it('names the module as written and the path it resolved to, located at its module field', async () => {
      const text = WORKFLOW.replace('./count-words.task.ts', './no-such.task.ts');
      const file = write('missing.yaml', text);
      const err = await loadWorkflowFile(file).catch((e: unknown) => e);
      expect(err).toMatchObject({ code: 'TROUPE_WORKFLOW_INVALID' });
      expect((err as Error).message).toContain(
        `${file}:${positionOf(text, 'module:')} /agents/0/module: cannot find worker module "./no-such.task.ts": no such file ${join(tmp, 'no-such.task.ts')}`,
      );
    });

    it('fails runtime.load before registering anything', async () => {
      const file = write('missing-rt.yaml', WORKFLOW.replace('./count-words.task.ts', './no-such.task.ts'));
      rt = await createRuntime();
      await expect(rt.load(file)).rejects.toMatchObject({ code: 'TROUPE_WORKFLOW_INVALID' });
      expect(rt.agents.registry.list()).toEqual([]);
      expect(rt.workflows.names()).toEqual([]);
    });
  });

  describe('when an entry is not a worker agent', () => {
    it('requires kind: worker and a module', async () => {
      const text = WORKFLOW.replace('    kind: worker\n', '').replace('    module: ./count-words.task.ts\n', '');
      const err = await loadWorkflowFile(write('no-kind.yaml', text)).catch((e: unknown) => e);
      expect((err as Error).message).toContain('/agents/0: missing required property "kind"');
      expect((err as Error).message).toContain('/agents/0: missing required property "module"');
    });

    it('names a second declaration of the same id', async () => {
      const entry = WORKFLOW.slice(WORKFLOW.indexOf('  - id:'), WORKFLOW.indexOf('steps:'));
      const text = WORKFLOW.replace('steps:', `${entry}steps:`);
      const err = await loadWorkflowFile(write('dup.yaml', text)).catch((e: unknown) => e);
      expect((err as Error).message).toContain('/agents/1/id: agent "word-count" is already declared at /agents/0');
    });
  });
});
