/**
 * Tabs (test/client/tabs.ts) that a test can freeze, as a frozen page, a paused worker
 * or a hung script is: a frozen tab's timers do not fire (one fake clock, timers per
 * tab: tab-clocks.ts), the answers of its requests wait on arrival, the news that its
 * lock was stolen waits (stealable-locks.ts), and so do the other tabs' messages. On
 * waking it gets them in that order — its answers first, which is the hard case for a
 * leader that was replaced meanwhile. Every request is recorded with its tab and time.
 */
import type { PullResponse } from '../../src/protocol/types.ts';
import { wrapTransport } from '../../src/transport/wrap-transport.ts';
import { leaderLockName } from '../../worker/leader-lock.ts';
import type { BroadcastChannelFactory } from '../../worker/tab-channel.ts';
import { tabsWorld } from '../client/tabs.ts';
import { stealableLocks } from './stealable-locks.ts';
import { settled, TabClocks } from './tab-clocks.ts';

/** Sync intervals far beyond any test: requests come from start, writes and syncOnce only. */
export const QUIET = { pushIntervalMs: 3_600_000, pullIntervalMs: 3_600_000 } as const;

/** A request as the server side saw it leave. */
export interface SeenRequest {
  readonly tab: number;
  readonly operation: string;
  /** Fake time it was sent. */
  readonly at: number;
}

/** What a frozen tab missed, per kind, in the order it gets them back. */
interface Missed {
  readonly answers: () => void;
  readonly messages: (() => void)[];
}

/** A device whose tabs can be frozen, and another device (`writer`) on the same server. */
export function frozenTabs() {
  const clocks = new TabClocks();
  const locks = stealableLocks();
  const frozen = new Map<number, Missed>();
  const answersBack = new Map<number, Promise<void>>();
  const seen: SeenRequest[] = [];
  /** Pull answers that reached a frozen tab. */
  const heldAnswers: { tab: number; response: PullResponse }[] = [];

  /** Node's BroadcastChannel, whose messages wait while `tab` is frozen. */
  const channelOf =
    (tab: number): BroadcastChannelFactory =>
    (name) => {
      const channel = new BroadcastChannel(name);
      return {
        postMessage: (message) => channel.postMessage(message),
        addEventListener: (type, listener) =>
          channel.addEventListener(type, (event) => {
            const missed = frozen.get(tab);
            if (missed === undefined) listener(event as MessageEvent);
            else missed.messages.push(() => listener(event as MessageEvent));
          }),
        close: () => channel.close(),
      };
    };

  const world = tabsWorld({
    transport: (inner, tab) =>
      wrapTransport(inner, {
        call: async (call) => {
          seen.push({ tab, operation: call.operation, at: clocks.now });
          const response = await call.send();
          const back = answersBack.get(tab);
          if (back !== undefined) {
            if (call.operation === 'pull') heldAnswers.push({ tab, response: response as PullResponse });
            await back;
          }
          return response;
        },
      }),
  });
  const other = tabsWorld({ server: world.server });
  let opened = 0;

  return {
    world,
    clocks,
    locks,
    seen,
    heldAnswers,
    lockName: leaderLockName(world.name),
    /** A tab of another device, to change records on the server. */
    writer: other.open({ config: QUIET }),
    /** Opens the next tab (numbered from 1, as `world` numbers them), on its own clock and lock client. */
    open(workerOptions: { leaderSilenceMs?: number } = {}) {
      const tab = ++opened;
      const id = String(tab);
      return world.open({ config: QUIET }, { locks: locks.client(id), time: clocks.source(id), broadcastChannel: channelOf(tab), ...workerOptions });
    },
    freeze(tab: number): void {
      let release = (): void => undefined;
      answersBack.set(tab, new Promise<void>((resolve) => (release = resolve)));
      frozen.set(tab, { answers: release, messages: [] });
      clocks.freeze(String(tab));
      locks.freeze(String(tab));
    },
    /** Wakes `tab`: the answers that waited, then the lock's news, then its timers, then the tabs' messages. */
    async wake(tab: number): Promise<void> {
      const missed = frozen.get(tab);
      answersBack.delete(tab);
      missed?.answers();
      await settled();
      locks.wake(String(tab));
      await settled();
      clocks.wake(String(tab));
      await clocks.advance(0);
      frozen.delete(tab);
      for (const message of missed?.messages ?? []) message();
      await settled();
    },
    /** Requests `tab` sent at or after fake time `from`. */
    requestsOf(tab: number, from: number): SeenRequest[] {
      return seen.filter((r) => r.tab === tab && r.at >= from);
    },
    /** Moves time in steps of `stepMs` until `done()` or `limitMs` passed; returns the time it took. */
    async advanceUntil(done: () => boolean, limitMs: number, stepMs = 100): Promise<number> {
      const from = clocks.now;
      while (!done() && clocks.now - from < limitMs) await clocks.advance(stepMs);
      return clocks.now - from;
    },
    async closeAll(): Promise<void> {
      for (const tab of [...frozen.keys()]) await this.wake(tab);
      await world.closeAll();
      await other.closeAll();
    },
  };
}
