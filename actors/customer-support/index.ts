/**
 * The customer-support crew, for embedding: `createRuntime({ agents: customerSupport.agents })`.
 * Workflow files list the agent modules themselves, not this index.
 */
import { escalation } from './escalation.js';
import { feedback } from './feedback.js';
import { intent } from './intent.js';
import { orderLookup } from './order-lookup.js';
import { refund } from './refund.js';

export { escalation, feedback, intent, orderLookup, refund };

/** Every agent of the crew. */
export const agents = [intent, orderLookup, refund, escalation, feedback] as const;
