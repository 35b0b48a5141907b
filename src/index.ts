/**
 * troupe — an actor-model runtime for orchestrating AI agents. This file names every public
 * export; nothing else is importable (see package.json `exports`).
 */
export { createRuntime, TroupeRuntime } from './runtime/runtime.js';
export type { Runtime, RuntimeOptions, RunHandle, RunEvent, RunListenOptions, StartOptions } from './runtime/types.js';
export type { RecoveryOutcome } from './runtime/recovery.js';
export { defineAgent, isAgent } from './agents/define-agent.js';
export type {
  Agent,
  AgentContext,
  AgentDefinition,
  AgentOptions,
  InlineAgent,
  InlineAgentDefinition,
  WorkerAgentDefinition,
  CircuitBreakerOptions,
  CorrectionFeedback,
  InstanceLoad,
  JsonSchema,
  PolicyName,
  PolicyState,
  RetryPolicy,
  RoutingPolicy,
  ValidationIssue,
} from './agents/types.js';
export type { PoolOptions, PoolStats, ResourceLimits, WorkerContext } from './pool/types.js';
export { policies, roundRobin, leastLoaded, weighted } from './agents/policies.js';
export type {
  ApprovalSpec,
  OperatorInfo,
  Branch,
  Compensation,
  Expression,
  InputMapping,
  Next,
  NextRule,
  StepDefinition,
  Target,
  WorkflowDefinition,
  WorkflowIssue,
  WorkflowWorkerAgent,
} from './workflow/types.js';
export { parseWorkflow, loadWorkflowFile, type LoadedWorkflow } from './workflow/load.js';
export { defineWorkflow, WorkflowBuilder } from './workflow/builder.js';
export { verifyWorkflow, definitionHash } from './workflow/verify.js';
export { workflowSchema } from './workflow/schema.js';
export { MemoryStore } from './store/memory-store.js';
export { verifyChain, genesisHash, type ChainCheck } from './store/chain.js';
export { LmdbStore, type LmdbStoreOptions, type LmdbReadOnlyOptions } from './store/lmdb-store.js';
export type { Durability } from './store/lmdb-layout.js';
export type { ContextEntry, EntryKind, RunQuery, RunRecord, RunSnapshot, RunStatus, Store, StoredDecision, StoreObserver } from './store/types.js';
export { METRICS, type Metrics, type MetricKey, type MetricName, type MetricSpec, type MetricType } from './metrics/index.js';
export { createServer, TOKEN_PROTOCOL_PREFIX, type Access, type MetricsSource, type Scope, type ServedRuntime, type ServerOptions, type TroupeServer, type UpgradeHandler } from './inspector/index.js';
export { InspectorSockets, inspectorHandler, INSPECT_PATH, PROTOCOL_NAME, PROTOCOL_VERSION, type ClientMessage, type InspectorEvent, type ServerMessage, type Snapshot, type SubscriptionTarget } from './inspector/index.js';
export { TroupeError, isTroupeError, ErrorCodes, type ErrorCode, type ErrorValue } from './errors/index.js';
export { parseDuration, type Duration } from './util/index.js';
