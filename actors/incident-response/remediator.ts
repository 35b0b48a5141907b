import { defineAgent } from 'troupe';
import { planContainment } from './lib/containment.js';
import { remediationPlanSchema, remediatorInputSchema } from './containment-schemas.js';
import type { RemediationPlan, RemediatorInput } from './types.js';

/**
 * Remediator: drafts containment actions from triage and the investigation's findings:
 * isolate (or scan) the hosts, block routable IPs and domains and quarantine hashes unless intel
 * says benign (then monitor), disable accounts on account-takeover categories, rotate
 * credentials. Every indicator gets at least one action. It drafts only; it changes nothing, so
 * it is safe to retry. Its compensation is `undo-containment`.
 *
 * @example
 * ```ts
 * const plan = await remediator.definition.execute({ alert, triage, logs, intel }, ctx);
 * plan.actions[0]; // { id: 'A1', kind: 'isolate-host', target: 'fin-ws-042', reason: '...' }
 * ```
 */
export const remediator = defineAgent<RemediatorInput, RemediationPlan>({
  id: 'remediator',
  capabilities: ['remediation'],
  description: 'Drafts containment actions (isolate, block, quarantine, disable, rotate) from triage and findings.',
  input: remediatorInputSchema,
  output: remediationPlanSchema,
  timeout: '5s',
  execute(input, ctx) {
    ctx.signal.throwIfAborted();
    return planContainment(input);
  },
});
