/**
 * The worker's side of Comlink 4's wire protocol, the part the client uses: answering
 * `APPLY`, `GET` and `RELEASE` on the worker's endpoint, and calling a function the page
 * sent with `Comlink.proxy` (the token source). The page keeps Comlink itself
 * (`Comlink.wrap`); the worker speaks the same messages without shipping Comlink's
 * general machinery (constructors, setters, transfer handlers, finalizers), about a
 * fifth of the prebuilt worker's compressed bytes before.
 *
 * A message is `{ id, type, path, argumentList }`; an answer is `{ id, type: 'RAW', value }`
 * or, for a failure, `{ id, type: 'HANDLER', name: 'throw', value: { isError: false, value } }`
 * (the API rejects with plain SyncErrorData, which the client rebuilds). A function
 * argument comes as `{ type: 'HANDLER', name: 'proxy', value: port }`.
 */

/** Where messages come and go: a worker's global scope or a MessagePort. */
export interface WireEndpoint {
  postMessage(message: unknown, transfer?: Transferable[]): void;
  addEventListener(type: 'message', listener: (event: MessageEvent) => void): void;
  removeEventListener?(type: 'message', listener: (event: MessageEvent) => void): void;
  start?(): void;
}

interface WireValue {
  readonly type: 'RAW' | 'HANDLER';
  readonly name?: string;
  readonly value: unknown;
}

/** A call over `port` to a function the page sent with `Comlink.proxy`. */
function remoteFunction(port: MessagePort): (...args: unknown[]) => Promise<unknown> {
  let next = 0;
  const waiting = new Map<number, (answer: WireValue) => void>();
  port.addEventListener('message', ({ data }: MessageEvent<WireValue & { id: number }>) => {
    waiting.get(data.id)?.(data);
    waiting.delete(data.id);
  });
  port.start();
  const call = (type: string, argumentList: unknown[] = []): Promise<unknown> =>
    new Promise((resolve, reject) => {
      const id = ++next;
      waiting.set(id, (answer) => {
        const thrown = answer.value as { isError?: boolean; value: { message?: string } };
        if (answer.name !== 'throw') resolve(answer.value);
        else reject(thrown.isError === true ? new Error(thrown.value.message) : thrown.value);
      });
      port.postMessage({ id, type, path: [], argumentList: argumentList.map((value) => ({ type: 'RAW', value })) });
    });
  const remote = (...args: unknown[]): Promise<unknown> => call('APPLY', args);
  RELEASES.set(remote, () => void call('RELEASE').finally(() => port.close()));
  return remote;
}

/** How to let go of each function received from the page. */
const RELEASES = new WeakMap<object, () => void>();

/** Lets go of a function received from the page (its side closes its port); anything else is left alone. */
export function releaseRemote(value: unknown): void {
  RELEASES.get(value as object)?.();
}

/** Answers the Comlink messages on `endpoint` with `api`'s methods. */
export function serveComlink(api: object, endpoint: WireEndpoint): void {
  const listener = ({ data }: MessageEvent): void => {
    const { id, type, path = [], argumentList = [] } = (data ?? {}) as { id?: unknown; type?: string; path?: string[]; argumentList?: WireValue[] };
    if (id === undefined || type === undefined) return;
    const answer = new Promise((resolve) => {
      const [name] = path;
      if (type === 'APPLY' && name !== undefined) {
        const args = argumentList.map((arg) => (arg.name === 'proxy' ? remoteFunction(arg.value as MessagePort) : arg.value));
        resolve((api as Record<string, (...args: unknown[]) => unknown>)[name]!(...args));
      } else resolve(type === 'GET' && name !== undefined ? (api as Record<string, unknown>)[name] : undefined);
    }).then(
      (value): WireValue => ({ type: 'RAW', value }),
      (value: unknown): WireValue => ({ type: 'HANDLER', name: 'throw', value: { isError: false, value } }),
    );
    void answer.then((wire) => {
      try {
        endpoint.postMessage({ ...wire, id });
      } catch {
        endpoint.postMessage({ id, type: 'HANDLER', name: 'throw', value: { isError: true, value: { name: 'TypeError', message: 'Unserializable return value' } } });
      }
      if (type === 'RELEASE') endpoint.removeEventListener?.('message', listener);
    });
  };
  endpoint.addEventListener('message', listener);
  endpoint.start?.();
}
