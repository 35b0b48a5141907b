import { describe, expect, it } from 'vitest';
import { escalation } from '../../actors/customer-support/escalation.js';
import { feedback } from '../../actors/customer-support/feedback.js';
import { intent } from '../../actors/customer-support/intent.js';
import { orderLookup } from '../../actors/customer-support/order-lookup.js';
import { refund } from '../../actors/customer-support/refund.js';
import { ORDERS } from '../../actors/customer-support/lib/orders.js';
import type {
  EscalationOutput,
  FeedbackOutput,
  IntentOutput,
  OrderLookupOutput,
  RefundDraft,
  SupportRequest,
} from '../../actors/customer-support/types.js';
import { fakeContext, readActorJson } from './helpers.js';

const sample = readActorJson<SupportRequest>('customer-support/sample-request.json');
const ctx = fakeContext();

const classify = async (message: string): Promise<IntentOutput> => (await intent.definition.execute({ message }, ctx)) as IntentOutput;

describe('customer-support crew', () => {
  describe('intent', () => {
    it.each([
      ['I want my money back for ORD-1188', 'refund'],
      ['Where is my order #1077? Tracking has not moved.', 'order-status'],
      ['Your courier was rude and the box was damaged. Unacceptable!', 'complaint'],
      ['Do you sell gift cards?', 'other'],
    ])('classifies %j as %s', async (message, expected) => {
      const out = await classify(message);
      expect(out.intent).toBe(expected);
      expect(intent.validateOutput(out)).toBeNull();
    });

    it('prefers refund over complaint on a tie and reads the order id', async () => {
      const out = await classify(sample.message);
      expect(out).toMatchObject({ intent: 'refund', orderId: 'ORD-1042', sentiment: 'negative' });
    });

    it('takes an explicit order id over the message', async () => {
      const out = (await intent.definition.execute({ message: 'refund order 1001', orderId: 'ord-1188' }, ctx)) as IntentOutput;
      expect(out.orderId).toBe('ORD-1188');
    });
  });

  describe('order-lookup', () => {
    it('finds an order and what is left to refund', async () => {
      const out = (await orderLookup.definition.execute({ orderId: 'ORD-1203', customerId: 'C-442' }, ctx)) as OrderLookupOutput;
      expect(out).toMatchObject({ found: true, refundable: 120, note: null });
      expect(orderLookup.validateOutput(out)).toBeNull();
    });

    it('refuses another customer’s order and reports unknown ids', async () => {
      const other = (await orderLookup.definition.execute({ orderId: 'ORD-1042', customerId: 'C-100' }, ctx)) as OrderLookupOutput;
      expect(other).toMatchObject({ found: false, order: null });
      const missing = (await orderLookup.definition.execute({ orderId: null }, ctx)) as OrderLookupOutput;
      expect(missing).toEqual({ found: false, order: null, refundable: 0, note: 'no order id given' });
      expect(orderLookup.validateOutput(missing)).toBeNull();
    });

    it('falls back to the customer’s latest order', async () => {
      const out = (await orderLookup.definition.execute({ customerId: 'C-301' }, ctx)) as OrderLookupOutput;
      expect(out.order?.id).toBe('ORD-1077');
    });

    it('ships an order table that matches the schema', async () => {
      for (const order of ORDERS) {
        const out = (await orderLookup.definition.execute({ orderId: order.id }, ctx)) as OrderLookupOutput;
        expect(orderLookup.validateOutput(out)).toBeNull();
      }
    });
  });

  describe('refund', () => {
    const order = ORDERS.find((o) => o.id === 'ORD-1042')!;

    it('needs approval above 50', async () => {
      const out = (await refund.definition.execute({ order, message: sample.message }, ctx)) as RefundDraft;
      expect(out).toMatchObject({ orderId: 'ORD-1042', amount: 129.99, requiresApproval: true, status: 'draft', refundId: 'RF-1042-12999' });
      expect(refund.validateOutput(out)).toBeNull();
    });

    it('refunds only the items named, without approval when small', async () => {
      const out = (await refund.definition.execute({ order, message: 'Please refund the candle trio, it melted.' }, ctx)) as RefundDraft;
      expect(out).toMatchObject({ amount: 30, items: ['CANDLE-3'], requiresApproval: false });
      expect(refund.validateOutput(out)).toBeNull();
    });
  });

  describe('escalation', () => {
    it('sends a refused refund to billing with a stable ticket id', async () => {
      const order = ORDERS.find((o) => o.id === 'ORD-1042')!;
      const input = { message: sample.message, intent: 'refund' as const, customer: sample.customer, order, refund: { approved: false, by: 'lee' } };
      const a = (await escalation.definition.execute(input, ctx)) as EscalationOutput;
      const b = (await escalation.definition.execute(input, ctx)) as EscalationOutput;
      expect(a).toEqual(b);
      expect(a).toMatchObject({ queue: 'billing', priority: 'normal' });
      expect(escalation.validateOutput(a)).toBeNull();
    });

    it('sends complaints to the complaints queue, urgently when angry about a big order', async () => {
      const order = ORDERS.find((o) => o.id === 'ORD-1291')!;
      const out = (await escalation.definition.execute({ message: 'Worst service ever, I will do a chargeback', intent: 'complaint', order }, ctx)) as EscalationOutput;
      expect(out).toMatchObject({ queue: 'complaints', priority: 'urgent', slaHours: 2 });
    });
  });

  describe('feedback', () => {
    it('confirms an approved refund', async () => {
      const i = await classify(sample.message);
      const lookup = (await orderLookup.definition.execute({ orderId: 'ORD-1042', customerId: 'C-301' }, ctx)) as OrderLookupOutput;
      const draft = (await refund.definition.execute({ order: lookup.order!, message: sample.message }, ctx)) as RefundDraft;
      const input = { message: sample.message, customer: sample.customer, intent: i, lookup, refund: draft };
      expect(feedback.validateInput(input)).toBeNull();
      const out = (await feedback.definition.execute(input, ctx)) as FeedbackOutput;
      expect(feedback.validateOutput(out)).toBeNull();
      expect(out).toMatchObject({ resolution: 'refund-issued', tone: 'apologetic' });
      expect(out.reply).toContain('$129.99');
      expect(out.reply).toContain('Dana Whitfield');
    });

    it('gives a status update with tracking', async () => {
      const i = await classify('Where is my order ORD-1077?');
      const lookup = (await orderLookup.definition.execute({ orderId: 'ORD-1077' }, ctx)) as OrderLookupOutput;
      const out = (await feedback.definition.execute({ message: 'Where is my order ORD-1077?', intent: i, lookup }, ctx)) as FeedbackOutput;
      expect(out.resolution).toBe('status-update');
      expect(out.reply).toContain('JD014600006281230000');
    });

    it('names the case number when escalated', async () => {
      const esc = (await escalation.definition.execute({ message: 'terrible', intent: 'complaint' }, ctx)) as EscalationOutput;
      const out = (await feedback.definition.execute({ message: 'terrible', intent: await classify('terrible'), escalation: esc }, ctx)) as FeedbackOutput;
      expect(out.resolution).toBe('escalated');
      expect(out.reply).toContain(esc.ticketId);
      expect(feedback.validateOutput(out)).toBeNull();
    });
  });
});
