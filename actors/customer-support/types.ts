/**
 * Shapes that flow between the customer-support agents; `schemas.ts` holds the matching JSON
 * Schemas.
 */

export type Intent = 'refund' | 'order-status' | 'complaint' | 'other';

export interface Customer {
  readonly id: string;
  readonly name?: string;
  readonly email?: string;
}

/** A run's input. */
export interface SupportRequest {
  readonly message: string;
  readonly customer?: Customer;
  /** When the form had an order field; otherwise it is read from the message. */
  readonly orderId?: string;
  readonly channel?: 'email' | 'chat' | 'web';
}

export interface IntentInput {
  readonly message: string;
  readonly orderId?: string;
}

export interface IntentOutput {
  readonly intent: Intent;
  /** 0..1: the winning intent's share of the keyword weight, damped when little matched. */
  readonly confidence: number;
  readonly keywords: readonly string[];
  readonly orderId: string | null;
  readonly sentiment: 'negative' | 'neutral' | 'positive';
}

export type OrderStatus = 'processing' | 'shipped' | 'delivered' | 'cancelled' | 'returned';

export interface OrderItem {
  readonly sku: string;
  readonly name: string;
  readonly qty: number;
  /** Unit price. */
  readonly price: number;
}

export interface Order {
  readonly id: string;
  readonly customerId: string;
  readonly status: OrderStatus;
  readonly placedAt: string;
  readonly currency: 'USD' | 'EUR';
  readonly total: number;
  /** Already refunded. */
  readonly refunded: number;
  readonly items: readonly OrderItem[];
  readonly carrier?: string;
  readonly tracking?: string;
  readonly eta?: string;
  readonly deliveredAt?: string;
}

export interface OrderLookupInput {
  readonly orderId?: string | null;
  readonly customerId?: string;
}

export interface OrderLookupOutput {
  readonly found: boolean;
  readonly order: Order | null;
  /** What can still be refunded (total minus refunds so far); 0 when not found. */
  readonly refundable: number;
  /** Why nothing was found, or why the order belongs to someone else; null when all is well. */
  readonly note: string | null;
}

export interface RefundInput {
  readonly order: Order;
  readonly message: string;
}

export interface RefundDraft {
  readonly refundId: string;
  readonly orderId: string;
  readonly amount: number;
  readonly currency: 'USD' | 'EUR';
  /** The items refunded; all of them unless the message names some. */
  readonly items: readonly string[];
  readonly method: 'original-payment';
  /** Amounts over {@link REFUND_APPROVAL_THRESHOLD} need a human's approval. */
  readonly requiresApproval: boolean;
  readonly status: 'draft';
  readonly reason: string;
}

/** A human's decision on an approval gate, as the workflow records it. */
export interface ApprovalDecision {
  readonly approved: boolean;
  readonly by?: string;
  readonly comment?: string;
}

/** What the context may hold for the refund step: the draft, a decision, or both. */
export type RefundState = RefundDraft | ApprovalDecision | (RefundDraft & { readonly approval?: ApprovalDecision });

export type Queue = 'billing' | 'complaints' | 'orders' | 'tier-2';

export interface EscalationInput {
  readonly message: string;
  readonly intent: Intent;
  readonly customer?: Customer;
  readonly order?: Order | null;
  readonly refund?: RefundState | null;
}

export interface EscalationOutput {
  readonly ticketId: string;
  readonly queue: Queue;
  readonly priority: 'low' | 'normal' | 'high' | 'urgent';
  readonly slaHours: number;
  readonly reason: string;
  readonly summary: string;
}

export interface FeedbackInput {
  readonly message: string;
  readonly customer?: Customer;
  readonly intent: IntentOutput;
  readonly lookup?: OrderLookupOutput | null;
  readonly refund?: RefundState | null;
  readonly escalation?: EscalationOutput | null;
}

export type Resolution = 'refund-issued' | 'refund-under-review' | 'status-update' | 'escalated' | 'needs-info';

export interface FeedbackOutput {
  readonly subject: string;
  readonly reply: string;
  readonly tone: 'apologetic' | 'informative' | 'friendly';
  readonly resolution: Resolution;
}
