/**
 * The catalog of every error code troupe raises. A code is never reused or renamed:
 * callers branch on it. `docs/errors.md` documents each one; a test keeps both in step.
 */
export const ErrorCodes = {
  /** An agent did not finish within its timeout. */
  AGENT_TIMEOUT: 'TROUPE_AGENT_TIMEOUT',
  /** An agent's `execute` threw or rejected. */
  AGENT_FAILED: 'TROUPE_AGENT_FAILED',
  /** An agent's input did not match its input schema. */
  AGENT_INPUT_INVALID: 'TROUPE_AGENT_INPUT_INVALID',
  /** An agent's output did not match its output schema; the output never enters the context. */
  AGENT_OUTPUT_INVALID: 'TROUPE_AGENT_OUTPUT_INVALID',
  /** No agent is registered under the id or capability asked for. */
  AGENT_NOT_FOUND: 'TROUPE_AGENT_NOT_FOUND',
  /** Agents exist for the step, but none can take work (stopped, escalated or circuit open). */
  AGENT_UNAVAILABLE: 'TROUPE_AGENT_UNAVAILABLE',
  /** An agent instance crashed (its `setup` failed or it raised a crash); its supervisor decides. */
  AGENT_CRASHED: 'TROUPE_AGENT_CRASHED',
  /** A worker agent's task exhausted its worker's heap (`resourceLimits`); the worker was replaced. */
  AGENT_OUT_OF_MEMORY: 'TROUPE_AGENT_OUT_OF_MEMORY',
  /** A worker (thread or child process) exited or crashed while running a task (`process.exit()`, a signal); `data.exitCode` says how. */
  WORKER_EXITED: 'TROUPE_WORKER_EXITED',
  /** A pool gave up: its workers failed to start several times in a row (a worker module that throws on load). */
  POOL_WORKER_FAILED: 'TROUPE_POOL_WORKER_FAILED',
  /** An agent definition passed to `defineAgent` is malformed. */
  AGENT_DEFINITION_INVALID: 'TROUPE_AGENT_DEFINITION_INVALID',
  /** The agent's circuit breaker is open: calls are refused until it half-opens. */
  CIRCUIT_OPEN: 'TROUPE_CIRCUIT_OPEN',
  /** An agent instance's mailbox is at its limit (backpressure). */
  MAILBOX_FULL: 'TROUPE_MAILBOX_FULL',
  /** A workflow definition failed load-time verification. */
  WORKFLOW_INVALID: 'TROUPE_WORKFLOW_INVALID',
  /** A workflow file could not be read or parsed. */
  WORKFLOW_LOAD_FAILED: 'TROUPE_WORKFLOW_LOAD_FAILED',
  /** No workflow is registered under the name asked for. */
  WORKFLOW_NOT_FOUND: 'TROUPE_WORKFLOW_NOT_FOUND',
  /** An expression failed while being evaluated against a run's context. */
  EXPRESSION_FAILED: 'TROUPE_EXPRESSION_FAILED',
  /** A run's input did not match the workflow's input schema. */
  RUN_INPUT_INVALID: 'TROUPE_RUN_INPUT_INVALID',
  /** No run exists with the id asked for. */
  RUN_NOT_FOUND: 'TROUPE_RUN_NOT_FOUND',
  /** A run failed; `cause` holds the step's error. */
  RUN_FAILED: 'TROUPE_RUN_FAILED',
  /** A run is in a state that does not allow what was asked (e.g. cancelling a finished run). */
  RUN_STATE_INVALID: 'TROUPE_RUN_STATE_INVALID',
  /** A run was cancelled. */
  RUN_CANCELLED: 'TROUPE_RUN_CANCELLED',
  /** A step in a cycle was entered more often than its `maxVisits` allows. */
  LOOP_LIMIT: 'TROUPE_LOOP_LIMIT',
  /** An approval or rejection named a step that is not waiting for one. */
  APPROVAL_NOT_PENDING: 'TROUPE_APPROVAL_NOT_PENDING',
  /** A human rejected an approval step that has no `reject` branch. */
  APPROVAL_REJECTED: 'TROUPE_APPROVAL_REJECTED',
  /** A supervisor exceeded its restart intensity and escalated to its parent. */
  SUPERVISOR_ESCALATED: 'TROUPE_SUPERVISOR_ESCALATED',
  /** The runtime is stopping or stopped and takes no new work. */
  RUNTIME_STOPPED: 'TROUPE_RUNTIME_STOPPED',
  /** A runtime option is invalid. */
  RUNTIME_OPTIONS_INVALID: 'TROUPE_RUNTIME_OPTIONS_INVALID',
  /** A command-line flag or argument is invalid. */
  CLI_USAGE: 'TROUPE_CLI_USAGE',
  /** A file named on the command line could not be read or parsed. */
  CLI_INPUT_INVALID: 'TROUPE_CLI_INPUT_INVALID',
  /** An agent module named by a workflow could not be loaded or exports no agents. */
  MODULE_LOAD_FAILED: 'TROUPE_MODULE_LOAD_FAILED',
  /** A duration string such as `30s` could not be parsed. */
  DURATION_INVALID: 'TROUPE_DURATION_INVALID',
  /** An agent id was registered twice in one registry. */
  AGENT_DUPLICATE: 'TROUPE_AGENT_DUPLICATE',
  /** No routing policy exists under the name asked for. */
  ROUTING_POLICY_UNKNOWN: 'TROUPE_ROUTING_POLICY_UNKNOWN',
  /** A routing weight is not a finite number >= 0. */
  ROUTING_WEIGHT_INVALID: 'TROUPE_ROUTING_WEIGHT_INVALID',
  /** A run's context log does not match its workflow (an entry for a step the walk is not at): the definition changed. */
  REPLAY_DIVERGED: 'TROUPE_REPLAY_DIVERGED',
  /** The data directory is held for writing by another process or another open store (the lock file names its pid). */
  STORE_LOCKED: 'TROUPE_STORE_LOCKED',
  /** The data directory holds a damaged store or something that is not a troupe store; the message names the file. */
  STORE_CORRUPT: 'TROUPE_STORE_CORRUPT',
  /** The store could not grow its map or the disk is full; the write was not made. */
  STORE_FULL: 'TROUPE_STORE_FULL',
  /** A write was attempted on a store opened read-only. */
  STORE_READ_ONLY: 'TROUPE_STORE_READ_ONLY',
  /** A write conflicts with what is stored: an append whose seq does not follow the run's head, or a run id in use. */
  STORE_CONFLICT: 'TROUPE_STORE_CONFLICT',
  /** No troupe store exists in the data directory opened read-only. */
  STORE_NOT_FOUND: 'TROUPE_STORE_NOT_FOUND',
  /** The storage engine failed for another reason (I/O error); `cause` holds its error. */
  STORE_FAILED: 'TROUPE_STORE_FAILED',
  /** A run's context log does not verify against its hash chain (`troupe verify`): an entry was changed, removed, reordered or truncated. */
  CHAIN_BROKEN: 'TROUPE_CHAIN_BROKEN',
  /** The HTTP server's options are invalid: e.g. a non-loopback host without a token, equal operator and read tokens, two workflow files with one name. */
  SERVER_OPTIONS_INVALID: 'TROUPE_SERVER_OPTIONS_INVALID',
  /** The HTTP server could not listen on its host and port (in use, not permitted, no such address). */
  SERVER_LISTEN_FAILED: 'TROUPE_SERVER_LISTEN_FAILED',
  /** An HTTP request is malformed: invalid JSON body, a missing or mistyped field, a bad query parameter (400). */
  HTTP_BAD_REQUEST: 'TROUPE_HTTP_BAD_REQUEST',
  /** An HTTP request or WebSocket upgrade carries no valid token (401). */
  HTTP_UNAUTHORIZED: 'TROUPE_HTTP_UNAUTHORIZED',
  /** An HTTP request is refused: its token's scope does not allow it, or its Origin or Host is not allowed (403). */
  HTTP_FORBIDDEN: 'TROUPE_HTTP_FORBIDDEN',
  /** No HTTP route exists at the path asked for (404). */
  HTTP_NOT_FOUND: 'TROUPE_HTTP_NOT_FOUND',
  /** The HTTP route exists but not for this method (405; the `Allow` header lists the methods). */
  HTTP_METHOD_NOT_ALLOWED: 'TROUPE_HTTP_METHOD_NOT_ALLOWED',
  /** An HTTP request body is larger than the server's limit (413). */
  HTTP_BODY_TOO_LARGE: 'TROUPE_HTTP_BODY_TOO_LARGE',
  /** An HTTP request body is not of a content type the route takes (415). */
  HTTP_UNSUPPORTED_MEDIA_TYPE: 'TROUPE_HTTP_UNSUPPORTED_MEDIA_TYPE',
  /** The server cannot answer this now: it is shutting down, or the feature (metrics) is not enabled (503). */
  HTTP_UNAVAILABLE: 'TROUPE_HTTP_UNAVAILABLE',
  /** The server failed while answering (500); the details are in its log, never in the response. */
  HTTP_INTERNAL_ERROR: 'TROUPE_HTTP_INTERNAL_ERROR',
  /** An inspector WebSocket message is malformed or unknown (not JSON, no known `type`, a missing field); answered with an `error` message, the socket stays open. */
  INSPECTOR_MESSAGE_INVALID: 'TROUPE_INSPECTOR_MESSAGE_INVALID',
  /** The inspector has as many WebSocket clients as it allows; the upgrade is refused (503). */
  INSPECTOR_FULL: 'TROUPE_INSPECTOR_FULL',
} as const;

/** Every code troupe raises. */
export type ErrorCode = (typeof ErrorCodes)[keyof typeof ErrorCodes];
