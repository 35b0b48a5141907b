import { defineAgent } from 'troupe';
import { draftRefund } from './lib/refunds.js';
import { refundDraftSchema, refundInputSchema } from './schemas.js';
import type { RefundDraft, RefundInput } from './types.js';

/**
 * Refund: drafts a refund to the original payment method: what is left to refund on the order,
 * or only the items the message names. `requiresApproval` is true above 50 (the workflow gates
 * the step on `refund.amount > 50`). It drafts only; nothing is paid here.
 *
 * @example
 * ```ts
 * const out = await refund.definition.execute({ order, message: 'refund the candle trio please' }, ctx);
 * out; // { refundId: 'RF-1042-03000', amount: 30, requiresApproval: false, status: 'draft', ... }
 * ```
 */
export const refund = defineAgent<RefundInput, RefundDraft>({
  id: 'refund',
  capabilities: ['refund'],
  description: 'Drafts a refund for an order; amounts over 50 need approval.',
  input: refundInputSchema,
  output: refundDraftSchema,
  timeout: '2s',
  execute(input, ctx) {
    ctx.signal.throwIfAborted();
    return draftRefund(input.order, input.message);
  },
});
