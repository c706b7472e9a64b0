/**
 * Raw TCP clients for tests of what Node's http server does before a request reaches
 * the handler: write exactly the bytes given (slowly, if asked) and read whatever comes
 * back until the server closes.
 */
import { connect, type Socket } from 'node:net';

/** What a raw exchange saw. */
export interface RawAnswer {
  /** The status of the first response, if any arrived. */
  readonly status: number | undefined;
  /** Its header block (lower-cased), '' when none. */
  readonly head: string;
  readonly body: string;
}

/** A raw connection: its socket and the answer, read until the server closes it. */
export interface RawClient {
  readonly socket: Socket;
  /** Resolves once the server has closed the connection. */
  readonly answer: Promise<RawAnswer>;
  /** Has the connection closed? */
  closed(): boolean;
}

function parse(text: string): RawAnswer {
  const end = text.indexOf('\r\n\r\n');
  if (end === -1) return { status: undefined, head: text.toLowerCase(), body: '' };
  const head = text.slice(0, end);
  const status = /^HTTP\/1\.1 (\d{3})/.exec(head)?.[1];
  return { status: status === undefined ? undefined : Number(status), head: head.toLowerCase(), body: text.slice(end + 4) };
}

/** Connects to the host and port of `url` and writes `bytes` (nothing when undefined). */
export function rawClient(url: string, bytes?: string): RawClient {
  const { hostname, port } = new URL(url);
  const socket = connect(Number(port), hostname);
  let text = '';
  let isClosed = false;
  socket.setEncoding('utf8');
  socket.on('data', (chunk: string) => (text += chunk));
  // A server that answers and closes while bytes are still on their way resets.
  socket.on('error', () => undefined);
  if (bytes !== undefined) socket.write(bytes);
  const answer = new Promise<RawAnswer>((resolve) =>
    socket.once('close', () => {
      isClosed = true;
      resolve(parse(text));
    }),
  );
  return { socket, answer, closed: () => isClosed };
}

/**
 * Writes `piece` to `client` every `everyMs`, until the connection closes or `times`
 * pieces went out. Resolves with how many went out.
 */
export async function trickle(client: RawClient, piece: string, everyMs: number, times: number): Promise<number> {
  let sent = 0;
  while (sent < times && !client.closed() && client.socket.writable) {
    client.socket.write(piece);
    sent++;
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
  return sent;
}
