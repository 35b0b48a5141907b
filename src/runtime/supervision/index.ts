export { createSupervisor } from './supervisor.js';
export { addChild, getChild, removeChild } from './children.js';
export { decide, affected, shouldRestart } from './strategy.js';
export { backoffDelay, exceedsIntensity, inWindow } from './intensity.js';
export type {
  Backoff,
  ChildExit,
  ChildInfo,
  ChildSpec,
  DecideInput,
  Decision,
  Intensity,
  RestartKind,
  RestartRecord,
  StopReason,
  Strategy,
  SupervisedChild,
  SupervisionEvent,
  SupervisorEvent,
  SupervisorLogic,
  SupervisorOptions,
  SupervisorRef,
  SupervisorSnapshot,
} from './types.js';
