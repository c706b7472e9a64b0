/**
 * A successful JSON answer, gzip-compressed when the caller accepts it and the answer is
 * large enough to gain from it. Pull pages are the bytes that matter: 500 records of
 * ~250 B of JSON take ~440 B each on the wire as JSON (the change's envelope — its
 * collective, id, clock, source and version — is half of it) and ~48 B gzipped.
 *
 * Compression runs in the host's `CompressionStream` (Node, Deno, Bun, workers and
 * browsers have it), which under Node is zlib working on the thread pool: the event loop
 * only moves chunks, so a 4 MiB page costs it no more than sending it plain. Level: the
 * stream's (zlib's default, 6). Brotli was measured too: at the qualities that cost
 * about as much CPU per page as gzip it was no smaller on this JSON, and browsers ask
 * for it only over HTTPS, so it is not offered.
 *
 * What is not compressed: answers under {@link MIN_COMPRESSED_BYTES}, errors (small),
 * and the live stream (pokes carry no data, and a compressor would hold them back).
 * The server's byte caps (`maxPullBytes`) bound the JSON before compression.
 */
/** Answers shorter than this many characters of JSON go uncompressed: gzip's frame and a trip to the thread pool outweigh what they save. */
export const MIN_COMPRESSED_BYTES = 1024;

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

/**
 * A 200 answer of `body` as JSON for `request`: gzipped (with `Content-Encoding: gzip`)
 * when the request accepts gzip, `compression` is on and the JSON is at least
 * `minBytes` long; plain otherwise. `Vary: Accept-Encoding` either way, since the
 * choice depends on it.
 */
export function jsonAnswer(request: Request, body: unknown, compression: AnswerCompression | false, headers?: HeadersInit): Response {
  const text = JSON.stringify(body);
  const all = new Headers(headers);
  all.set('content-type', 'application/json; charset=utf-8');
  all.set('cache-control', 'no-store');
  all.append('vary', 'Accept-Encoding');
  const gzip =
    compression !== false &&
    typeof CompressionStream === 'function' &&
    text.length >= (compression.minBytes ?? MIN_COMPRESSED_BYTES) &&
    acceptsGzip(request.headers.get('accept-encoding'));
  if (!gzip) return new Response(text, { status: 200, headers: all });
  all.set('content-encoding', 'gzip');
  return new Response(new Blob([text]).stream().pipeThrough(new CompressionStream('gzip')), { status: 200, headers: all });
}
