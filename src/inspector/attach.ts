import { readFileSync } from 'node:fs';
import type { TroupeRuntime } from '../runtime/index.js';
import { InspectorSockets, type InspectorSocketOptions } from './sockets.js';
import type { UpgradeHandler } from './types.js';

/** The path of the inspector's WebSocket. */
export const INSPECT_PATH = '/inspect';

/**
 * The upgrade handler that serves the inspector WebSocket for `runtime` (the server has checked
 * Host, Origin and the token; the client's scope comes from its token).
 */
export function inspectorHandler(runtime: TroupeRuntime, options: Partial<Omit<InspectorSocketOptions, 'runtime'>> = {}): UpgradeHandler & { readonly sockets: InspectorSockets } {
  const sockets = new InspectorSockets({ runtime, version: options.version ?? packageVersion(), ...options });
  return {
    sockets,
    handle(req, socket, head, access) {
      sockets.handleUpgrade(req, socket, head, { scope: access.scope, label: `${access.scope}@${req.socket.remoteAddress ?? 'unknown'}` });
    },
    close: () => sockets.close(),
  };
}

/** Whether the served runtime is a whole troupe runtime (the inspector needs its actor tree), not a stand-in. */
export function isInspectable(runtime: object): runtime is TroupeRuntime {
  return 'tree' in runtime && 'agents' in runtime && typeof (runtime as { on?: unknown }).on === 'function';
}

function packageVersion(): string {
  try {
    return (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version?: string }).version ?? 'unknown';
  } catch {
    return 'unknown';
  }
}
