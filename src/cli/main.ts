import { readFileSync } from 'node:fs';
import { COMMAND_HELP, MAIN_HELP, parseCommandLine } from './args.js';
import { checkCommand } from './commands/check.js';
import { resumeCommand } from './commands/resume.js';
import { runCommand } from './commands/run.js';
import { statusCommand } from './commands/status.js';
import { verifyCommand } from './commands/verify.js';
import { approveCommand } from './commands/approve.js';
import { gcCommand } from './commands/gc.js';
import { controlCommand } from './commands/control.js';
import { serveCommand } from './commands/serve.js';
import { inspectCommand } from './commands/inspect.js';
import { formatError } from './format.js';
import { processIO, type CliIO } from './io.js';

export type { CliIO, CliWritable } from './io.js';

/**
 * The `troupe` command. Never calls `process.exit`: it returns the exit code, so tests run it
 * in-process with a captured `io`.
 *
 * @param argv - the arguments after `node troupe` (e.g. `['run', 'wf.yaml', '--json']`).
 * @param io - streams, environment and interrupt source. @defaultValue the real process's
 * @returns the exit code: 0 ok, 1 failed (a run failed, a chain does not verify, a data
 *   directory is locked or missing, a server cannot start, the inspector cannot be reached or
 *   closed the connection), 2 usage or input error (`TROUPE_CLI_USAGE`,
 *   `TROUPE_CLI_INPUT_INVALID`), 3 a run left waiting for approval, 130 interrupted.
 * @example
 * ```ts
 * process.exitCode = await main(process.argv.slice(2));
 * ```
 */
export async function main(argv: readonly string[], io: CliIO = processIO()): Promise<number> {
  try {
    const cmd = parseCommandLine(argv);
    switch (cmd.kind) {
      case 'help':
        io.stdout.write(cmd.topic === null ? MAIN_HELP : COMMAND_HELP[cmd.topic]);
        return 0;
      case 'version':
        io.stdout.write(`${version()}\n`);
        return 0;
      case 'run':
        return await runCommand(cmd, io);
      case 'check':
        return await checkCommand(cmd, io);
      case 'resume':
        return await resumeCommand(cmd, io);
      case 'status':
        return await statusCommand(cmd, io);
      case 'verify':
        return await verifyCommand(cmd, io);
      case 'approve':
        return await approveCommand(cmd, io);
      case 'gc':
        return await gcCommand(cmd, io);
      case 'control':
        return await controlCommand(cmd, io);
      case 'serve':
        return await serveCommand(cmd, io);
      case 'inspect':
        return await inspectCommand(cmd, io);
    }
  } catch (e) {
    io.stderr.write(formatError(e, io.env.TROUPE_DEBUG === '1', io.cwd ?? process.cwd()));
    const code = (e as { code?: unknown }).code;
    return code === 'TROUPE_CLI_USAGE' || code === 'TROUPE_CLI_INPUT_INVALID' ? 2 : 1;
  }
}

/** The package's version, read from package.json (two levels up from both src/cli and dist/cli). */
function version(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version?: string };
  return pkg.version ?? 'unknown';
}
