/**
 * The inspector area: the HTTP API of `troupe serve` (runs, approvals, pause, resume, cancel,
 * metrics, the inspector page) with its auth, and the hook the WebSocket inspector plugs into.
 * Other areas import only this file.
 */
export { createServer } from './server.js';
export { TOKEN_PROTOCOL_PREFIX } from './auth.js';
export { isLoopbackHost } from './origin.js';
export { HTTP_STATUS } from './http-errors.js';
export type { Access, MetricsSource, Scope, ServedRuntime, ServerOptions, TroupeServer, UpgradeHandler } from './types.js';
export { InspectorSockets, type ClientIdentity, type InspectorSocketOptions } from './sockets.js';
export { InspectorHub, type HubListener } from './hub.js';
export { inspectorHandler, INSPECT_PATH } from './attach.js';
export { runCommand, type RunCommand } from './commands.js';
export * from './protocol.js';
