import { parseWorkflow, type WorkflowIssue } from '../../src/workflow/index.js';

/** The issues `parseWorkflow` throws for a YAML text (empty when it parses). */
export function issuesOfYaml(yaml: string, file = 'test.yaml'): WorkflowIssue[] {
  try {
    parseWorkflow(yaml, file);
    return [];
  } catch (e) {
    const data = (e as { data?: { issues?: WorkflowIssue[] } }).data;
    if (!data?.issues) throw e;
    return data.issues;
  }
}

/** Issues reduced to `line:col path` for compact assertions. */
export function where(issues: readonly WorkflowIssue[]): string[] {
  return issues.map((i) => `${i.line}:${i.column} ${i.path}`);
}
