import { defineAgent } from 'troupe';
import { undoContainment as reverse } from './lib/containment.js';
import { undoInputSchema, undoOutputSchema } from './containment-schemas.js';
import type { ContainmentAction, UndoOutput } from './types.js';

/**
 * Undo containment: the compensation of the remediation step. Given the remediator's plan (the
 * step's own output, the default compensation input), reverses each reversible action, last
 * first: release hosts, unblock IPs and domains, restore files, re-enable accounts. Rotated
 * credentials, scans and monitoring are reported as skipped.
 *
 * @example
 * ```ts
 * const out = await undoContainment.definition.execute(plan, ctx);
 * out.undone[0]; // { id: 'A9', kind: 'enable-account', target: 'j.doe', reverses: 'disable-account' }
 * ```
 */
export const undoContainment = defineAgent<{ incidentId?: string; actions: readonly ContainmentAction[] }, UndoOutput>({
  id: 'undo-containment',
  capabilities: ['compensation'],
  description: 'Reverses a drafted containment plan, last action first.',
  input: undoInputSchema,
  output: undoOutputSchema,
  timeout: '5s',
  retry: { max: 3, backoff: 'exponential', base: '100ms' },
  execute(input, ctx) {
    ctx.signal.throwIfAborted();
    return reverse(input);
  },
});
