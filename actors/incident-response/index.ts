/**
 * The incident-response crew, for embedding: `createRuntime({ agents: incidentResponse.agents })`.
 * Workflow files list the agent modules themselves, not this index.
 */
import { logSearch } from './log-search.js';
import { remediator } from './remediator.js';
import { reporter } from './reporter.js';
import { threatIntel } from './threat-intel.js';
import { triage } from './triage.js';
import { undoContainment } from './undo-containment.js';

export { logSearch, remediator, reporter, threatIntel, triage, undoContainment };

/** Every agent of the crew. */
export const agents = [triage, logSearch, threatIntel, remediator, undoContainment, reporter] as const;
