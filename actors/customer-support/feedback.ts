import { defineAgent } from 'troupe';
import { composeReply } from './lib/reply.js';
import { feedbackInputSchema, feedbackOutputSchema } from './schemas.js';
import type { FeedbackInput, FeedbackOutput } from './types.js';

/**
 * Feedback: composes the reply to the customer (subject, text, tone and resolution) from the
 * intent, the order lookup, the refund and any escalation ticket.
 *
 * @example
 * ```ts
 * const out = await feedback.definition.execute({ message, intent, lookup, refund }, ctx);
 * out.resolution; // 'refund-issued'
 * ```
 */
export const feedback = defineAgent<FeedbackInput, FeedbackOutput>({
  id: 'feedback',
  capabilities: ['compose-reply'],
  description: 'Composes the reply to the customer.',
  input: feedbackInputSchema,
  output: feedbackOutputSchema,
  timeout: '2s',
  execute(input, ctx) {
    ctx.signal.throwIfAborted();
    return composeReply(input);
  },
});
