/**
 * Reads what the page shows from this device's replica itself: pending changes (the
 * change log's length) and the sync cursors — the pull cursor (last server version
 * applied) and the push cursor (last local change the server acknowledged), kept per
 * server as the engine keys them. The client API has no call for cursors, and its
 * status stops counting pending changes while sync is stopped, so the page opens the
 * replica's database for these few small reads.
 */
import { openReplica, peerKey, type LocalStore } from 'pulsesync/engine';

/** What the replica says. */
export interface ReplicaFacts {
  readonly pending: number;
  /** Undefined until the server's id is known (cursors are kept per server). */
  readonly cursors?: { readonly pull: number; readonly push: number };
}

/** Reads replica facts on demand; gives undefined when it cannot. */
export class ReplicaReader {
  readonly #dbName: string;
  readonly #serverUrl: string;
  readonly #token: string;
  #replica: Promise<LocalStore> | undefined;
  #serverId: Promise<string> | undefined;

  constructor(dbName: string, serverUrl: string, token: string) {
    this.#dbName = dbName;
    this.#serverUrl = serverUrl;
    this.#token = token;
  }

  /** Reads; asks the server for its id (once) only when `mayAskServer`. */
  async read(mayAskServer: boolean): Promise<ReplicaFacts | undefined> {
    try {
      this.#replica ??= openReplica({ name: this.#dbName });
      const replica = await this.#replica;
      const pending = await replica.pendingCount();
      if (this.#serverId === undefined && !mayAskServer) return { pending };
      this.#serverId ??= this.#fetchServerId();
      const serverId = await this.#serverId.catch(() => {
        this.#serverId = undefined; // ask again next time
        return undefined;
      });
      if (serverId === undefined) return { pending };
      const peer = peerKey(serverId, undefined);
      const [pull, push] = await Promise.all([replica.pullCursor(peer), replica.pushCursor(peer)]);
      return { pending, cursors: { pull, push } };
    } catch {
      // The database went away under us (deleted, upgraded): reopen next time.
      void this.close();
      return undefined;
    }
  }

  /** Closes the database connection (resolves once closed). */
  async close(): Promise<void> {
    const replica = this.#replica;
    this.#replica = undefined;
    await replica?.then((r) => r.close()).catch(() => undefined);
  }

  async #fetchServerId(): Promise<string> {
    const response = await fetch(`${this.#serverUrl}/sync/health`, { headers: { authorization: `Bearer ${this.#token}` } });
    if (!response.ok) throw new Error(`health answered HTTP ${response.status}`);
    const body = (await response.json()) as { serverId?: unknown };
    if (typeof body.serverId !== 'string') throw new Error('health named no serverId');
    return body.serverId;
  }
}
