/**
 * A successful JSON answer, gzip-compressed when the caller accepts it and the answer is
 * large enough to gain from it. Pull pages are the bytes that matter: 500 records of
 * ~250 B of JSON take ~440 B each on the wire as JSON (the change's envelope — its
 * collective, id, clock, source and version — is half of it); gzipped, ~55 B of the
 * benchmark's wordy notes, ~200 B of random text.
 *
 * How: under Node (and hosts with `process.getBuiltinModule`), zlib's one-shot gzip on
 * the thread pool at level {@link GZIP_LEVEL}; the event loop hands it the page and gets
 * the bytes back (~0.1 ms of it per 220 KB page). Elsewhere, the host's
 * `CompressionStream` (zlib's default level; its stream plumbing costs the loop about
 * 0.5 ms per page under Node, which is why Node does not use it). Brotli was measured
 * too: at the qualities that cost about as much CPU per page as gzip it was no smaller
 * on this JSON, and browsers ask for it only over HTTPS, so it is not offered.
 *
 * What is not compressed: answers under {@link MIN_COMPRESSED_BYTES}, errors (small),
 * and the live stream (pokes carry no data, and a compressor would hold them back).
 * The server's byte caps (`maxPullBytes`) bound the JSON before compression.
 */

/** Answers shorter than this many characters of JSON go uncompressed: gzip's frame and a trip to the thread pool outweigh what they save. */
export const MIN_COMPRESSED_BYTES = 1024;

/**
 * zlib's gzip level under Node. Measured on a 500-record page: ~1 ms of CPU, where
 * zlib's default (6) takes ~3 ms, for 16% more bytes on wordy JSON and 1% more on
 * random text; the server's CPU is what its latency under load is made of.
 */
export const GZIP_LEVEL = 4;

/** How a fetch handler compresses its answers. */
export interface AnswerCompression {
  /** Answers shorter than this many characters of JSON go uncompressed. Default {@link MIN_COMPRESSED_BYTES}. */
  readonly minBytes?: number;
}

/**
 * Whether an `Accept-Encoding` header accepts gzip: named with a q-value above 0, or
 * covered by `*` when not named. (`x-gzip` is gzip's old name.)
 */
export function acceptsGzip(header: string | null): boolean {
  if (header === null) return false;
  let named: number | undefined;
  let star: number | undefined;
  for (const part of header.split(',')) {
    const [coding = '', ...params] = part.split(';').map((piece) => piece.trim().toLowerCase());
    const qParam = params.find((param) => param.startsWith('q='));
    const q = qParam === undefined ? 1 : Number(qParam.slice(2));
    const weight = Number.isFinite(q) ? q : 0;
    if (coding === 'gzip' || coding === 'x-gzip') named = Math.max(named ?? 0, weight);
    else if (coding === '*') star = weight;
  }
  return (named ?? star ?? 0) > 0;
}

/** Gzips a JSON text. */
export type Gzip = (text: string) => Promise<Uint8Array<ArrayBuffer>> | ReadableStream<Uint8Array>;

/** What {@link hostGzip} looks for in the host (the global object by default). */
export interface GzipHost {
  readonly process?: { readonly getBuiltinModule?: NodeJS.Process['getBuiltinModule'] } | undefined;
  readonly CompressionStream?: typeof CompressionStream | undefined;
}

/**
 * The host's best gzip: Node's zlib when it can be had without a static import (see
 * the file comment), else `CompressionStream`, else none.
 */
export function hostGzip(host: GzipHost = globalThis): Gzip | undefined {
  const zlib = host.process?.getBuiltinModule?.('node:zlib');
  if (zlib !== undefined) {
    return (text) =>
      new Promise((resolve, reject) => {
        // zlib's output is a Buffer over a plain (not shared) ArrayBuffer.
        zlib.gzip(text, { level: GZIP_LEVEL }, (error, zipped) => (error === null ? resolve(zipped as Uint8Array<ArrayBuffer>) : reject(error)));
      });
  }
  const Stream = host.CompressionStream;
  if (typeof Stream === 'function') return (text) => new Blob([text]).stream().pipeThrough(new Stream('gzip'));
  return undefined;
}

const gzip = hostGzip();

/**
 * A 200 answer of `body` as JSON for `request`: gzipped (with `Content-Encoding: gzip`)
 * when the request accepts gzip, `compression` is on and the JSON is at least
 * `minBytes` long; plain otherwise. `Vary: Accept-Encoding` either way, since the
 * choice depends on it.
 */
export function jsonAnswer(request: Request, body: unknown, compression: AnswerCompression | false): Promise<Response> {
  return jsonTextAnswer(request, JSON.stringify(body), compression);
}

/** {@link jsonAnswer} of a body already written as JSON `text` (a pull's: see `stored-json.ts`). */
export async function jsonTextAnswer(request: Request, text: string, compression: AnswerCompression | false): Promise<Response> {
  const headers = new Headers({ 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store', vary: 'Accept-Encoding' });
  const compress =
    gzip !== undefined &&
    compression !== false &&
    text.length >= (compression.minBytes ?? MIN_COMPRESSED_BYTES) &&
    acceptsGzip(request.headers.get('accept-encoding'));
  if (!compress) return new Response(text, { status: 200, headers });
  headers.set('content-encoding', 'gzip');
  return new Response(await gzip(text), { status: 200, headers });
}
