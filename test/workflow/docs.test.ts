import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseWorkflow, workflowSchema } from '../../src/workflow/index.js';

const doc = readFileSync(new URL('../../docs/workflow-format.md', import.meta.url), 'utf8');

describe('docs/workflow-format.md', () => {
  it('shows the complete example exactly as the fixture has it, and it verifies', () => {
    const block = /## Complete example\s+```yaml\n([\s\S]*?)```/.exec(doc)?.[1];
    const fixture = readFileSync(new URL('./fixtures/incident-response.yaml', import.meta.url), 'utf8');
    expect(block).toBe(fixture.replace(/^#.*\n/, ''));
    expect(parseWorkflow(block!, 'example.yaml').name).toBe('incident-response');
  });

  it('documents every field of the schema', () => {
    const fields = new Set<string>();
    const walk = (node: unknown): void => {
      if (typeof node !== 'object' || node === null) return;
      const props = (node as { properties?: Record<string, unknown> }).properties;
      if (props) for (const k of Object.keys(props)) fields.add(k);
      for (const v of Object.values(node)) walk(v);
    };
    walk(workflowSchema());
    expect([...fields].filter((f) => !doc.includes(`\`${f}\``))).toEqual([]);
  });
});
