/**
 * Builds the rooms of one session of a tab's worker (`session.ts`) around an open
 * connection, and wires them: the leader terms and the managers they run, this tab's
 * status, the calls forwarded to the leader, the outbox index, and what this tab does
 * with each message of the other tabs. `sync-worker.ts` opens and closes sessions;
 * this is what one is made of.
 */
import { SyncManager } from '../src/engine/sync-manager.ts';
import type { Timers } from '../src/engine/timers.ts';
import type { SyncEventMap } from '../src/engine/types.ts';
import type { SyncProgress } from '../src/protocol/types.ts';
import { OutboxIndex } from '../src/store/outbox-view.ts';
import type { ChangeEvent } from '../src/store/types.ts';
import type { Connection } from './connection.ts';
import { ForwardedCalls, runOn } from './forwarded-calls.ts';
import type { Fence } from './leader-fence.ts';
import type { LockManagerLike } from './leader-lock.ts';
import { LeaderTerms } from './leader-term.ts';
import type { OnlineSignal } from './online-signal.ts';
import type { PushWaiters } from './push-waiters.ts';
import type { Session } from './session.ts';
import type { ForwardedMethod, TabEvent, TabMessageHandlers } from './tab-channel.ts';
import { TabStatus } from './tab-status.ts';
import { DEFAULT_LEADER_ANSWER_TIMEOUT_MS, DEFAULT_LEADER_SILENCE_MS, type SyncWorkerOptions } from './worker-options.ts';

/** What the rooms need of the tab's worker, which outlives its sessions. */
export interface SessionHost {
  readonly tabId: string;
  readonly options: SyncWorkerOptions;
  readonly locks: LockManagerLike;
  readonly online: OnlineSignal;
  readonly timers: Timers;
  readonly waiters: PushWaiters;
  /** The session open now: a message may arrive for one already replaced. */
  current(): Session | undefined;
  /** Another tab clears the replica: let go, come back when it is done (`replica-life.ts`). */
  yieldToClear(): void;
}

/** The rooms of a session made for the tab's worker `host`; see the module comment. */
export interface SessionRooms {
  /** The rooms of a session around `connection`, wired to each other and to the host. */
  sessionOf(connection: Connection): Session;
  /** Tells every tab; this tab's outbox hears it first; a local change reaches the other tabs a little later, gathered. */
  publish(session: Session, event: TabEvent): void;
}

/** How long the other tabs wait for a local write's change, gathering those of the writes after it. */
const TELL_TABS_MS = 16;

/** Builds sessions for `host`. */
export function sessionRooms(host: SessionHost): SessionRooms {
  const { tabId, options, locks, online, timers, waiters, current, yieldToClear } = host;
  /**
   * Local changes not yet told to the other tabs, with the connection whose tabs they are
   * for: a session closed and another opened within TELL_TABS_MS must not have its
   * changes told on the first one's channel (its close tells them; a timer of a batch
   * told already does nothing).
   */
  let untold: { readonly connection: Connection; readonly changes: ChangeEvent['changes'][] } | undefined;
  return { sessionOf, publish };

  /** The rooms of a session around `connection`, wired to each other and to `host`. */
  function sessionOf(connection: Connection): Session {
    // A closing tab still tells the others of its last writes.
    connection.keep(() => {
      if (untold?.connection === connection) tellUntold();
    });
    const terms: LeaderTerms = new LeaderTerms(locks, connection.lockName, {
      newManager: (fence) => newManager(session, 'leader', fence),
      beat: () => connection.post({ kind: 'beat', from: tabId }),
      onLead: (manager) => {
        connection.post({ kind: 'leader', from: tabId });
        status.termBegan();
        status.share();
        calls.runHere(manager);
      },
      onResign: (last) => status.termEnded(last),
      onFinalFailure: (failure) => {
        status.setFinalFailure(failure);
        status.share();
      },
      onLeaderGone: () => status.leaderGone(),
      onError: (error) => connection.publish({ type: 'error', payload: error }),
    }, { timers: timers, silenceMs: options.leaderSilenceMs ?? DEFAULT_LEADER_SILENCE_MS, jitter: Math.random() });
    const status = new TabStatus(connection, { leader: () => terms.manager, wantsSync: () => terms.wanted });
    const calls = new ForwardedCalls({
      connection,
      locks: locks,
      timers: timers,
      answerTimeoutMs: options.leaderAnswerTimeoutMs ?? DEFAULT_LEADER_ANSWER_TIMEOUT_MS,
      runAlone: (method) => runAlone(session, method),
    });
    const session: Session = {
      connection,
      terms,
      calls,
      status,
      outbox: new OutboxIndex(connection.replica),
      handlers: handlersOf(connection, terms, calls, status),
    };
    return session;
  }

  /**
   * Tells every tab; this tab's outbox hears it first (`heard`). A local write's change
   * reaches the other tabs TELL_TABS_MS later, with the changes of the writes meanwhile:
   * a post to the channel cost more than the rest of the worker's work on one awaited
   * put (CPU profile, issue 15), and the answer to the page goes first.
   */
  function publish(session: Session, event: TabEvent): void {
    const { connection } = session;
    if (!heard(session, event)) return connection.publish(event);
    connection.deliver(event);
    if (untold?.connection !== connection) {
      tellUntold();
      const batch = (untold = { connection, changes: [] });
      timers.setTimeout(() => {
        if (untold === batch) tellUntold();
      }, TELL_TABS_MS);
    }
    untold.changes.push((event.payload as ChangeEvent).changes);
  }

  function tellUntold(): void {
    untold?.connection.tellTabs({ type: 'change', payload: { source: 'local', changes: untold.changes.flat() } });
    untold = undefined;
  }

  /** Runs `method` on a manager made for this one call (this tab holds the lock). */
  async function runAlone(session: Session, method: ForwardedMethod): Promise<SyncProgress | undefined> {
    const manager = newManager(session, 'one-call');
    try {
      return await runOn(manager, method);
    } finally {
      await manager.stop();
    }
  }

  /**
   * A manager over the session's connection and pending count, whose progress, conflict,
   * error, ack and reset events go to every tab (its `change` events are the replica's,
   * published already). The leader's status is this tab's; a manager made for one call reports its own.
   */
  function newManager(session: Session, role: 'leader' | 'one-call', fence: Fence = (target) => target): SyncManager {
    const { connection, terms, status } = session;
    const manager = new SyncManager(fence(connection.replica), fence(connection.transport), connection.config, {
      ...timers,
      pendingCount: connection.pending,
    });
    manager.setOnline(online.isOnline());
    for (const type of ['progress', 'conflict', 'error', 'ack', 'reset'] as const) {
      manager.on(type, (payload: SyncEventMap[typeof type]) => publish(session, { type, payload } as TabEvent));
    }
    manager.on('status', (payload) => {
      if (role === 'one-call') connection.publish({ type: 'status', payload });
      // Not while a later term runs: a stopped manager may still report late.
      else if (terms.manager === undefined || terms.manager === manager) status.share();
    });
    return manager;
  }

  /** An event of this tab or another: an ack or a local write changed the log; says whether it is a local write's change. */
  function heard(session: Session, event: TabEvent): boolean {
    const local = event.type === 'change' && event.payload.source === 'local';
    if (local || event.type === 'ack') session.outbox.invalidate();
    if (event.type === 'ack') void waiters.settle();
    return local;
  }

  /** What this tab does with each kind of message from the other tabs. */
  function handlersOf(connection: Connection, terms: LeaderTerms, calls: ForwardedCalls, status: TabStatus): TabMessageHandlers {
    return {
      event: ({ event }) => {
        if (event.type === 'status') {
          if (terms.manager !== undefined) return; // only one leader's status counts: ours
          status.heard(event.payload);
          terms.watch();
          return;
        }
        if (event.type === 'change' && event.payload.source === 'local') {
          // Another tab wrote: the change log grew. As leader, push it now rather than at the next interval.
          void connection.pending.refresh();
          terms.manager?.requestPush();
        }
        const session = current();
        if (session !== undefined) heard(session, event);
        connection.deliver(event);
      },
      hello: () => status.answerHello(),
      beat: () => terms.heard(),
      leader: () => {
        calls.resend();
        terms.watch();
      },
      call: (message) => calls.serve(message, terms.manager),
      accepted: (message) => calls.accepted(message),
      reply: (message) => calls.replied(message),
      clear: () => yieldToClear(),
    };
  }
}
