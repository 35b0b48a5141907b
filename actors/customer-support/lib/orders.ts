/**
 * The bundled fake order table and its lookup. Customers and orders are invented.
 */
import type { Order, OrderLookupInput, OrderLookupOutput } from '../types.js';

export const ORDERS: readonly Order[] = [
  { id: 'ORD-1001', customerId: 'C-100', status: 'delivered', placedAt: '2024-04-02', currency: 'USD', total: 24.99, refunded: 0, items: [{ sku: 'MUG-01', name: 'Enamel mug', qty: 1, price: 24.99 }], carrier: 'UPS', tracking: '1Z999AA10123456784', deliveredAt: '2024-04-06' },
  { id: 'ORD-1042', customerId: 'C-301', status: 'delivered', placedAt: '2024-05-03', currency: 'USD', total: 129.99, refunded: 0, items: [{ sku: 'VASE-SET', name: 'Ceramic vase set', qty: 1, price: 99.99 }, { sku: 'CANDLE-3', name: 'Candle trio', qty: 1, price: 30 }], carrier: 'FedEx', tracking: '771234567890', deliveredAt: '2024-05-09' },
  { id: 'ORD-1077', customerId: 'C-301', status: 'shipped', placedAt: '2024-05-11', currency: 'USD', total: 64.5, refunded: 0, items: [{ sku: 'LAMP-02', name: 'Desk lamp', qty: 1, price: 64.5 }], carrier: 'DHL', tracking: 'JD014600006281230000', eta: '2024-05-17' },
  { id: 'ORD-1103', customerId: 'C-215', status: 'processing', placedAt: '2024-05-13', currency: 'EUR', total: 210, refunded: 0, items: [{ sku: 'CHAIR-OAK', name: 'Oak chair', qty: 2, price: 105 }], eta: '2024-05-24' },
  { id: 'ORD-1150', customerId: 'C-100', status: 'cancelled', placedAt: '2024-03-20', currency: 'USD', total: 39.9, refunded: 39.9, items: [{ sku: 'TEE-BLK-M', name: 'Black tee (M)', qty: 2, price: 19.95 }] },
  { id: 'ORD-1188', customerId: 'C-442', status: 'delivered', placedAt: '2024-05-01', currency: 'EUR', total: 45, refunded: 0, items: [{ sku: 'BOOK-TS', name: 'TypeScript in depth', qty: 1, price: 45 }], carrier: 'DPD', tracking: '05212345678901', deliveredAt: '2024-05-04' },
  { id: 'ORD-1203', customerId: 'C-442', status: 'returned', placedAt: '2024-04-15', currency: 'EUR', total: 180, refunded: 60, items: [{ sku: 'HEADSET-X', name: 'Wireless headset', qty: 1, price: 120 }, { sku: 'CASE-X', name: 'Headset case', qty: 1, price: 60 }], carrier: 'DPD', tracking: '05212345670000', deliveredAt: '2024-04-19' },
  { id: 'ORD-1230', customerId: 'C-518', status: 'shipped', placedAt: '2024-05-12', currency: 'USD', total: 15.5, refunded: 0, items: [{ sku: 'CABLE-C', name: 'USB-C cable', qty: 2, price: 7.75 }], carrier: 'USPS', tracking: '9400100000000000000000', eta: '2024-05-16' },
  { id: 'ORD-1266', customerId: 'C-215', status: 'delivered', placedAt: '2024-02-08', currency: 'EUR', total: 89, refunded: 0, items: [{ sku: 'KETTLE-1', name: 'Electric kettle', qty: 1, price: 89 }], carrier: 'GLS', tracking: 'GLS778812', deliveredAt: '2024-02-12' },
  { id: 'ORD-1291', customerId: 'C-607', status: 'delivered', placedAt: '2024-05-06', currency: 'USD', total: 349, refunded: 0, items: [{ sku: 'MONITOR-27', name: '27" monitor', qty: 1, price: 349 }], carrier: 'UPS', tracking: '1Z999AA10123459999', deliveredAt: '2024-05-10' },
];

const cents = (n: number): number => Math.round(n * 100) / 100;

/** Find an order by id, or else the customer's most recent one. */
export function lookupOrder(input: OrderLookupInput, orders: readonly Order[] = ORDERS): OrderLookupOutput {
  const id = input.orderId?.trim().toUpperCase() ?? null;
  let order: Order | undefined;
  if (id !== null && id !== '') order = orders.find((o) => o.id === id);
  else if (input.customerId !== undefined) {
    order = orders.filter((o) => o.customerId === input.customerId).sort((a, b) => b.placedAt.localeCompare(a.placedAt))[0];
  }
  if (order === undefined) {
    const note = id ? `no order ${id}` : input.customerId !== undefined ? `no orders for customer ${input.customerId}` : 'no order id given';
    return { found: false, order: null, refundable: 0, note };
  }
  // Someone else's order: say so, and do not hand its details (or a refund) to this customer.
  if (input.customerId !== undefined && order.customerId !== input.customerId) {
    return { found: false, order: null, refundable: 0, note: `order ${order.id} does not belong to customer ${input.customerId}` };
  }
  return { found: true, order, refundable: cents(Math.max(0, order.total - order.refunded)), note: null };
}
