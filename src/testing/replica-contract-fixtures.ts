/**
 * What the parts of the replica contract share: how a test gets a fresh replica, and
 * the builders and checks its tests use.
 */
import { formatHlc, type Hlc } from '../clock/hlc.ts';
import { isSyncError } from '../protocol/errors.ts';
import type { ChangeOp, JsonValue, PulledChange, RecordState } from '../protocol/types.ts';
import type { LocalStore } from '../store/types.ts';

/** A fresh replica under a name of its own, and a way to open it again (another tab). */
export type FreshReplica = () => Promise<{ replica: LocalStore; reopen: () => Promise<LocalStore> }>;

/** The instance id of the replica remote changes come from. */
export const OTHER_REPLICA = '01900000-0000-7000-8000-0000000000aa';
/** The peer (server) cursors are kept for. */
export const PEER = 'server-1';

/** A server state for `applyRemote`. */
export function pulled(
  collective: string,
  id: string,
  version: number,
  options: { op?: ChangeOp; value?: JsonValue; wallMs?: number; source?: string } = {},
): PulledChange {
  const source = options.source ?? OTHER_REPLICA;
  const hlc: Hlc = formatHlc({ wallMs: options.wallMs ?? Date.now(), counter: 0, node: source });
  const state: RecordState = options.op === 'delete' ? { op: 'delete' } : { op: 'put', value: options.value ?? { v: version } };
  return { collective, id, hlc, source, version, ...state };
}

/** Awaits `promise` and returns the SyncError code it failed with (or 'resolved'). */
export async function failureCode(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
    return 'resolved';
  } catch (error) {
    return isSyncError(error) ? error.code : `not a SyncError: ${String(error)}`;
  }
}
