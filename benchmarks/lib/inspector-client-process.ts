// The inspector-load client process: holds the inspector clients on its own event loop and answers
// the benchmark's requests over IPC (see ClientProcess in inspector-clients.ts). Exits when the
// parent disconnects.
import { InspectorClients, type ClientReply, type ClientRequest } from './inspector-clients.js';

let clients: InspectorClients | null = null;
let cpu = process.cpuUsage();

async function answer(req: ClientRequest): Promise<ClientReply> {
  switch (req.type) {
    case 'connect':
      clients = await InspectorClients.connect(req.url, req.count, req.treeClients, req.format);
      cpu = process.cpuUsage();
      return { type: 'connected' };
    case 'expect': {
      if (!clients) throw new Error('expect before connect');
      const report = await clients.awaitCoverage(req.runIds, req.timeoutMs);
      const used = process.cpuUsage(cpu);
      cpu = process.cpuUsage();
      return { type: 'report', report, cpuMs: (used.user + used.system) / 1000 };
    }
    case 'disconnect':
      await clients?.close();
      clients = null;
      return { type: 'disconnected' };
  }
}

process.on('message', (req: ClientRequest) => {
  answer(req).then(
    (reply) => process.send!(reply),
    (err: unknown) => process.send!({ type: 'failed', message: err instanceof Error ? err.message : String(err) } satisfies ClientReply),
  );
});
process.on('disconnect', () => process.exit(0));
