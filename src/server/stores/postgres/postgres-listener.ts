/**
 * The Postgres store's LISTEN connection: how a server process hears the commits of the
 * others. A pooled connection cannot LISTEN (the pool hands it to someone else), so it
 * is a dedicated client, opened on demand and reopened with backoff when it drops —
 * and, since a commit made while it was down was not heard, it reports a reconnect so
 * the store can poke its listeners once.
 */
import pg from 'pg';
import { unrefTimer, type ServerTimers } from '../../timers.ts';
import { PG_SQL, POSTGRES_CHANNEL } from './postgres-schema.ts';

/** Longest wait between two reconnect attempts. */
const RECONNECT_MAX_MS = 5_000;

/** Options of a {@link PostgresListener}. */
export interface PostgresListenerOptions {
  /** How to connect (the store's own settings). */
  readonly config: pg.ClientConfig;
  /** Called with the payload of each notification on {@link POSTGRES_CHANNEL}. */
  readonly onNotification: (payload: string | undefined) => void;
  /** Called once the channel listens again after a drop. */
  readonly onReconnect: () => void;
  /** Whether to reconnect after a drop (false once nobody listens). */
  readonly wanted: () => boolean;
  readonly timers: ServerTimers;
}

/** A LISTEN connection on {@link POSTGRES_CHANNEL} that reconnects itself. */
export class PostgresListener {
  readonly #options: PostgresListenerOptions;
  #client: pg.Client | undefined;
  #listening: Promise<void> | undefined;
  #reconnectTimer: unknown;
  #attempt = 0;
  #closed = false;

  constructor(options: PostgresListenerOptions) {
    this.#options = options;
  }

  /** Opens the connection unless it is open, opening, or waiting to reconnect. */
  start(): void {
    if (this.#closed || this.#client !== undefined || this.#reconnectTimer !== undefined) return;
    const client = new pg.Client(this.#options.config);
    const reconnecting = this.#attempt > 0;
    this.#client = client;
    client.on('notification', (message) => {
      if (message.channel === POSTGRES_CHANNEL) this.#options.onNotification(message.payload);
    });
    client.on('error', () => this.#drop(client));
    client.on('end', () => this.#drop(client));
    this.#listening = client
      .connect()
      .then(() => client.query(PG_SQL.listen))
      .then(
        () => {
          this.#attempt = 0;
          if (reconnecting) this.#options.onReconnect();
        },
        () => this.#drop(client),
      );
  }

  /** Resolves once the last opening attempt has settled (listening, or dropped). */
  listening(): Promise<void> {
    return this.#listening ?? Promise.resolve();
  }

  /** Ends the connection and any pending reconnect, for good. */
  async close(): Promise<void> {
    this.#closed = true;
    if (this.#reconnectTimer !== undefined) this.#options.timers.clearTimeout(this.#reconnectTimer);
    this.#reconnectTimer = undefined;
    const client = this.#client;
    this.#client = undefined;
    await client?.end().catch(() => undefined);
  }

  #drop(client: pg.Client): void {
    if (this.#client !== client) return;
    this.#client = undefined;
    client.end().catch(() => undefined);
    if (this.#closed || !this.#options.wanted()) return;
    const delay = Math.min(RECONNECT_MAX_MS, 100 * 2 ** this.#attempt);
    this.#attempt++;
    this.#reconnectTimer = this.#options.timers.setTimeout(() => {
      this.#reconnectTimer = undefined;
      this.start();
    }, delay);
    // A reconnect alone must not keep the process alive.
    unrefTimer(this.#reconnectTimer);
  }
}
