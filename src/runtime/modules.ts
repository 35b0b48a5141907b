import { isAgent, type Agent } from '../agents/index.js';
import { TroupeError } from '../errors/index.js';
import { importModule } from '../util/index.js';

/**
 * Import an agent module and collect the agents it exports (named exports, the default export,
 * or arrays of agents). TypeScript modules load through tsx when Node cannot load them itself.
 *
 * @throws TroupeError `TROUPE_MODULE_LOAD_FAILED` naming the file when it cannot be imported or exports no agent.
 */
export async function loadAgentModule(file: string): Promise<Agent[]> {
  let mod: Record<string, unknown>;
  try {
    mod = await importModule(file);
  } catch (e) {
    throw new TroupeError('TROUPE_MODULE_LOAD_FAILED', `cannot load agent module ${file}: ${e instanceof Error ? e.message : String(e)}`, {
      cause: e,
      data: { file },
    });
  }
  const agents: Agent[] = [];
  const seen = new Set<Agent>();
  const add = (v: unknown): void => {
    if (isAgent(v) && !seen.has(v)) {
      seen.add(v);
      agents.push(v);
    }
  };
  for (const value of Object.values(mod)) {
    if (Array.isArray(value)) value.forEach(add);
    else add(value);
  }
  if (agents.length === 0) {
    throw new TroupeError('TROUPE_MODULE_LOAD_FAILED', `agent module ${file} exports no agent (export the results of defineAgent)`, { data: { file } });
  }
  return agents;
}
