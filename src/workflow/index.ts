/**
 * Workflow definitions: the format's types and JSON Schema, loading from YAML/JSON, load-time
 * verification, the builder, and expressions. This file is the area's only importable surface.
 */
export type {
  ApprovalSpec,
  OperatorInfo,
  ApprovalStep,
  Branch,
  Compensation,
  Expression,
  InputMapping,
  MapStep,
  Next,
  NextRule,
  ParallelStep,
  StepBase,
  StepDefinition,
  Target,
  TaskStep,
  WorkflowDefinition,
  WorkflowIssue,
  WorkflowStep,
  RunEvent,
  RunHandle,
  RunListenOptions,
} from './types.js';
export { RESERVED_NAMES, STEP_ID_PATTERN, checkJsonSchema, escapePointer, validateWorkflowSchema, workflowSchema } from './schema.js';
export {
  compileExpression,
  compileInputMapping,
  compileNext,
  evaluateCondition,
  isTruthy,
  issuesOf,
  referencedNames,
  type CompiledExpression,
  type CompiledNext,
  type ExpressionView,
} from './expressions.js';
export { adjacency, cyclicComponents, reachableFrom, startStep, stepEdges, unboundedCycles, type StepEdge } from './graph.js';
export {
  assertValidWorkflow,
  definitionHash,
  formatIssues,
  isError,
  isWorkflowPath,
  verifyWorkflow,
  workflowInvalid,
  type SourceLocator,
  type VerifyEnv,
} from './verify.js';
export { loadWorkflowFile, parseWorkflow, type LoadedWorkflow } from './load.js';
export {
  WorkflowBuilder,
  defineWorkflow,
  type BranchSpec,
  type CompensationSpec,
  type MapSpec,
  type ReservedName,
  type StepId,
  type StepOptions,
  type TargetSpec,
  type TaskStepSpec,
} from './builder.js';
export { compileWorkflow, type CompiledWorkflow, type CompiledStep, type CompiledCall, type CompiledBranch } from './compile.js';
export { RunCore, type RunEnv } from './run.js';
export { isPerStepEvent, safely } from './run-env.js';
export { runsLogic, type RunsEvent } from './runs-actor.js';
export { ContextLog, applyEntry, applyEntries, viewOf, type ContextView, type EntryDraft } from './context.js';
export type { RunMachine, RunMachineEvent, MachineCore } from './machine.js';
export { replayRun, type ReplayState, type ReplayPosition } from './replay.js';
export { ResponseCache, type CacheStats } from './response-cache.js';
