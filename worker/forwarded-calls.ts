/**
 * `syncOnce` and `initialSync` need the tab that leads: they run on its manager. In the
 * leading tab that is here; where no tab leads, this tab takes the lock for just the
 * call; otherwise the call is forwarded to the leader over the channel and its answer
 * awaited. As a backstop the caller also queues for the lock: if the leader goes away
 * before answering, the lock comes here and the call runs here. A new leader is sent
 * the calls still waiting.
 */
import type { SyncManager } from '../src/engine/sync-manager.ts';
import type { TimerFunctions } from '../src/engine/timers.ts';
import { ErrorCode, SyncError, type SyncErrorData } from '../src/protocol/errors.ts';
import type { SyncProgress } from '../src/protocol/types.ts';
import type { Connection } from './connection.ts';
import { acquireLock, type LockManagerLike } from './leader-lock.ts';
import { randomId, type ForwardedMethod, type TabMessage } from './tab-channel.ts';

/** What a call answers: `initialSync`'s progress, nothing for `syncOnce`. */
export type CallResult = SyncProgress | undefined;

/** Runs `method` on `manager`. */
export function runOn(manager: SyncManager, method: ForwardedMethod): Promise<CallResult> {
  return method === 'syncOnce' ? manager.syncOnce().then(() => undefined) : manager.initialSync();
}

/** A forwarded call waiting for the leader's answer. */
interface WaitingCall {
  readonly method: ForwardedMethod;
  readonly resolve: (result: CallResult) => void;
  readonly reject: (error: unknown) => void;
  /** Cancels the backstop: our own request for the lock, granted if the leader dies. */
  readonly backstop: AbortController;
  /** Runs out unless the leader says it took the call (see `leaderAnswerTimeoutMs`). */
  answerTimer?: unknown;
}

/** What the calls need from the worker. */
export interface ForwardedCallsOptions {
  readonly connection: Connection;
  readonly locks: LockManagerLike;
  readonly timers: TimerFunctions;
  /** How long the leader has to take a call before it fails `TIMEOUT`. */
  readonly answerTimeoutMs: number;
  /** Runs `method` on a manager made for this one call (the caller holds the lock). */
  readonly runAlone: (method: ForwardedMethod) => Promise<CallResult>;
}

/** The calls of one tab that need the leader, and the calls of others it serves as leader. */
export class ForwardedCalls {
  readonly #options: ForwardedCallsOptions;
  readonly #waiting = new Map<string, WaitingCall>();
  #closed = false;

  constructor(options: ForwardedCallsOptions) {
    this.#options = options;
  }

  /** Runs `method` on `leader` (this tab's manager while it leads), alone if no tab leads, else by the leader. */
  async call(method: ForwardedMethod, leader: SyncManager | undefined): Promise<CallResult> {
    if (leader !== undefined) return runOn(leader, method);
    const { locks, connection, runAlone } = this.#options;
    const lock = await acquireLock(locks, connection.lockName, { ifAvailable: true });
    if (lock === undefined) return this.#forward(method);
    try {
      return await runAlone(method);
    } finally {
      lock.release();
    }
  }

  /** This tab just became the leader: the calls it forwarded run here now. */
  runHere(manager: SyncManager): void {
    for (const id of [...this.#waiting.keys()]) {
      const call = this.#take(id);
      if (call !== undefined) runOn(manager, call.method).then(call.resolve, call.reject);
    }
  }

  /** Another tab became the leader: it is sent the calls still waiting. */
  resend(): void {
    for (const id of [...this.#waiting.keys()]) this.#post(id);
  }

  /** As leader, runs another tab's call: says it took it, then answers. */
  serve(message: Extract<TabMessage, { kind: 'call' }>, leader: SyncManager | undefined): void {
    if (leader === undefined) return; // not ours to answer; the caller's backstop covers a gap
    const { connection } = this.#options;
    const from = connection.tabId;
    connection.post({ kind: 'accepted', from, to: message.from, id: message.id });
    const reply = (fields: { result?: SyncProgress; error?: SyncErrorData }): void =>
      connection.post({ kind: 'reply', from, to: message.from, id: message.id, ...fields });
    runOn(leader, message.method).then(
      (result) => reply(result === undefined ? {} : { result }),
      (error: unknown) => reply({ error: SyncError.from(error).toJSON() }),
    );
  }

  /** The leader took our call `id`: its answer will come, however long it runs. */
  accepted(message: Extract<TabMessage, { kind: 'accepted' }>): void {
    const call = message.to === this.#options.connection.tabId ? this.#waiting.get(message.id) : undefined;
    if (call !== undefined) this.#stopAnswerTimer(call);
  }

  /** The leader's answer to our call `id`. */
  replied(message: Extract<TabMessage, { kind: 'reply' }>): void {
    if (message.to !== this.#options.connection.tabId) return;
    const call = this.#take(message.id);
    if (call === undefined) return;
    if (message.error !== undefined) call.reject(SyncError.from(message.error));
    else call.resolve(message.result);
  }

  /** The tab closes: every call still waiting fails `SHUTDOWN`. */
  close(): void {
    this.#closed = true;
    for (const id of [...this.#waiting.keys()]) {
      const call = this.#take(id);
      call?.reject(new SyncError(ErrorCode.SHUTDOWN, `${call.method}(): the client closed before the leading tab answered`));
    }
  }

  #forward(method: ForwardedMethod): Promise<CallResult> {
    const { locks, connection, runAlone } = this.#options;
    const id = randomId();
    return new Promise((resolve, reject) => {
      const backstop = new AbortController();
      this.#waiting.set(id, { method, resolve, reject, backstop });
      this.#post(id);
      void acquireLock(locks, connection.lockName, { signal: backstop.signal }).then(async (lock) => {
        if (lock === undefined) return;
        try {
          const call = this.#closed ? undefined : this.#take(id);
          if (call !== undefined) await runAlone(method).then(call.resolve, call.reject);
        } finally {
          lock.release();
        }
      });
    });
  }

  /** (Re)sends a waiting call to whichever tab leads, and starts waiting for it to be taken. */
  #post(id: string): void {
    const call = this.#waiting.get(id);
    if (call === undefined) return;
    const { timers, answerTimeoutMs, connection } = this.#options;
    this.#stopAnswerTimer(call);
    call.answerTimer = timers.setTimeout(() => {
      this.#take(id)?.reject(
        new SyncError(
          ErrorCode.TIMEOUT,
          `${call.method}(): the leading tab did not take the call in ${answerTimeoutMs} ms (frozen, or another app version? reload the other tabs)`,
          { details: { timeoutMs: answerTimeoutMs } },
        ),
      );
    }, answerTimeoutMs);
    connection.post({ kind: 'call', from: connection.tabId, id, method: call.method });
  }

  /** Removes a waiting call, stopping its backstop and timer; undefined if already settled. */
  #take(id: string): WaitingCall | undefined {
    const call = this.#waiting.get(id);
    if (call === undefined) return undefined;
    this.#waiting.delete(id);
    call.backstop.abort();
    this.#stopAnswerTimer(call);
    return call;
  }

  #stopAnswerTimer(call: WaitingCall): void {
    if (call.answerTimer !== undefined) this.#options.timers.clearTimeout(call.answerTimer);
    call.answerTimer = undefined;
  }
}
