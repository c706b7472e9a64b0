/**
 * What the workers of several tabs of one app say to each other over a
 * BroadcastChannel: events the leader (or a writing tab) shares, a new tab's hello,
 * and `syncOnce`/`initialSync` forwarded from a follower to the leader.
 */
import type { SyncErrorData } from '../src/protocol/errors.ts';
import type { SyncProgress } from '../src/protocol/types.ts';
import type { ChangeEvent } from '../src/store/types.ts';
import type { WorkerEvent } from '../src/worker-api/sync-worker-api.ts';
import { hexOf } from '../src/store/uuid-v7.ts';
import { SDK_VERSION } from '../src/worker-api/version.ts';

/** A random id: of a tab on the channel, of a forwarded call. */
export function randomId(): string {
  const bytes = new Uint8Array(8);
  crypto.getRandomValues(bytes);
  return hexOf(bytes);
}

/** An event as tabs share it: a `change` with its values (other tabs' live queries test them), the rest as pages hear them. */
export type TabEvent = Exclude<WorkerEvent, { readonly type: 'change' }> | { readonly type: 'change'; readonly payload: ChangeEvent };

/** A call a follower forwards to the leader. */
export type ForwardedMethod = 'syncOnce' | 'initialSync';

/** A message between tab workers. `from` is the sender's tab id. */
export type TabMessage =
  | { readonly kind: 'event'; readonly from: string; readonly event: TabEvent }
  /** A tab joined: the leader answers with its status. */
  | { readonly kind: 'hello'; readonly from: string }
  /** `from` leads and is alive (see leader-heartbeat.ts). */
  | { readonly kind: 'beat'; readonly from: string }
  /** `from` became the leader: re-send calls still waiting for an answer. */
  | { readonly kind: 'leader'; readonly from: string }
  | { readonly kind: 'call'; readonly from: string; readonly id: string; readonly method: ForwardedMethod }
  /** The leader took call `id` of tab `to`; its reply will follow. */
  | { readonly kind: 'accepted'; readonly from: string; readonly to: string; readonly id: string }
  /** `from` clears the replica's local data: let go of the database (see `clear-data.ts`). */
  | { readonly kind: 'clear'; readonly from: string }
  | {
      readonly kind: 'reply';
      readonly from: string;
      readonly to: string;
      readonly id: string;
      readonly result?: SyncProgress;
      readonly error?: SyncErrorData;
    };

/** One handler per kind of message: the table a worker answers the other tabs with. */
export type TabMessageHandlers = {
  readonly [K in TabMessage['kind']]: (message: Extract<TabMessage, { readonly kind: K }>) => void;
};

/** Calls the handler of `message`'s kind. */
export function dispatchTabMessage(handlers: TabMessageHandlers, message: TabMessage): void {
  // `kind` and the message are paired by the TabMessage union; the index cannot see it.
  (handlers[message.kind] as (message: TabMessage) => void)(message);
}

/** The part of `BroadcastChannel` used here (injectable). */
export interface BroadcastChannelLike {
  postMessage(message: unknown): void;
  addEventListener(type: 'message', listener: (event: MessageEvent) => void): void;
  close(): void;
}

/** Makes the channel of a given name. Default: `new BroadcastChannel(name)`. */
export type BroadcastChannelFactory = (name: string) => BroadcastChannelLike;

/** The channel shared by the tabs of one replica name running the same SDK build. */
export function tabChannelName(name: string): string {
  // The build is part of the name: tabs of an old and a new deployment share the
  // database (and the leader lock) but do not read each other's messages.
  return `pulsesync:${name}:${SDK_VERSION}`;
}

/** The default factory; a silent channel where BroadcastChannel does not exist. */
export function defaultBroadcastChannel(name: string): BroadcastChannelLike {
  if (typeof BroadcastChannel === 'function') return new BroadcastChannel(name);
  return { postMessage: () => undefined, addEventListener: () => undefined, close: () => undefined };
}

const KINDS: ReadonlySet<string> = new Set<TabMessage['kind']>(['event', 'hello', 'beat', 'leader', 'call', 'accepted', 'reply', 'clear']);

function isTabMessage(data: unknown): data is TabMessage {
  if (typeof data !== 'object' || data === null) return false;
  const { kind, from } = data as { kind?: unknown; from?: unknown };
  return typeof from === 'string' && typeof kind === 'string' && KINDS.has(kind);
}

/** A typed wrapper of one channel. */
export class TabChannel {
  readonly #channel: BroadcastChannelLike;
  #closed = false;

  constructor(channel: BroadcastChannelLike, onMessage: (message: TabMessage) => void) {
    this.#channel = channel;
    channel.addEventListener('message', (event) => {
      if (!this.#closed && isTabMessage(event.data)) onMessage(event.data);
    });
  }

  post(message: TabMessage): void {
    if (this.#closed) return;
    try {
      this.#channel.postMessage(message);
    } catch (error) {
      // A value that cannot be cloned must not break the write that produced it.
      console.error('pulsesync: could not tell the other tabs', error);
    }
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#channel.close();
  }
}
