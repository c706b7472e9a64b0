/**
 * Answers are gzipped when the caller accepts it and they are worth it (issue 15, item
 * 4): negotiation by `Accept-Encoding`, the same JSON once decoded, `Vary`, small
 * answers and the live stream left plain — and the SDK's HTTP transport under Node
 * (undici's fetch asks for gzip and decodes) syncing through a real socket.
 */
import { request as httpRequest } from 'node:http';
import { promisify } from 'node:util';
import { gunzip as gunzipCallback } from 'node:zlib';
import { afterEach, describe, expect, it } from 'vitest';
import type { PullResponse } from '../../../src/protocol/types.ts';
import { createFetchHandler, type FetchHandlerOptions } from '../../../src/server/http/fetch-handler.ts';
import { acceptsGzip, hostGzip } from '../../../src/server/http/json-answer.ts';
import { createNodeServer, type NodeSyncServer } from '../../../src/server/node/node-server.ts';
import { memoryServerStore } from '../../../src/server/stores/memory-server-store.ts';
import { createSyncServer, type SyncServer } from '../../../src/server/sync-server.ts';
import { httpTransport } from '../../../src/transport/http-transport.ts';
import { newInstanceId, pushBody, putChange } from './wire-messages.ts';

const gunzip = promisify(gunzipCallback);
const opened: { close(): Promise<void> }[] = [];
afterEach(async () => {
  await Promise.all(opened.splice(0).map((thing) => thing.close()));
});

/** A server holding `count` notes of ~200 B, and a handler over it. */
async function serverWith(count: number, options: FetchHandlerOptions = {}) {
  const server = createSyncServer({ store: memoryServerStore() });
  opened.push(server);
  const writer = newInstanceId();
  const changes = Array.from({ length: count }, (_, i) => putChange(writer, i + 1, `note-${i}`, { title: `Note ${i}`, body: 'x'.repeat(180) }));
  if (count > 0) await server.handlePush(pushBody(writer, changes));
  return { server, handler: createFetchHandler(server, options) };
}

function pullRequest(acceptEncoding?: string): Request {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (acceptEncoding !== undefined) headers['accept-encoding'] = acceptEncoding;
  return new Request('http://sync.test/sync/pull', { method: 'POST', headers, body: JSON.stringify({ instanceId: newInstanceId(), cursor: 0, batchSize: 500 }) });
}

async function bodyBytes(response: Response): Promise<Buffer> {
  return Buffer.from(await response.arrayBuffer());
}

describe('answer compression', () => {
  it('gzips a pull page for a caller that accepts gzip, and it decodes to the JSON a caller without gzip gets', async () => {
    const { handler } = await serverWith(300);
    const zipped = await handler(pullRequest('gzip, deflate, br'));
    const plain = await handler(pullRequest());
    expect(zipped.status).toBe(200);
    expect(zipped.headers.get('content-encoding')).toBe('gzip');
    expect(zipped.headers.get('vary')).toMatch(/Accept-Encoding/);
    expect(plain.headers.get('content-encoding')).toBeNull();
    expect(plain.headers.get('vary')).toMatch(/Accept-Encoding/);
    const zippedBytes = await bodyBytes(zipped);
    const plainText = (await bodyBytes(plain)).toString('utf8');
    const decoded = JSON.parse((await gunzip(zippedBytes)).toString('utf8')) as PullResponse;
    expect(decoded.changes).toHaveLength(300);
    expect(decoded).toEqual(JSON.parse(plainText));
    expect(zippedBytes.byteLength).toBeLessThan(plainText.length / 4);
  });

  it('sends identity when gzip is refused, not named, or compression is off', async () => {
    const { handler } = await serverWith(300);
    for (const header of ['identity', 'gzip;q=0', 'br', 'gzip;q=0, *;q=1', undefined]) {
      expect((await handler(pullRequest(header))).headers.get('content-encoding'), String(header)).toBeNull();
    }
    const { handler: off } = await serverWith(300, { compression: false });
    expect((await off(pullRequest('gzip'))).headers.get('content-encoding')).toBeNull();
  });

  it('reads Accept-Encoding by its q-values', () => {
    expect(acceptsGzip('gzip')).toBe(true);
    expect(acceptsGzip('deflate, GZIP;q=0.5')).toBe(true);
    expect(acceptsGzip('*')).toBe(true);
    expect(acceptsGzip('x-gzip')).toBe(true);
    expect(acceptsGzip('gzip;q=0')).toBe(false);
    expect(acceptsGzip('*;q=0')).toBe(false);
    expect(acceptsGzip('gzip;q=0, *')).toBe(false);
    expect(acceptsGzip('identity')).toBe(false);
    expect(acceptsGzip(null)).toBe(false);
  });

  it("gzips with Node's zlib where the host has it, else with its CompressionStream, else not at all", async () => {
    const text = JSON.stringify({ note: 'x'.repeat(5000) });
    const zlib = hostGzip({ process: globalThis.process, CompressionStream: undefined });
    const stream = hostGzip({ process: undefined, CompressionStream });
    expect((await gunzip(Buffer.from((await zlib?.(text)) as Uint8Array))).toString()).toBe(text);
    const streamed = stream?.(text) as ReadableStream<Uint8Array>;
    expect((await gunzip(Buffer.from(await new Response(streamed).arrayBuffer()))).toString()).toBe(text);
    expect(hostGzip({})).toBeUndefined();
  });

  it('leaves small answers plain: a push acknowledgement, an empty page', async () => {
    const { handler } = await serverWith(0);
    const writer = newInstanceId();
    const pushed = await handler(
      new Request('http://sync.test/sync/push', {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'accept-encoding': 'gzip' },
        body: JSON.stringify(pushBody(writer, [putChange(writer, 1, 'a', 1)])),
      }),
    );
    expect(pushed.headers.get('content-encoding')).toBeNull();
    expect(await pushed.json()).toMatchObject({ accepted: 1 });
    const empty = await handler(pullRequest('gzip'));
    expect(empty.headers.get('content-encoding')).toBeNull();
  });

  it('keeps the live stream plain: a poke and no record, whatever the caller accepts', async () => {
    const { server, handler } = await serverWith(0);
    const controller = new AbortController();
    const live = await handler(new Request('http://sync.test/sync/live', { headers: { 'accept-encoding': 'gzip' }, signal: controller.signal }));
    expect(live.headers.get('content-encoding')).toBeNull();
    const reader = (live.body as ReadableStream<Uint8Array>).getReader();
    const decoder = new TextDecoder();
    let text = decoder.decode((await reader.read()).value);
    const writer = newInstanceId();
    await server.handlePush(pushBody(writer, [putChange(writer, 1, 'secret-id', { secret: 'value' })]));
    while (!text.includes('event: poke')) text += decoder.decode((await reader.read()).value);
    controller.abort();
    expect(text).toContain('event: poke\ndata: {}\n\n');
    expect(text).not.toMatch(/secret/);
  });
});

describe('over a socket', () => {
  async function listen(server: SyncServer): Promise<NodeSyncServer> {
    const node = await createNodeServer(createFetchHandler(server), { port: 0 });
    opened.push(node);
    return node;
  }

  it("the SDK's HTTP transport under Node gets pull pages gzipped and decodes them", async () => {
    const { server } = await serverWith(300);
    const node = await listen(server);
    // What crossed the socket: gzip, for the Accept-Encoding undici's fetch sends over http.
    const raw = await new Promise<{ encoding: string | undefined; bytes: number }>((resolve, reject) => {
      const req = httpRequest(`${node.url}/sync/pull`, { method: 'POST', headers: { 'content-type': 'application/json', 'accept-encoding': 'gzip, deflate' } }, (res) => {
        let bytes = 0;
        res.on('data', (chunk: Buffer) => (bytes += chunk.byteLength));
        res.on('end', () => resolve({ encoding: res.headers['content-encoding'], bytes }));
        res.on('error', reject);
      });
      req.on('error', reject);
      req.end(JSON.stringify({ instanceId: newInstanceId(), cursor: 0, batchSize: 500 }));
    });
    expect(raw.encoding).toBe('gzip');
    const transport = httpTransport({ url: node.url, live: false });
    const page = await transport.pull({ instanceId: newInstanceId(), cursor: 0, batchSize: 500 });
    expect(page.changes).toHaveLength(300);
    expect(raw.bytes).toBeLessThan(JSON.stringify(page).length / 4);
  });
});
