/**
 * How client.html asks lost-connection-worker.ts to take a replica's IndexedDB
 * connections away (both sides import this; types and one name only).
 */

/** The BroadcastChannel the page and the worker talk on. */
export const LOSE_CONNECTION_CHANNEL = 'pulsesync-test:lose-connection';

/**
 * How the connection goes: `close-event` — closed, with the `close` event a browser
 * sends; `silent` — closed with no event (Safari's "connection lost"); `deleted` —
 * closed with no event and the database deleted behind it (Safari's "database deleted").
 */
export type LoseConnectionHow = 'close-event' | 'silent' | 'deleted';

/** Page → worker. */
export interface LoseConnectionRequest {
  readonly id: string;
  readonly name: string;
  readonly how: LoseConnectionHow;
}

/** Worker → page: how many connections of the database it closed. */
export interface LoseConnectionAnswer {
  readonly id: string;
  readonly closed: number;
}
