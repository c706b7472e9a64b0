/**
 * The rooms of one open connection of a tab's worker (see `sync-worker.ts`): made at
 * connect, and made anew when a clear replaces the replica.
 */
import type { Connection } from './connection.ts';
import type { ForwardedCalls } from './forwarded-calls.ts';
import type { LeaderTerms } from './leader-term.ts';
import type { OutboxIndex } from '../src/store/outbox-view.ts';
import type { TabMessageHandlers } from './tab-channel.ts';
import type { TabStatus } from './tab-status.ts';

/** The rooms of one connection. */
export interface Session {
  readonly connection: Connection;
  readonly terms: LeaderTerms;
  readonly calls: ForwardedCalls;
  readonly status: TabStatus;
  /** Which records have a write waiting. */
  readonly outbox: OutboxIndex;
  /** What this tab does with each kind of message from the other tabs. */
  readonly handlers: TabMessageHandlers;
}

/** Ends the session: its sync (if it leads, another tab takes over), its waiting calls, its replica connection. */
export async function closeSession(session: Session): Promise<void> {
  try {
    await session.terms.close();
  } finally {
    session.calls.close();
    session.connection.close();
  }
}
