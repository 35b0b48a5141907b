import { defineAgent } from 'troupe';
import { buildReport } from './lib/report.js';
import { reporterInputSchema, reporterOutputSchema } from './containment-schemas.js';
import type { ReporterInput, ReporterOutput } from './types.js';

/**
 * Reporter: compiles the incident report from everything the run gathered (`alert`, `triage`,
 * and when they ran, `investigate` and `remediate`): a markdown document and a structured
 * summary with status, timeline, actions, approvals, indicator counts and malicious indicators.
 *
 * @example
 * ```ts
 * const { markdown, summary } = await reporter.definition.execute({ alert, triage, investigate, remediate }, ctx);
 * summary.status; // 'contained'
 * ```
 */
export const reporter = defineAgent<ReporterInput, ReporterOutput>({
  id: 'reporter',
  capabilities: ['report'],
  description: 'Compiles a markdown incident report and a structured summary.',
  input: reporterInputSchema,
  output: reporterOutputSchema,
  timeout: '5s',
  execute(input, ctx) {
    ctx.signal.throwIfAborted();
    return buildReport(input);
  },
});
