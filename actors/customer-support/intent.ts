import { defineAgent } from 'troupe';
import { classifyIntent } from './lib/intent-rules.js';
import { intentInputSchema, intentOutputSchema } from './schemas.js';
import type { IntentInput, IntentOutput } from './types.js';

/**
 * Intent: classifies a customer message as `refund`, `order-status`, `complaint` or `other` by
 * weighted keywords, reads the order id from the message (unless given), and rates sentiment.
 * Deterministic: no model is called.
 *
 * @example
 * ```ts
 * const out = await intent.definition.execute({ message: 'Where is my order ORD-1077?' }, ctx);
 * out; // { intent: 'order-status', orderId: 'ORD-1077', ... }
 * ```
 */
export const intent = defineAgent<IntentInput, IntentOutput>({
  id: 'intent',
  capabilities: ['classify-intent'],
  description: 'Classifies a customer message into refund, order-status, complaint or other.',
  input: intentInputSchema,
  output: intentOutputSchema,
  timeout: '2s',
  execute(input, ctx) {
    ctx.signal.throwIfAborted();
    return classifyIntent(input.message, input.orderId);
  },
});
