/**
 * The runtime area: `createRuntime` and what it wires (supervision, the agent host, the
 * workflow catalog, module loading). Other areas import only this file.
 */
export { createRuntime, TroupeRuntime } from './runtime.js';
export type { Runtime, RuntimeOptions, StartOptions, RunEvent, RunHandle } from './types.js';
export { AgentHost, DEFAULT_AGENT_SUPERVISION, type AgentSupervision } from './agent-host.js';
export { loadAgentModule } from './modules.js';
export { recoverRuns, type RecoveryOutcome, type RecoveryHost } from './recovery.js';
export { forkRun, type ForkOptions } from './fork.js';
export * from './supervision/index.js';
export { collectGarbage, type GcReport } from './gc.js';
