/**
 * Reads this device's sync cursors straight from its replica: the pull cursor (last
 * server version applied) and the push cursor (last local change the server
 * acknowledged), kept per server as the engine keys them. The client API has no call
 * for them, so the page opens the replica's database read-side for two small reads.
 */
import { openReplica, peerKey, type LocalStore } from 'pulsesync';
import type { Cursors } from './sync-view.ts';

/** Reads cursors on demand; quietly gives undefined until it can. */
export class CursorReader {
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

  /**
   * The cursors, or undefined when they cannot be read yet (the server's id is not
   * known: it has not been reachable since the page opened).
   */
  async read(canAskServer: boolean): Promise<Cursors | undefined> {
    try {
      if (this.#serverId === undefined && !canAskServer) return undefined;
      this.#serverId ??= this.#fetchServerId();
      const serverId = await this.#serverId;
      this.#replica ??= openReplica({ name: this.#dbName });
      const replica = await this.#replica;
      const peer = peerKey(serverId, undefined);
      const [pull, push] = await Promise.all([replica.pullCursor(peer), replica.pushCursor(peer)]);
      return { pull, push };
    } catch {
      // Try again next time (server unreachable, database reopened…).
      this.#serverId = undefined;
      this.#replica?.then((r) => r.close()).catch(() => undefined);
      this.#replica = undefined;
      return undefined;
    }
  }

  close(): void {
    this.#replica?.then((r) => r.close()).catch(() => undefined);
    this.#replica = undefined;
  }

  async #fetchServerId(): Promise<string> {
    const response = await fetch(`${this.#serverUrl}/sync/health`, { headers: { authorization: `Bearer ${this.#token}` } });
    if (!response.ok) throw new Error(`health answered HTTP ${response.status}`);
    const body = (await response.json()) as { serverId?: unknown };
    if (typeof body.serverId !== 'string') throw new Error('health named no serverId');
    return body.serverId;
  }
}
