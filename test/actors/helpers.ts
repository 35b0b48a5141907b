import { readFileSync } from 'node:fs';
import type { AgentContext } from 'troupe';

/** A fresh fake context for calling an agent's `execute` directly. */
export function fakeContext(overrides: Partial<AgentContext> = {}): AgentContext {
  return { signal: new AbortController().signal, attempt: 1, runId: 'r', stepId: 's', idempotencyKey: 'k', instance: 0, state: undefined, ...overrides };
}

/** Read a JSON fixture shipped under `actors/`. */
export function readActorJson<T>(path: string): T {
  return JSON.parse(readFileSync(new URL(`../../actors/${path}`, import.meta.url), 'utf8')) as T;
}
