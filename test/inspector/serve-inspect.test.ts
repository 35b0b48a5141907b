import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { createRuntime, defineAgent } from '../../src/index.js';
import { createServer } from '../../src/inspector/index.js';

const OPERATOR = 'operator-token-0123456789abcdef';
const READER = 'read-token-0123456789abcdef0000';
const cleanups: (() => Promise<unknown> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function served(): Promise<string> {
  const rt = await createRuntime({ agents: [defineAgent({ id: 'echo', execute: (i: unknown) => i })] });
  cleanups.push(() => rt.stop({ timeoutMs: 10 }));
  const server = await createServer({ runtime: rt, token: OPERATOR, readToken: READER, host: '127.0.0.1', port: 0 });
  cleanups.push(() => server.close({ graceMs: 50 }));
  const { port } = (await server.listen()) as AddressInfo;
  return `ws://127.0.0.1:${port}/inspect`;
}

function hello(ws: WebSocket): Promise<{ scope: string; protocol: string }> {
  cleanups.push(() => ws.terminate());
  return new Promise((resolve, reject) => {
    ws.once('message', (d) => resolve({ ...(JSON.parse(d.toString()) as { scope: string }), protocol: ws.protocol }));
    ws.once('error', reject);
  });
}

describe('troupe serve: the inspector at /inspect', () => {
  it('a browser-style client authenticates with a token subprotocol; the server selects troupe.v1, never the token', async () => {
    const url = await served();
    expect(await hello(new WebSocket(url, ['troupe.v1', `troupe.token.${READER}`]))).toEqual(expect.objectContaining({ type: 'hello', scope: 'read', protocol: 'troupe.v1' }));
  });

  it('a program authenticates with a bearer header and gets the operator scope', async () => {
    const url = await served();
    expect(await hello(new WebSocket(url, { headers: { authorization: `Bearer ${OPERATOR}` } }))).toMatchObject({ scope: 'operator' });
  });

  it('refuses an upgrade without a valid token before accepting the socket', async () => {
    const url = await served();
    for (const ws of [new WebSocket(url), new WebSocket(url, ['troupe.v1', 'troupe.token.nope'])]) {
      cleanups.push(() => ws.terminate());
      ws.on('error', () => undefined);
      expect(await new Promise<number>((r) => ws.on('unexpected-response', (_q, res) => r(res.statusCode ?? 0)))).toBe(401);
    }
  });
});
