/**
 * Keyword intent classification: each intent has weighted phrases; the highest total wins, ties
 * going to the more actionable intent (refund, then order-status, then complaint).
 */
import type { Intent, IntentOutput } from '../types.js';

const RULES: readonly [Exclude<Intent, 'other'>, readonly [RegExp, number][]][] = [
  [
    'refund',
    [
      [/\brefund(?:ed|s)?\b/i, 3],
      [/\bmoney back\b/i, 3],
      [/\breimburse/i, 2],
      [/\bcharge ?back\b/i, 2],
      [/\bcharged twice\b|\bdouble[- ]charged\b|\bovercharged\b/i, 2],
      [/\breturn(?:ing|ed)? (?:it|this|the|my)\b/i, 1],
      [/\bcancel (?:my|the) order\b/i, 1],
    ],
  ],
  [
    'order-status',
    [
      [/\bwhere(?:'s| is)\b.*\b(?:order|package|parcel)\b/i, 3],
      [/\btrack(?:ing)?\b/i, 2],
      [/\b(?:not|never|hasn't|has not|still not) (?:yet )?(?:arrived|shipped|delivered)\b/i, 2],
      [/\bwhen will\b/i, 2],
      [/\border status\b|\bstatus of\b/i, 2],
      [/\beta\b|\bdelivery date\b|\bshipping update\b/i, 1],
    ],
  ],
  [
    'complaint',
    [
      [/\bcomplain(?:t|ing)?\b/i, 3],
      [/\bunacceptable\b|\bworst\b|\bterrible\b|\bawful\b|\bdisgusting\b/i, 2],
      [/\bbroken\b|\bdamaged\b|\bdefective\b|\bcracked\b|\bfaulty\b/i, 1],
      [/\brude\b|\bmanager\b|\bsupervisor\b/i, 1],
      [/\bdisappointed\b|\bfrustrat|\bangry\b|\bfurious\b/i, 1],
    ],
  ],
];

const NEGATIVE = /\b(?:broken|damaged|terrible|awful|worst|angry|furious|disappointed|unacceptable|frustrat\w*|never|not happy)\b/gi;
const POSITIVE = /\b(?:thanks?|thank you|great|love|appreciate|awesome|happy)\b/gi;
const ORDER_ID = /\b(?:ORD[-\s#]?|order\s*(?:#|no\.?|number)?\s*:?\s*#?)(\d{4,8})\b/i;

/** `ORD-1042` from `order #1042`, `ORD 1042`, `ord-1042`... or null. */
export function extractOrderId(message: string): string | null {
  const m = ORDER_ID.exec(message);
  return m ? `ORD-${m[1]}` : null;
}

/** Classify a customer message. Pure and deterministic. */
export function classifyIntent(message: string, orderId?: string): IntentOutput {
  const scores = new Map<Intent, number>();
  const keywords: string[] = [];
  for (const [intent, phrases] of RULES) {
    let score = 0;
    for (const [pattern, weight] of phrases) {
      const m = pattern.exec(message);
      if (m === null) continue;
      score += weight;
      if (keywords.length < 20) keywords.push(m[0].toLowerCase().slice(0, 64));
    }
    scores.set(intent, score);
  }
  let intent: Intent = 'other';
  let top = 0;
  let total = 0;
  // RULES is in priority order and only a strictly higher score displaces: ties keep the earlier.
  for (const [candidate] of RULES) {
    const s = scores.get(candidate) ?? 0;
    total += s;
    if (s > top) {
      top = s;
      intent = candidate;
    }
  }
  const confidence = top === 0 ? 0.3 : Math.round(Math.min(0.99, (top / total) * Math.min(1, 0.55 + 0.1 * top)) * 100) / 100;
  const negative = message.match(NEGATIVE)?.length ?? 0;
  const positive = message.match(POSITIVE)?.length ?? 0;
  const sentiment = negative > positive ? 'negative' : positive > negative ? 'positive' : 'neutral';
  const id = orderId !== undefined && orderId.trim() !== '' ? orderId.trim().toUpperCase() : extractOrderId(message);
  return { intent, confidence, keywords, orderId: id, sentiment };
}
