/**
 * The page↔worker wire: Comlink 4's message protocol, the part pulsesync uses, on both
 * sides, so neither ships Comlink's general machinery (proxies of objects, setters,
 * constructors, transfer handlers, finalizers): a call goes as
 * `{ id, type: 'APPLY', path: [method], argumentList }`, its answer comes back as
 * `{ id, type: 'RAW', value }` or, for a failure, `{ id, type: 'HANDLER', name: 'throw',
 * value: { isError, value } }`. A function argument (the client's token source) goes as
 * `{ type: 'HANDLER', name: 'proxy', value: port }`, served on a port of its own. A worker
 * made with `Comlink.expose` still answers this client, and a Comlink client this worker.
 *
 * The API rejects with plain SyncErrorData (`isError: false`), which the client rebuilds;
 * an Error thrown as such arrives as an Error with its name and message.
 */

/** Where messages come and go: a Worker, a worker's global scope, a MessagePort. */
export interface WireEndpoint {
  postMessage(message: unknown, transfer?: Transferable[]): void;
  addEventListener(type: string, listener: (event: MessageEvent) => void): void;
  removeEventListener(type: string, listener: (event: MessageEvent) => void): void;
  start?(): void;
}

/** A value on the wire: as it is (`RAW`), or a thrown value or a function's port (`HANDLER`). */
export interface WireValue {
  readonly type: 'RAW' | 'HANDLER';
  readonly name?: string;
  readonly value: unknown;
}

/**
 * A call to the other side: `APPLY` of `path` (none: the served function itself) to
 * `args` (wire values, with the ports they carry in `transfer`), or `RELEASE`.
 */
export type WireCall = (type: 'APPLY' | 'RELEASE', path?: readonly string[], args?: readonly WireValue[], transfer?: Transferable[]) => Promise<unknown>;

interface WireMessage {
  readonly id?: unknown;
  readonly type?: string;
  readonly path?: readonly string[];
  readonly argumentList?: readonly WireValue[];
}

let lastId = 0;

/** How to let go of each function received from the other side. */
const RELEASES = new WeakMap<object, () => void>();

/** `value` as it is. */
export function raw(value: unknown): WireValue {
  return { type: 'RAW', value };
}

/** A thrown value: an Error goes as its name and message (as Comlink sends it), anything else as it is. */
function thrown(value: unknown): WireValue {
  return {
    type: 'HANDLER',
    name: 'throw',
    value: value instanceof Error ? { isError: true, value: { name: value.name, message: value.message } } : { isError: false, value },
  };
}

/** A function for the other side to call: served on a port of its own, which goes in `transfer`. */
export function proxied(fn: (...args: never[]) => unknown, transfer: Transferable[]): WireValue {
  const { port1, port2 } = new MessageChannel();
  // Its arguments are taken as plain values: the other side calls it with plain ones
  // only (fromWire's remote; the token source takes none), so the page, which serves
  // nothing else, bundles no decoding of proxies.
  serveWire(fn, port1, plainValue);
  transfer.push(port2);
  return { type: 'HANDLER', name: 'proxy', value: port2 };
}

/** A value as received: a proxy becomes a function that calls the other side (with plain arguments). */
export function fromWire({ name, value }: WireValue): unknown {
  if (name !== 'proxy') return value;
  const port = value as MessagePort;
  const call = wireCaller(port);
  const remote = (...args: unknown[]): Promise<unknown> => call('APPLY', [], args.map(raw));
  RELEASES.set(remote, () => void call('RELEASE').finally(() => port.close()));
  return remote;
}

/** Lets go of a function received from the other side (which then closes its port); anything else is left alone. */
export function releaseRemote(value: unknown): void {
  RELEASES.get(value as object)?.();
}

/** Calls whatever is served (`serveWire`, or Comlink's `expose`) on the other side of `endpoint`. */
export function wireCaller(endpoint: WireEndpoint): WireCall {
  const waiting = new Map<unknown, (answer: WireValue) => void>();
  endpoint.addEventListener('message', ({ data }: MessageEvent<WireMessage | undefined>) => {
    const settle = waiting.get(data?.id);
    if (settle === undefined) return; // not an answer of ours (an event, say)
    waiting.delete(data?.id);
    settle(data as WireValue);
  });
  endpoint.start?.();
  return (type, path = [], argumentList = [], transfer = []) =>
    new Promise((resolve, reject) => {
      const id = ++lastId;
      waiting.set(id, (answer) => {
        if (answer.name !== 'throw') return resolve(answer.value); // no API answers with a function
        const thrown = answer.value as { isError?: boolean; value: { name?: string; message?: string } };
        reject(thrown.isError === true ? Object.assign(new Error(thrown.value.message), thrown.value) : thrown.value);
      });
      endpoint.postMessage({ id, type, path, argumentList }, transfer);
    });
}

/** A value as received, when no proxy can come (see `proxied`). */
function plainValue({ value }: WireValue): unknown {
  return value;
}

/**
 * Answers the calls on `endpoint` with `target`'s methods (or `target` itself, a
 * function), each argument taken by `received`: {@link fromWire} where a function may
 * come (the worker's API), so that each side bundles only what it takes.
 */
export function serveWire(target: object, endpoint: WireEndpoint, received: (value: WireValue) => unknown): void {
  const listener = ({ data }: MessageEvent<WireMessage | undefined>): void => {
    const { id, type, path = [], argumentList = [] } = data ?? {};
    if (id === undefined || type === undefined) return;
    // Only calls are answered (`RELEASE` with nothing): no side reads or sets properties.
    const answer = new Promise((resolve) => {
      const [name] = path;
      const args = argumentList.map(received);
      if (type !== 'APPLY') resolve(undefined);
      else resolve(name === undefined ? (target as (...args: unknown[]) => unknown)(...args) : (target as Record<string, (...args: unknown[]) => unknown>)[name]!(...args));
    }).then(raw, thrown);
    void answer.then((wire) => {
      try {
        endpoint.postMessage({ ...wire, id });
      } catch {
        endpoint.postMessage({ ...thrown(new TypeError('Unserializable return value')), id });
      }
      if (type !== 'RELEASE') return;
      endpoint.removeEventListener('message', listener);
      if (typeof MessagePort !== 'undefined' && endpoint instanceof MessagePort) endpoint.close();
    });
  };
  endpoint.addEventListener('message', listener);
  endpoint.start?.();
}
