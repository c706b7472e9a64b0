/**
 * Turns IndexedDB failures (DOMExceptions, mostly) into SyncErrors with a stable code
 * and a sentence a person can act on.
 */
import { ErrorCode, SyncError } from '../protocol/errors.ts';

function domName(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const name = (error as { name?: unknown }).name;
  return typeof name === 'string' ? name : undefined;
}

/**
 * Maps a failure of `what` (e.g. "putMany") to a SyncError: quota → `QUOTA_EXCEEDED`,
 * a closed connection → `DATABASE_CLOSED`, anything else → `STORAGE` with the cause.
 * A SyncError passes through unchanged.
 */
export function toSyncError(error: unknown, what: string): SyncError {
  if (error instanceof SyncError) return error;
  const name = domName(error);
  const detail = error instanceof Error && error.message !== '' ? `: ${error.message}` : '';
  switch (name) {
    case 'QuotaExceededError':
      return new SyncError(
        ErrorCode.QUOTA_EXCEEDED,
        `${what} failed: storage quota exceeded, nothing written; free some space or delete data`,
        { cause: error },
      );
    case 'InvalidStateError':
      return new SyncError(ErrorCode.DATABASE_CLOSED, `${what} failed: the local database connection is closed${detail}`, {
        cause: error,
      });
    case 'VersionError':
      return new SyncError(
        ErrorCode.STORAGE,
        `${what} failed: the local database is from a newer pulsesync; reload the app${detail}`,
        { cause: error },
      );
    default:
      return new SyncError(ErrorCode.STORAGE, `${what} failed: IndexedDB error ${name ?? String(error)}${detail}`, {
        cause: error,
      });
  }
}

/** The `DATABASE_CLOSED` error of a replica that can no longer be used, saying why. */
export function closedError(name: string, why: string): SyncError {
  return new SyncError(ErrorCode.DATABASE_CLOSED, `The local database "${name}" is closed: ${why}.`, {
    details: { database: name },
  });
}
