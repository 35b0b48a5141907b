import { defineAgent } from 'troupe';
import { escalate } from './lib/escalation-rules.js';
import { escalationInputSchema, escalationOutputSchema } from './schemas.js';
import type { EscalationInput, EscalationOutput } from './types.js';

/**
 * Escalation: hands the case to a human queue (`billing` for refused refunds, `complaints`,
 * `orders` when no order matched, else `tier-2`) with a priority, an SLA and a summary for
 * whoever picks it up. The ticket id is derived from the case, so a retry yields the same one.
 *
 * @example
 * ```ts
 * const out = await escalation.definition.execute({ message, intent: 'complaint', order }, ctx);
 * out; // { ticketId: 'ESC-1A2B3C4D', queue: 'complaints', priority: 'normal', slaHours: 24, ... }
 * ```
 */
export const escalation = defineAgent<EscalationInput, EscalationOutput>({
  id: 'escalation',
  capabilities: ['escalation'],
  description: 'Hands a support case to a human queue with priority and summary.',
  input: escalationInputSchema,
  output: escalationOutputSchema,
  timeout: '2s',
  execute(input, ctx) {
    ctx.signal.throwIfAborted();
    return escalate(input);
  },
});
