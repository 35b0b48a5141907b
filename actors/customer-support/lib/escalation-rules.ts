/**
 * Escalation: which human queue gets the case, how urgently, and a summary for the agent who
 * picks it up.
 */
import type { EscalationInput, EscalationOutput, Queue } from '../types.js';
import { readRefund } from './refunds.js';

const SLA_HOURS: Record<EscalationOutput['priority'], number> = { urgent: 2, high: 8, normal: 24, low: 72 };
const ANGRY = /\b(?:lawyer|legal|chargeback|unacceptable|worst|furious|social media|bbb)\b/i;

/** FNV-1a: a stable ticket number for the same case. */
function ticketNumber(text: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  return (h >>> 0).toString(16).toUpperCase().padStart(8, '0');
}

/** Route a case to a human queue. Pure and deterministic. */
export function escalate(input: EscalationInput): EscalationOutput {
  const order = input.order ?? null;
  const { draft, decision } = readRefund(input.refund);
  let queue: Queue;
  let reason: string;
  // Escalation only sees a refund when its approval was refused: a draft here is a rejected one.
  if (decision?.approved === false || (draft !== null && decision?.approved !== true)) {
    queue = 'billing';
    reason = `refund ${draft ? `${draft.refundId} of ${draft.amount.toFixed(2)} ${draft.currency} ` : ''}was not approved${decision?.by ? ` by ${decision.by}` : ''}${decision?.comment ? `: ${decision.comment}` : ''}`;
  } else if (input.intent === 'complaint') {
    queue = 'complaints';
    reason = 'customer complaint';
  } else if (order === null && (input.intent === 'refund' || input.intent === 'order-status')) {
    queue = 'orders';
    reason = `${input.intent} request without a matching order`;
  } else if (input.intent === 'refund') {
    queue = 'billing';
    reason = `nothing left to refund on ${order?.id ?? 'the order'}`;
  } else {
    queue = 'tier-2';
    reason = 'needs a human';
  }
  const angry = ANGRY.test(input.message);
  const bigOrder = (order?.total ?? 0) >= 200;
  const priority = angry && (bigOrder || queue === 'billing') ? 'urgent' : angry || bigOrder ? 'high' : queue === 'tier-2' ? 'low' : 'normal';
  const who = input.customer ? `${input.customer.name ?? 'Customer'} (${input.customer.id})` : 'Anonymous customer';
  const excerpt = input.message.length > 200 ? `${input.message.slice(0, 197)}...` : input.message;
  return {
    ticketId: `ESC-${ticketNumber(`${input.customer?.id ?? ''}|${order?.id ?? ''}|${input.message}`)}`,
    queue,
    priority,
    slaHours: SLA_HOURS[priority],
    reason: reason.length > 500 ? `${reason.slice(0, 497)}...` : reason,
    summary: `${who}, ${input.intent}${order ? ` on ${order.id} (${order.status}, ${order.total.toFixed(2)} ${order.currency})` : ''}: ${reason}. Message: "${excerpt}"`,
  };
}
