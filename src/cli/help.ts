/** The help texts of the `troupe` command: one per command, listing only what exists. */
import type { CommandName } from './args.js';

/** Top-level help. */
export const MAIN_HELP = `troupe — an actor-model runtime for AI agents

Usage:
  troupe run <workflow.yaml|json> [--input JSON|@file] [--data DIR] [--json] [--auto-approve] [--quiet]
  troupe resume [<workflow.yaml|json>...] [--data DIR] [--auto-approve] [--json]
  troupe serve [--port 7070] [--host 127.0.0.1] [--data DIR] [--workflows DIR] [--token T] [--read-token T] [--digest-ms N]
  troupe inspect URL [--token T] [--run RUN] [--tree] [--json]
  troupe status [RUN] [--data DIR] [--json]
  troupe verify RUN [--data DIR] [--json]
  troupe approve RUN STEP [--reject] [--comment TEXT] [--by NAME] [--data DIR]
  troupe pause|unpause|cancel RUN [--data DIR]
  troupe gc --older-than AGE [--data DIR] [--json]
  troupe check <workflow.yaml|json>
  troupe --help | --version

Commands:
  run     Load a workflow and its agent modules, run it once (persisted in the data directory),
          print each step as it completes
  resume  Resume the runs of a data directory that a stopped or killed process left unfinished
  serve   Serve the HTTP API (start, show, approve, pause, resume, cancel runs; /metrics) over the
          data directory, resuming its unfinished runs; stops cleanly on SIGINT or SIGTERM
  inspect Tail a server's live inspector (ws://HOST:PORT/inspect): one line per event, or --json
  status  List the runs of a data directory, or show one run and its context log (read-only)
  verify  Recompute a run's hash-chained context log and report the first entry that does not match
  approve Record a decision for a run that waits for approval in a stopped directory (applied on resume)
  pause   Hold a run in a stopped directory: \`troupe resume\` keeps it paused (unpause lets it go on)
  cancel  Cancel a run in a stopped directory: it is never resumed
  gc      Remove finished runs older than an age, with their logs, and report what it freed
  check   Load and verify a workflow (agent modules included) without running it

Options:
  --data DIR     The data directory (one LMDB store) of run, resume, serve, status and verify
                 (default ./.troupe, relative to the working directory)
  -h, --help     Show help (also 'troupe <command> --help')
  -v, --version  Print the version

Exit codes: 0 ok, 1 failed, 2 usage or input error, 3 left waiting for approval, 130 interrupted.
Set TROUPE_DEBUG=1 to print stack traces.
`;

const DATA_HELP = `  --data DIR          The data directory (default ./.troupe, relative to the working directory)`;

/** Help of pause, unpause and cancel: they change a run's state in a stopped data directory. */
function controlHelp(name: string, what: string): string {
  return `Usage: troupe ${name} RUN [options]

${what}
Works on a data directory no process is running (a running process holds it).

Options:
${DATA_HELP}
  -h, --help          Show this help

Exit codes: 0 done, 1 the run does not exist or its state does not allow it, or the directory is in use.
`;
}

/** Help of each command. */
export const COMMAND_HELP: Readonly<Record<CommandName, string>> = {
  run: `Usage: troupe run <workflow.yaml|json> [options]

Load the workflow and its agent modules, run it once, and print each step as it completes,
then the final output. The run and its hash-chained context log are stored in the data
directory: 'troupe status' shows it, 'troupe verify' checks it, and if this process dies,
'troupe resume' carries it on from its last committed step.

Options:
  --input JSON|@file  The run's input: inline JSON, or @path to a JSON file (default {})
${DATA_HELP}
  --durability MODE   When a step counts as done: flush (default: on disk), commit, or memory
  --json              Print only the final result as one JSON document
  --auto-approve      Approve every approval step as soon as it is reached
  --quiet             Print only the final output (no step table)
  -h, --help          Show this help

Without --auto-approve, an approval step asks on stdin: type 'approve' or 'reject [reason]'.
One process at a time runs a data directory: a second one gets TROUPE_STORE_LOCKED (status
and verify still work).
Exit codes: 0 completed, 1 failed, 2 usage or input error, 3 stdin ended while waiting for
approval (the run stays waiting in the data directory), 130 interrupted (the run is cancelled).
`,
  resume: `Usage: troupe resume [<workflow.yaml|json>...] [options]

Resume every unfinished run of the data directory (running or waiting for approval when its
process stopped or was killed): each is rebuilt from its committed context log — recorded steps
are replayed, never re-executed — and carries on from the step that was in flight. Prints each
run's outcome, then waits for the resumed runs to finish.

Each run records the workflow file it was started from; resume loads those files (their agent
modules and workflows). Name workflow files to load others instead (e.g. after moving them). A run
whose workflow cannot be loaded is reported as not resumed and left as it is.

Options:
${DATA_HELP}
  --durability MODE   When a step counts as done: flush (default: on disk), commit, or memory
  --auto-approve      Approve every approval step, including those a run was waiting at
  --json              Print only one JSON document with every run's outcome
  -h, --help          Show this help

Without --auto-approve, a run that reaches (or was waiting at) an approval step is reported as
waiting and left in the data directory; run 'troupe resume' again with --auto-approve to
approve it.
Exit codes: 0 every resumed run completed (or nothing to resume), 1 a run failed or could not
be resumed, 2 usage error, 3 a run is left waiting for approval, 130 interrupted (the runs stay
resumable).
`,
  serve: `Usage: troupe serve [options]

Start the runtime on the data directory and serve its HTTP API (docs/http-api.md):
POST /runs, GET /runs, GET /runs/:id, POST /runs/:id/approvals/:step,
POST /runs/:id/pause|resume|cancel, GET /metrics, and the inspector page at /.
Runs the directory left unfinished (a killed or stopped process) resume first. Prints the URL it
listens on. SIGINT or SIGTERM stops it: no new requests, steps in flight finish (or are
checkpointed after 5 s, to resume on the next start), the store is flushed and closed, exit 0.

Options:
  --port N            Port to listen on; 0 picks a free one (default 7070)
  --host HOST         Interface to bind (default 127.0.0.1). Any other than loopback needs a token
${DATA_HELP}
  --workflows DIR     Load every .yaml, .yml and .json file of DIR: POST /runs starts them by name
  --token T           Operator token: every request needs a token, and only this one may start,
                      approve, reject, pause, resume and cancel runs (default: $TROUPE_TOKEN)
  --read-token T      Read-only token: the GET routes and /metrics (default: $TROUPE_READ_TOKEN)
  --origin ORIGIN     A browser origin allowed besides the server's own, e.g. https://ops.example.com
                      (repeatable); requests from other origins get 403
  --durability MODE   When a step counts as done: flush (default: on disk), commit, or memory
  --digest-ms N       How often the inspector sends its overview of all runs (the digest its page
                      and most clients take), in ms, 10 to 60000 (default 250); followed runs and
                      the actor tree stream every 50 ms regardless
  -h, --help          Show this help

Prefer the environment variables to the flags: a flag's value shows in the process list.
One process at a time runs a data directory: a second one gets TROUPE_STORE_LOCKED.
Exit codes: 0 stopped by SIGINT/SIGTERM, 1 could not start (directory locked, port in use, a
workflow file does not load), 2 usage error (a bad flag; a non-loopback --host without a token).
`,
  inspect: `Usage: troupe inspect URL [options]

Connect to the live inspector of a running 'troupe serve' (docs/inspector-protocol.md) and tail
it: first a summary of what is there (the runs by status, or with --run that run's log so far),
then one line per event as it happens — time, run, event and its essentials (step, agent,
attempt, duration, error code, status, approval prompt, log entry seq and hash, actor,
supervisor decision). URL is ws://HOST:PORT/inspect or wss://… (a URL without a path gets
/inspect). A read token is enough.

Options:
  --token T           The token (default: $TROUPE_TOKEN, then $TROUPE_READ_TOKEN), sent as
                      "Authorization: Bearer"
  --run RUN           Follow only this run (its log so far, then its events)
  --tree              Also follow the actor tree: actors spawned and stopped, supervisor decisions
  --json              Print the snapshot messages, then each event as one JSON line
                      ({"at":…,"event":{…}}), for jq
  -h, --help          Show this help

It does not reconnect: when the server closes the connection (it stops, or drops a client that
does not keep up) it says so and exits 1, so a shell loop or a supervisor can restart it.
A message the server refuses is printed on stderr; the stream goes on.
Exit codes: 130 interrupted (Ctrl-C; the normal way to stop it), 1 cannot connect (refused,
401 without a valid token, 403, 503 too many clients), the run does not exist, or the server
closed the connection, 2 usage error (a URL that is not ws:// or wss://).
`,
  status: `Usage: troupe status [RUN] [options]

Without RUN: list the runs of the data directory, newest first — id, workflow, status
(running, waiting-approval, paused, completed, failed, cancelled), current step, last update
and number of logged steps. Sub-runs are not listed; 'troupe status <sub-run id>' shows one.
With RUN: that run's record and its context log (seq, kind, step, agent, duration, output).
Read-only: works while another process runs the directory.

Options:
${DATA_HELP}
  --json              Print the run records (and the run's log entries) as one JSON document
  -h, --help          Show this help
`,
  pause: controlHelp('pause', 'Pause the run: when `troupe resume` picks the directory up, the run stays paused (its\nstep in flight, if any, waits too) until `troupe unpause RUN`.'),
  unpause: controlHelp('unpause', 'Let a paused run carry on: the next `troupe resume` continues it.'),
  cancel: controlHelp('cancel', 'Cancel the run and its sub-runs: they are never resumed.'),
  gc: `Usage: troupe gc --older-than AGE [options]

Retention: remove finished runs (completed, failed, cancelled) last updated more than AGE ago
(e.g. 7d, 12h, 30m), with their context logs, snapshots and recorded decisions, and report what it
freed. Runs in progress are never touched. Needs the directory to itself (a running process holds it).

Options:
${DATA_HELP}
  --older-than AGE    The age: a number with ms, s, m, h or d
  --json              Print { dataDir, runs, entries, runIds } as one JSON document
  -h, --help          Show this help

Exit codes: 0 done (also when nothing was old enough), 1 the directory is missing or in use, 2 a bad AGE.
`,
  approve: `Usage: troupe approve RUN STEP [options]

Record a human decision for a run that waits for approval at STEP, in a data directory no process
is running (a running process holds the directory: decide through its API instead). The decision
is applied when the run resumes (\`troupe resume <workflow> --data DIR\`).

Options:
${DATA_HELP}
  --reject            Reject instead of approve (the run takes the step's reject branch, or fails)
  --comment TEXT      Why, kept in the run's log
  --by NAME           Who decided, kept in the run's log
  -h, --help          Show this help

Exit codes: 0 recorded, 1 the run does not exist or does not wait at STEP, or the directory is in use.
`,
  verify: `Usage: troupe verify RUN [options]

Recompute the run's hash chain from its genesis (workflow definition hash and input) and check
it against the head the run record keeps. Prints "ok: run RUN, N entries, head <hash>", or
TROUPE_CHAIN_BROKEN naming the first entry that does not match (a changed, removed, reordered or
truncated entry). Read-only: works while another process runs the directory.

Options:
${DATA_HELP}
  --json              Print the result as one JSON document
  -h, --help          Show this help

Exit codes: 0 the chain verifies, 1 it does not (or the run or directory does not exist).
`,
  check: `Usage: troupe check <workflow.yaml|json>

Load and verify a workflow without running it: its schema, step references, reachability,
cycle bounds and expressions, and that its agent modules load and provide every agent and
capability it names. Prints "ok: <name> (...)" and any warnings. Touches no data directory.

Options:
  -h, --help  Show this help
`,
};
