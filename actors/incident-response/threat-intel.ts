import { defineAgent } from 'troupe';
import { lookupIndicators } from './lib/intel-lookup.js';
import { threatIntelInputSchema, threatIntelOutputSchema } from './schemas.js';
import type { ThreatIntelInput, ThreatIntelOutput } from './types.js';

/**
 * Threat intel (capability `threat-intel`): looks IPs, hashes and domains up in the bundled
 * offline intel table (`lib/intel-table.ts`) and returns a verdict
 * (`malicious|suspicious|benign|unknown`) and a 0-100 score for each, plus counts.
 *
 * @example
 * ```ts
 * const out = await threatIntel.definition.execute({ indicators }, ctx);
 * out.summary; // { malicious: 3, suspicious: 1, benign: 0, unknown: 0, maxScore: 97 }
 * ```
 */
export const threatIntel = defineAgent<ThreatIntelInput, ThreatIntelOutput>({
  id: 'threat-intel',
  capabilities: ['threat-intel'],
  description: 'Looks indicators up in a bundled offline threat-intel table.',
  input: threatIntelInputSchema,
  output: threatIntelOutputSchema,
  timeout: '5s',
  execute(input, ctx) {
    ctx.signal.throwIfAborted();
    return lookupIndicators(input.indicators);
  },
});
