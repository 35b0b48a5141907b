import { defineAgent } from 'troupe';
import { triageAlert } from './lib/triage-rules.js';
import { triageInputSchema, triageOutputSchema } from './schemas.js';
import type { TriageInput, TriageOutput } from './types.js';

/**
 * Triage: classifies an alert's severity (`low|medium|high|critical`) and category from its
 * source, signature, event count, asset criticality and artefacts; extracts indicators (routable
 * IPs, hashes, domains, users, hosts) and the raw log lines that mention them.
 *
 * Deterministic and offline: the output is a pure function of `input.alert`.
 *
 * @example
 * ```ts
 * const out = await triage.definition.execute({ alert }, ctx);
 * out.severity; // 'high'
 * ```
 */
export const triage = defineAgent<TriageInput, TriageOutput>({
  id: 'triage',
  capabilities: ['triage'],
  description: 'Classifies an alert by severity and category and extracts its indicators and log snippets.',
  input: triageInputSchema,
  output: triageOutputSchema,
  timeout: '5s',
  execute(input, ctx) {
    ctx.signal.throwIfAborted();
    return triageAlert(input.alert);
  },
});
