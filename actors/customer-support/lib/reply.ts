/**
 * Composes the reply to the customer from what the run found: the intent, the order, the refund
 * (and whether it was approved) and any escalation ticket.
 */
import type { FeedbackInput, FeedbackOutput, Order, Resolution } from '../types.js';
import { readRefund } from './refunds.js';

const money = (amount: number, currency: string): string => `${currency === 'EUR' ? '€' : '$'}${amount.toFixed(2)}`;

function statusLine(order: Order): string {
  switch (order.status) {
    case 'processing':
      return `Your order ${order.id} is being prepared${order.eta ? ` and should arrive by ${order.eta}` : ''}.`;
    case 'shipped':
      return `Your order ${order.id} is on its way with ${order.carrier ?? 'our carrier'}${order.tracking ? ` (tracking number ${order.tracking})` : ''}${order.eta ? `; expected delivery ${order.eta}` : ''}.`;
    case 'delivered':
      return `Our records show order ${order.id} was delivered${order.deliveredAt ? ` on ${order.deliveredAt}` : ''}${order.carrier ? ` by ${order.carrier}` : ''}.`;
    case 'cancelled':
      return `Order ${order.id} was cancelled${order.refunded > 0 ? ` and ${money(order.refunded, order.currency)} was refunded` : ''}.`;
    case 'returned':
      return `We received the return for order ${order.id}.`;
  }
}

/** Compose the customer's reply. Pure and deterministic. */
export function composeReply(input: FeedbackInput): FeedbackOutput {
  const name = input.customer?.name ?? 'there';
  const order = input.lookup?.order ?? null;
  const { draft, decision } = readRefund(input.refund);
  const esc = input.escalation ?? null;
  const body: string[] = [];
  let resolution: Resolution;
  let subject: string;

  if (esc !== null) {
    resolution = esc.queue === 'billing' && (draft !== null || decision !== null) ? 'refund-under-review' : 'escalated';
    subject = `We're on it: case ${esc.ticketId}`;
    if (resolution === 'refund-under-review') body.push('Your refund request needs a closer look by our billing team before we can complete it.');
    else if (esc.queue === 'orders') body.push(`We couldn't find ${input.intent.orderId ? `order ${input.intent.orderId}` : 'an order'} under your account, so a colleague will look into it personally.`);
    else if (esc.queue === 'complaints') body.push("We're sorry about your experience. A member of our customer care team will review your case personally.");
    else body.push('A colleague will follow up on your request personally.');
    body.push(`Your case number is ${esc.ticketId}; you'll hear from us within ${esc.slaHours} hours.`);
  } else if (input.intent.intent === 'refund' && (draft !== null || decision?.approved === true)) {
    resolution = 'refund-issued';
    const amount = draft?.amount ?? input.lookup?.refundable ?? 0;
    const currency = draft?.currency ?? order?.currency ?? 'USD';
    subject = `Your refund for ${draft?.orderId ?? order?.id ?? 'your order'}`;
    body.push(
      `We've issued a refund of ${money(amount, currency)} for ${draft?.orderId ?? order?.id ?? 'your order'} to your original payment method${draft ? ` (reference ${draft.refundId})` : ''}.`,
      'It usually shows up within 5-10 business days.',
    );
  } else if (order !== null && (input.intent.intent === 'order-status' || input.intent.intent === 'refund')) {
    resolution = 'status-update';
    subject = `Update on order ${order.id}`;
    body.push(statusLine(order));
  } else {
    resolution = 'needs-info';
    subject = 'Thanks for reaching out';
    body.push(
      order !== null ? statusLine(order) : "We'd like to help.",
      'Could you tell us a little more, including your order number if this is about an order?',
    );
  }

  const apologetic = input.intent.sentiment === 'negative' || input.intent.intent === 'complaint';
  const tone = apologetic ? 'apologetic' : resolution === 'needs-info' ? 'friendly' : 'informative';
  const opening = apologetic ? `Hi ${name}, we're sorry to hear about this.` : `Hi ${name}, thanks for getting in touch.`;
  const reply = [opening, '', ...body, '', 'Best regards,', 'The Troupe Shop support team'].join('\n');
  return { subject, reply, tone, resolution };
}
