/**
 * What the push, pull and conflict steps need from the manager: the store, the
 * transport, the configuration, the peer key and where to report.
 */
import type { SyncErrorData } from '../protocol/errors.ts';
import type { AckEvent } from './acks.ts';
import type { LocalStore } from '../store/types.ts';
import type { SyncTransport } from '../transport/types.ts';
import type { Sender } from './handshake.ts';
import type { ConflictInfo, SnapshotResetEvent, SyncConfig } from './types.ts';

/** Inputs of one push or pull run. */
export interface SyncContext {
  readonly store: LocalStore;
  readonly transport: SyncTransport;
  readonly config: SyncConfig;
  /** Who pushes and pulls: spread into every request (the key crosses only to the server). */
  readonly sender: Sender;
  /** Cursor key: server id plus collective filter (see `peerKey`). */
  readonly peer: string;
  /** Called between batches; throws `SHUTDOWN` when sync is stopping. */
  readonly checkpoint: () => void;
  /** A conflict was met and settled. */
  readonly onConflict: (conflict: ConflictInfo) => void;
  /** A failure that does not stop the run (a refused change, a throwing resolver). */
  readonly onError: (error: SyncErrorData) => void;
  /** A client reset moved on (see `ResetEvent`). */
  readonly onReset: (event: SnapshotResetEvent) => void;
  /** The server dealt with a range of changes (their refusals kept already): the `ack` event. */
  readonly onAck: (ack: AckEvent) => void;
}
