/**
 * Reads a request body as JSON under a byte cap and a node cap. The byte cap is checked
 * against `Content-Length` first (so an honest oversized upload is refused before a
 * byte is read) and enforced again while streaming (so a lying or chunked one is cut off
 * at the cap, not buffered whole). The node cap is counted while streaming too, so a
 * body that would take long to parse is refused before it is parsed (see
 * `json-node-count.ts`).
 */
import { ErrorCode, SyncError } from '../../protocol/errors.ts';
import { nextTurn } from '../next-turn.ts';
import { jsonNodeCounter } from './json-node-count.ts';

function tooLarge(maxBytes: number, got: string): SyncError {
  return new SyncError(
    ErrorCode.PAYLOAD_TOO_LARGE,
    `The request body is ${got}, more than the server accepts (${maxBytes} bytes): send fewer changes per push (a smaller batchSize) or smaller values`,
    { details: { maxBodyBytes: maxBytes } },
  );
}

function tooManyNodes(maxNodes: number): SyncError {
  return new SyncError(
    ErrorCode.PAYLOAD_TOO_LARGE,
    `The request body holds more than ${maxNodes} JSON values and keys, more than the server parses in one request: send fewer changes per push (a smaller batchSize) or values with fewer parts`,
    { details: { maxJsonNodes: maxNodes } },
  );
}

/**
 * Bodies from this many bytes on are handed on a turn of the event loop after their parse
 * (see {@link readJsonBody}). JSON parses at a few hundred MB/s, so a smaller body holds
 * the loop well under a millisecond; yielding after it would cost more than it saves:
 * under load a yield waits for a round of every other ready request (seen: a pull's
 * body of 100 bytes took 150 ms at p50 to be read, most of it that wait).
 */
export const YIELD_AFTER_BODY_BYTES = 64 * 1024;

/**
 * The body of `request` parsed as JSON. Fails `PAYLOAD_TOO_LARGE` past `maxBytes` or
 * past `maxNodes` JSON nodes, `INVALID_PAYLOAD` for an empty body, a non-JSON content
 * type, bytes that are not UTF-8 or text that is not JSON. A body of
 * {@link YIELD_AFTER_BODY_BYTES} or more resolves on a later turn of the event loop than
 * its parse, so the request's next steps do not extend the block.
 */
export async function readJsonBody(request: Request, maxBytes: number, maxNodes = Number.POSITIVE_INFINITY): Promise<unknown> {
  const type = request.headers.get('content-type');
  if (type !== null && !/json/i.test(type)) {
    throw new SyncError(ErrorCode.INVALID_PAYLOAD, `The request body must be JSON (Content-Type: application/json), got Content-Type: ${type.slice(0, 100)}`);
  }
  const declared = request.headers.get('content-length');
  if (declared !== null && Number(declared) > maxBytes) throw tooLarge(maxBytes, `${declared} bytes`);
  const bytes = await readCapped(request.body, maxBytes, maxNodes);
  if (bytes.byteLength === 0) throw new SyncError(ErrorCode.INVALID_PAYLOAD, 'The request body is empty; expected a JSON object');
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch (error) {
    throw new SyncError(ErrorCode.INVALID_PAYLOAD, 'The request body is not valid UTF-8', { cause: error });
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text) as unknown;
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new SyncError(ErrorCode.INVALID_PAYLOAD, `The request body is not valid JSON: ${reason.slice(0, 200)}`, { cause: error });
  }
  if (bytes.byteLength >= YIELD_AFTER_BODY_BYTES) await nextTurn();
  return parsed;
}

async function readCapped(body: ReadableStream<Uint8Array> | null, maxBytes: number, maxNodes: number): Promise<Uint8Array> {
  if (body === null) return new Uint8Array(0);
  const reader = body.getReader();
  const chunks: Uint8Array[] = [];
  const nodes = jsonNodeCounter();
  let total = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      total += value.byteLength;
      const refusal = total > maxBytes ? tooLarge(maxBytes, `over ${maxBytes} bytes`) : nodes.add(value, maxNodes) > maxNodes ? tooManyNodes(maxNodes) : undefined;
      if (refusal !== undefined) {
        await reader.cancel().catch(() => undefined);
        throw refusal;
      }
      chunks.push(value);
    }
  } finally {
    reader.releaseLock();
  }
  const bytes = new Uint8Array(total);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return bytes;
}
