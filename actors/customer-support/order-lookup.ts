import { defineAgent } from 'troupe';
import { lookupOrder } from './lib/orders.js';
import { orderLookupInputSchema, orderLookupOutputSchema } from './schemas.js';
import type { OrderLookupInput, OrderLookupOutput } from './types.js';

/**
 * Order lookup: finds an order in the bundled fake order table by id (or the customer's latest
 * order when no id is known) and reports what is still refundable. An order that belongs to a
 * different customer than the one asking is reported as not found.
 *
 * @example
 * ```ts
 * const out = await orderLookup.definition.execute({ orderId: 'ORD-1042', customerId: 'C-301' }, ctx);
 * out; // { found: true, order: { id: 'ORD-1042', total: 129.99, ... }, refundable: 129.99, note: null }
 * ```
 */
export const orderLookup = defineAgent<OrderLookupInput, OrderLookupOutput>({
  id: 'order-lookup',
  capabilities: ['order-lookup'],
  description: 'Looks an order up in the bundled order table.',
  input: orderLookupInputSchema,
  output: orderLookupOutputSchema,
  timeout: '2s',
  retry: { max: 2, backoff: 'exponential', base: '50ms' },
  execute(input, ctx) {
    ctx.signal.throwIfAborted();
    return lookupOrder(input);
  },
});
