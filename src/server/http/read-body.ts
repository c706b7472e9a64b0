/**
 * Reads a request body as JSON under a byte cap. The cap is checked against
 * `Content-Length` first (so an honest oversized upload is refused before a byte is
 * read) and enforced again while streaming (so a lying or chunked one is cut off at the
 * cap, not buffered whole).
 */
import { ErrorCode, SyncError } from '../../protocol/errors.ts';

function tooLarge(maxBytes: number, got: string): SyncError {
  return new SyncError(
    ErrorCode.PAYLOAD_TOO_LARGE,
    `The request body is ${got}, more than the server accepts (${maxBytes} bytes): send fewer changes per push (a smaller batchSize) or smaller values`,
    { details: { maxBodyBytes: maxBytes } },
  );
}

/**
 * The body of `request` parsed as JSON. Fails `PAYLOAD_TOO_LARGE` past `maxBytes`,
 * `INVALID_PAYLOAD` for an empty body, a non-JSON content type, bytes that are not
 * UTF-8 or text that is not JSON.
 */
export async function readJsonBody(request: Request, maxBytes: number): Promise<unknown> {
  const type = request.headers.get('content-type');
  if (type !== null && !/json/i.test(type)) {
    throw new SyncError(ErrorCode.INVALID_PAYLOAD, `The request body must be JSON (Content-Type: application/json), got Content-Type: ${type.slice(0, 100)}`);
  }
  const declared = request.headers.get('content-length');
  if (declared !== null && Number(declared) > maxBytes) throw tooLarge(maxBytes, `${declared} bytes`);
  const bytes = await readCapped(request.body, maxBytes);
  if (bytes.byteLength === 0) throw new SyncError(ErrorCode.INVALID_PAYLOAD, 'The request body is empty; expected a JSON object');
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch (error) {
    throw new SyncError(ErrorCode.INVALID_PAYLOAD, 'The request body is not valid UTF-8', { cause: error });
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new SyncError(ErrorCode.INVALID_PAYLOAD, `The request body is not valid JSON: ${reason.slice(0, 200)}`, { cause: error });
  }
}

async function readCapped(body: ReadableStream<Uint8Array> | null, maxBytes: number): Promise<Uint8Array> {
  if (body === null) return new Uint8Array(0);
  const reader = body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      total += value.byteLength;
      if (total > maxBytes) {
        await reader.cancel().catch(() => undefined);
        throw tooLarge(maxBytes, `over ${maxBytes} bytes`);
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
