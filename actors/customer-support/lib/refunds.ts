/**
 * Refund drafting: full refund of what is left, or only the items the customer names.
 */
import type { ApprovalDecision, Order, RefundDraft, RefundState } from '../types.js';

/** Refunds above this amount (in the order's currency) wait for a human's approval. */
export const REFUND_APPROVAL_THRESHOLD = 50;

const cents = (n: number): number => Math.round(n * 100) / 100;
const escape = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** Draft a refund for an order from the customer's message. Nothing is paid out here. */
export function draftRefund(order: Order, message: string): RefundDraft {
  const refundable = cents(Math.max(0, order.total - order.refunded));
  // Items named in the message, by SKU or by name (e.g. "the candle trio"); none named: all.
  const named = order.items.filter((i) => new RegExp(`\\b(?:${escape(i.sku)}|${escape(i.name)})\\b`, 'i').test(message));
  const items = named.length > 0 && named.length < order.items.length ? named : order.items;
  const asked = cents(items.reduce((sum, i) => sum + i.qty * i.price, 0));
  const amount = Math.min(asked, refundable);
  const reason =
    items === order.items ? `full refund of ${order.id} (${order.status})` : `refund of ${items.map((i) => i.name).join(', ')} from ${order.id}`;
  return {
    refundId: `RF-${order.id.replace(/^ORD-/, '')}-${String(Math.round(amount * 100)).padStart(5, '0')}`,
    orderId: order.id,
    amount,
    currency: order.currency,
    items: items.map((i) => i.sku),
    method: 'original-payment',
    requiresApproval: amount > REFUND_APPROVAL_THRESHOLD,
    status: 'draft',
    reason,
  };
}

/** Split what the context holds for the refund step into its draft and the approval decision. */
export function readRefund(state: RefundState | null | undefined): { draft: RefundDraft | null; decision: ApprovalDecision | null } {
  if (typeof state !== 'object' || state === null) return { draft: null, decision: null };
  const s = state as unknown as Record<string, unknown>;
  const draft = typeof s.refundId === 'string' && typeof s.amount === 'number' ? (state as RefundDraft) : null;
  const raw = typeof s.approved === 'boolean' ? s : (s.approval as Record<string, unknown> | undefined);
  const decision =
    raw !== undefined && raw !== null && typeof raw.approved === 'boolean'
      ? { approved: raw.approved, ...(typeof raw.by === 'string' ? { by: raw.by } : {}), ...(typeof raw.comment === 'string' ? { comment: raw.comment } : {}) }
      : null;
  return { draft, decision };
}
