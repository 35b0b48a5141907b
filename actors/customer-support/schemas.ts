/**
 * JSON Schemas for the customer-support agents. Outputs are strict (`additionalProperties:
 * false`, every `pattern` bounded by `maxLength`); inputs tolerate `null` where the workflow maps
 * a step that found nothing.
 */

const INTENT = { type: 'string', enum: ['refund', 'order-status', 'complaint', 'other'] } as const;
const ORDER_ID = { type: 'string', maxLength: 16, pattern: '^ORD-\\d{4,8}$' } as const;
const CUSTOMER_ID = { type: 'string', minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9][A-Za-z0-9_-]*$' } as const;
const DATE = { type: 'string', maxLength: 10, pattern: '^\\d{4}-\\d{2}-\\d{2}$' } as const;
const CURRENCY = { type: 'string', enum: ['USD', 'EUR'] } as const;
const MONEY = { type: 'number', minimum: 0, maximum: 1_000_000 } as const;
const MESSAGE = { type: 'string', minLength: 1, maxLength: 5000 } as const;
const TEXT = (max: number) => ({ type: 'string', maxLength: max }) as const;
const NULLABLE = (schema: object) => ({ anyOf: [schema, { type: 'null' }] }) as const;

const customerSchema = {
  type: 'object',
  required: ['id'],
  properties: { id: CUSTOMER_ID, name: TEXT(200), email: TEXT(320) },
} as const;

export const orderSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['id', 'customerId', 'status', 'placedAt', 'currency', 'total', 'refunded', 'items'],
  properties: {
    id: ORDER_ID,
    customerId: CUSTOMER_ID,
    status: { type: 'string', enum: ['processing', 'shipped', 'delivered', 'cancelled', 'returned'] },
    placedAt: DATE,
    currency: CURRENCY,
    total: MONEY,
    refunded: MONEY,
    items: {
      type: 'array',
      minItems: 1,
      maxItems: 100,
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['sku', 'name', 'qty', 'price'],
        properties: {
          sku: { type: 'string', minLength: 1, maxLength: 32, pattern: '^[A-Z0-9][A-Z0-9-]*$' },
          name: { type: 'string', minLength: 1, maxLength: 200 },
          qty: { type: 'integer', minimum: 1 },
          price: MONEY,
        },
      },
    },
    carrier: TEXT(64),
    tracking: TEXT(64),
    eta: DATE,
    deliveredAt: DATE,
  },
} as const;

/** The run's input. */
export const supportRequestSchema = {
  type: 'object',
  required: ['message'],
  properties: {
    message: MESSAGE,
    customer: customerSchema,
    orderId: { type: 'string', maxLength: 32 },
    channel: { type: 'string', enum: ['email', 'chat', 'web'] },
  },
} as const;

export const intentInputSchema = {
  type: 'object',
  required: ['message'],
  properties: { message: MESSAGE, orderId: { type: 'string', maxLength: 32 } },
} as const;

export const intentOutputSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['intent', 'confidence', 'keywords', 'orderId', 'sentiment'],
  properties: {
    intent: INTENT,
    confidence: { type: 'number', minimum: 0, maximum: 1 },
    keywords: { type: 'array', maxItems: 20, items: TEXT(64) },
    orderId: NULLABLE({ type: 'string', maxLength: 32 }),
    sentiment: { type: 'string', enum: ['negative', 'neutral', 'positive'] },
  },
} as const;

export const orderLookupInputSchema = {
  type: 'object',
  properties: { orderId: NULLABLE({ type: 'string', maxLength: 32 }), customerId: CUSTOMER_ID },
} as const;

export const orderLookupOutputSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['found', 'order', 'refundable', 'note'],
  properties: {
    found: { type: 'boolean' },
    order: NULLABLE(orderSchema),
    refundable: MONEY,
    note: NULLABLE(TEXT(300)),
  },
} as const;

export const refundInputSchema = {
  type: 'object',
  required: ['order', 'message'],
  properties: { order: orderSchema, message: MESSAGE },
} as const;

export const refundDraftSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['refundId', 'orderId', 'amount', 'currency', 'items', 'method', 'requiresApproval', 'status', 'reason'],
  properties: {
    refundId: { type: 'string', maxLength: 24, pattern: '^RF-\\d{4,8}-\\d{5,}$' },
    orderId: ORDER_ID,
    amount: { type: 'number', exclusiveMinimum: 0, maximum: 1_000_000 },
    currency: CURRENCY,
    items: { type: 'array', minItems: 1, maxItems: 100, items: { type: 'string', maxLength: 32 } },
    method: { const: 'original-payment' },
    requiresApproval: { type: 'boolean' },
    status: { const: 'draft' },
    reason: { type: 'string', minLength: 1, maxLength: 500 },
  },
} as const;

/** A refund as the context may hold it (draft, approval decision, or both): checked by the agents. */
const REFUND_STATE = NULLABLE({ type: 'object' });

export const escalationInputSchema = {
  type: 'object',
  required: ['message', 'intent'],
  properties: {
    message: MESSAGE,
    intent: INTENT,
    customer: customerSchema,
    order: NULLABLE(orderSchema),
    refund: REFUND_STATE,
  },
} as const;

export const escalationOutputSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['ticketId', 'queue', 'priority', 'slaHours', 'reason', 'summary'],
  properties: {
    ticketId: { type: 'string', maxLength: 12, pattern: '^ESC-[0-9A-F]{8}$' },
    queue: { type: 'string', enum: ['billing', 'complaints', 'orders', 'tier-2'] },
    priority: { type: 'string', enum: ['low', 'normal', 'high', 'urgent'] },
    slaHours: { type: 'integer', minimum: 1, maximum: 168 },
    reason: { type: 'string', minLength: 1, maxLength: 500 },
    summary: { type: 'string', minLength: 1, maxLength: 2000 },
  },
} as const;

export const feedbackInputSchema = {
  type: 'object',
  required: ['message', 'intent'],
  properties: {
    message: MESSAGE,
    customer: customerSchema,
    intent: intentOutputSchema,
    lookup: NULLABLE(orderLookupOutputSchema),
    refund: REFUND_STATE,
    escalation: NULLABLE(escalationOutputSchema),
  },
} as const;

export const feedbackOutputSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['subject', 'reply', 'tone', 'resolution'],
  properties: {
    subject: { type: 'string', minLength: 1, maxLength: 200 },
    reply: { type: 'string', minLength: 1, maxLength: 5000 },
    tone: { type: 'string', enum: ['apologetic', 'informative', 'friendly'] },
    resolution: { type: 'string', enum: ['refund-issued', 'refund-under-review', 'status-update', 'escalated', 'needs-info'] },
  },
} as const;
