import { createRuntime, loadWorkflowFile } from '../../index.js';
import { formatIssues } from '../../workflow/index.js';
import type { CheckArgs } from '../args.js';
import { formatError } from '../format.js';
import type { CliIO } from '../io.js';
import { pathFor } from './run.js';

/**
 * `troupe check`: load and verify a workflow (schema, references, reachability, cycle bounds,
 * expressions) and its agent modules (every agent and capability it names must exist), without
 * running it. Prints `ok: <name> (<n> steps, agents: ...)` and any warnings.
 *
 * @returns 0 when valid, 1 otherwise (after the error line(s) on stderr).
 */
export async function checkCommand(args: CheckArgs, io: CliIO): Promise<number> {
  const cwd = io.cwd ?? process.cwd();
  const file = pathFor(args.workflow, cwd);
  const debug = io.env.TROUPE_DEBUG === '1';
  let rt: Awaited<ReturnType<typeof createRuntime>> | undefined;
  try {
    // The file loader reports warnings; the runtime then imports the agent modules and verifies
    // the definition against the agents they register.
    const loaded = await loadWorkflowFile(file);
    rt = await createRuntime();
    const name = await rt.load(file);
    const steps = Object.keys(loaded.definition.steps).length;
    const agents = rt.agents.registry.list().map((a) => a.id).sort();
    io.stdout.write(`ok: ${name} (${steps} ${steps === 1 ? 'step' : 'steps'}, agents: ${agents.join(', ') || 'none'})\n`);
    if (loaded.warnings.length > 0) io.stdout.write(`${formatIssues(loaded.warnings, args.workflow)}\n`);
    return 0;
  } catch (e) {
    io.stderr.write(formatError(e, debug, cwd));
    return 1;
  } finally {
    await rt?.stop();
  }
}
