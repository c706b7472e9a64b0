/**
 * The payload of a Postgres commit notification: which store sent it (a store hears its
 * own notifications and must skip them) and what the commit touched, so that another
 * process pokes only the live streams that may read it.
 *
 * NOTIFY payloads are limited to 8000 bytes. A commit touching more collectives than fit
 * sends its version range instead, and the listening store reads the collectives of
 * that range back. Rows of the range superseded by the time it reads are in a later
 * commit, whose own notification names their collectives.
 */

/** What a commit notification says. */
export interface CommitNote {
  /** The token of the store that committed. */
  readonly from: string;
  /** The collectives the commit wrote in, when they fit. */
  readonly collectives?: readonly string[];
  /** Otherwise the versions it wrote: above `after`, up to `upTo`. */
  readonly range?: readonly [after: number, upTo: number];
}

/** Payloads stay under Postgres' 8000-byte limit with room to spare. */
export const MAX_NOTE_BYTES = 7_500;

const encoder = new TextEncoder();

/** The payload for a commit of `collectives` at versions `range`. */
export function encodeCommitNote(from: string, collectives: readonly string[], range: readonly [number, number]): string {
  const full = JSON.stringify({ from, collectives });
  return encoder.encode(full).length <= MAX_NOTE_BYTES ? full : JSON.stringify({ from, range });
}

function isStringArray(value: unknown): value is string[] {
  return Array.isArray(value) && value.every((item) => typeof item === 'string');
}

function isRange(value: unknown): value is [number, number] {
  return Array.isArray(value) && value.length === 2 && value.every((item) => Number.isSafeInteger(item));
}

/**
 * Reads a payload; undefined when it says nothing usable (a process of an older version
 * sends its bare token): the commit is then of unknown collectives.
 */
export function decodeCommitNote(payload: string | undefined): CommitNote | undefined {
  if (payload === undefined) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(payload);
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null) return undefined;
  const { from, collectives, range } = value as Record<string, unknown>;
  if (typeof from !== 'string') return undefined;
  if (isStringArray(collectives)) return { from, collectives };
  if (isRange(range)) return { from, range };
  return { from };
}
