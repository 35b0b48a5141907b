/**
 * The agents area: defining agents, validating their data, retry / timeout / circuit-breaker
 * decisions, routing policies and the registry. Other areas import only this file.
 */
export type {
  Agent,
  AgentContext,
  AgentDefinition,
  AgentOptions,
  InlineAgent,
  InlineAgentDefinition,
  WorkerAgentDefinition,
  WorkerSpec,
  CircuitBreakerOptions,
  CorrectionFeedback,
  InstanceLoad,
  JsonSchema,
  PolicyName,
  PolicyState,
  RetryPolicy,
  RoutingPolicy,
  StepError,
  ValidationIssue,
} from './types.js';
export {
  defineAgent,
  isAgent,
  AGENT_DEFAULTS,
  AGENT_ID_MAX_LENGTH,
  AGENT_ID_PATTERN,
} from './define-agent.js';
export { compileSchema, createAjv, formatIssues, type CompileSchemaOptions, type Validator } from './validation.js';
export {
  normalizeRetry,
  retryDelay,
  shouldRetry,
  ALWAYS_FINAL_CODES,
  DEFAULT_NON_RETRYABLE,
  DEFAULT_RETRY,
  type NormalisedRetry,
  type NormalizeRetryOptions,
} from './retry.js';
export {
  CircuitBreaker,
  CLOSED,
  breakerStatus,
  breakerTransition,
  canPass,
  type BreakerEvent,
  type BreakerOptions,
  type BreakerState,
  type BreakerStatus,
} from './circuit-breaker.js';
export { getPolicy, leastLoaded, policies, policyNames, roundRobin, weighted } from './policies.js';
export {
  createRegistry,
  RegistryEventTypes,
  type AgentStatus,
  type Registry,
  type RegistryContext,
  type RegistryEvent,
  type RegistryOptions,
  type RegistryStore,
} from './registry.js';
export { runWithTimeout, runGuarded, MAX_TIMER_MS, type AbortTarget } from './timeout.js';
export { Dispatcher, type AgentDirectory, type CallRequest, type CallResult, type DispatcherOptions } from './dispatcher.js';
export { agentInstanceLogic, createSlot, hasRoom, type AgentCall, type CallOutcome, type Incarnation, type InstanceEvent, type InstanceSlot, type LazyPool } from './instance.js';
export { invoke, type InvokeInfo } from './invoke.js';
