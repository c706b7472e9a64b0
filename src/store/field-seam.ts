/**
 * How a replica reaches field-level records (`field-last-write-wins`) and record
 * history (`explain`) when it is given them: the parts of `replicaFields`
 * (replica-fields.ts) behind `ReplicaOptions.fields`. Types, and the one error a replica
 * or worker without them gives: the default worker carries none of their code (it is
 * opt-in, like collections), and a replica without them keeps whole records only.
 */
import type { Hlc } from '../clock/hlc.ts';
import { ErrorCode, SyncError } from '../protocol/errors.ts';
import { FIELDS_BUILT } from '../protocol/fields-built.ts';
import type { FieldPath } from '../protocol/field-path.ts';
import type { ConflictPolicy, FieldPatch, InstanceId, JsonValue, PulledChange, RecordKey, RecordState } from '../protocol/types.ts';
import type { WriteStamp } from '../protocol/write-order.ts';
import type { LogEntry, LoggedChange, ReplicaRecord } from './schema.ts';
import type { IdbConnection, ReplicaSettings } from './idb-connection.ts';
import type { IdbReplica } from './idb-replica.ts';
import type { LocalStore } from './types.ts';
import type { LocalWritePlan, planFeedBatch, planLocalWrite, planServerStates, RemotePlan } from './write-plans.ts';

/**
 * What `patch` takes: field paths and their new values. As an object, each key is a
 * dotted path (`'address.city'`); as a list, each entry's `path` is the keys themselves
 * (for keys that hold dots). A value `undefined` (an entry without `value`) deletes the
 * field.
 */
export type PatchInput = Readonly<Record<string, JsonValue | undefined>> | readonly FieldPatch[];

/** One field this replica lost in a conflict, under `field-last-write-wins`. */
export interface FieldLoss {
  /** The field ([] is the whole record). */
  readonly path: FieldPath;
  /** What this replica had written there (no `value`: it had deleted it). */
  readonly had: WriteStamp & { readonly value?: JsonValue };
  /** The write that won, at its path (`[]`: it wrote the whole record); no `value`: it deleted there. */
  readonly won: WriteStamp & { readonly path: FieldPath; readonly value?: JsonValue; readonly version?: number };
  /**
   * True when this replica's write was still waiting to be pushed; false when it had
   * been pushed, and the server said the winner was written without seeing it.
   */
  readonly pending: boolean;
}

/**
 * One state of a record, or of one field of a field-level record, as this replica came
 * to hold it: its writer, clock and server version, and the conflict it decided, if any.
 */
export interface HistoryEntry {
  /** The field ([] is the whole record). */
  readonly path: FieldPath;
  /** What the write left there; absent when it deleted. */
  readonly value?: JsonValue;
  readonly source: InstanceId;
  readonly hlc: Hlc;
  /** The server version that carried it, when known (this replica's own unpushed writes have none). */
  readonly version?: number;
  /** `local`: written here (or in another tab of this replica); `server`: pulled, or in a push's answer. */
  readonly via: 'local' | 'server';
  /**
   * Writes this one overruled that had not seen it (concurrent edits), each with its
   * value when this replica held it, and the rule that decided.
   */
  readonly overruled?: readonly (WriteStamp & { readonly value?: JsonValue; readonly mine: boolean })[];
  /** The rule that decided between them, in words. */
  readonly rule?: string;
}

/** Why a record holds its value, as this replica knows it (`explain`). */
export interface RecordExplanation {
  readonly collective: string;
  readonly id: string;
  /** The value held now; absent when the record is deleted or unknown here. */
  readonly value?: JsonValue;
  /** Does the replica hold the record (not deleted)? */
  readonly exists: boolean;
  /** Per field (a record written whole: one, at `[]`), the write that holds it now. */
  readonly fields: readonly (WriteStamp & { readonly path: FieldPath; readonly version?: number; readonly deleted?: true })[];
  /**
   * The record's recent history, oldest first: at most {@link HISTORY_LIMIT} entries,
   * kept with the record (and dropped with it).
   */
  readonly history: readonly HistoryEntry[];
}

export { FIELDS_BUILT };

/** The field-level records of a replica's `settings`, where this build can have them (see {@link FIELDS_BUILT}). */
export function fieldsIn(settings: { readonly fields?: ReplicaFields | undefined }): ReplicaFields | undefined {
  return FIELDS_BUILT ? settings.fields : undefined;
}

/** Most history entries a record keeps (the oldest go first). */
export const HISTORY_LIMIT = 24;

/** What server states meet: the records held and this replica's pending writes. */
export interface RemoteMeeting extends Partial<Met> {
  readonly changes: readonly PulledChange[];
  readonly policy: ConflictPolicy;
}

/**
 * A conflict this replica lost under `field-last-write-wins`, as the engine reports it
 * (the shape of its `ConflictInfo`; the store cannot import the engine): made by the
 * store's merge, which alone knows what was lost.
 */
export interface FieldConflict {
  readonly collective: string;
  readonly id: string;
  readonly policy: 'field-last-write-wins';
  /** The record this replica held before the merge. */
  readonly local: RecordState;
  /** The server's state that won. */
  readonly remote: PulledChange;
  /** `merged`: the fields that did not lose stay beside those that won; `remote`: a write of the whole record won. */
  readonly outcome: 'merged' | 'remote';
  readonly reason: string;
  readonly fields: readonly FieldLoss[];
}

/** What the plans of field-level records meet besides the change log: the records the changes name. */
export interface Met {
  /** The stored record of each change (`held[i]` of `changes[i]`), read in the write's transaction. */
  readonly held: readonly (ReplicaRecord | undefined)[];
  /** The change log (what waits to be pushed). */
  readonly entries: readonly LogEntry[];
  /** This replica. */
  readonly instanceId: InstanceId;
}

/** What a plan of `write-plans.ts` takes, with what it meets (none: nothing). */
type Meeting<P extends (input: never) => unknown> = Parameters<P>[0] & Partial<Met>;

/**
 * Field-level records and history in a replica: `replicaFields`, the one
 * implementation. It plans the replica's writes in place of `write-plans.ts` (around
 * it), given what each write meets, which the IndexedDB replica reads for it with
 * {@link ReplicaFields.meet} inside the write's transaction (the memory replica hands
 * its records over as they are).
 */
export interface ReplicaFields {
  /** Reads, in the write transaction `tx` of `conn` (records and log in scope), what the plans meet for `changes`. */
  readonly meet: (conn: IdbConnection, tx: IDBTransaction, changes: readonly RecordKey[]) => Promise<Met>;
  /** A patch in change-log form; fails `INVALID_PAYLOAD` as the server's schema would refuse it. */
  readonly loggedPatch: (collective: string, id: string, fields: PatchInput) => LoggedChange;
  /** `planLocalWrite`, each change meeting the record it finds: a patch merges into it. */
  readonly planLocalWrite: (input: Meeting<typeof planLocalWrite>) => LocalWritePlan;
  /** `planFeedBatch`: under `field-last-write-wins` the states merge, and its conflicts name what this replica lost. */
  readonly planFeedBatch: (input: Meeting<typeof planFeedBatch>) => ReturnType<typeof planFeedBatch>;
  /** `planServerStates`, likewise. */
  readonly planServerStates: (input: Meeting<typeof planServerStates>) => RemotePlan;
  /** The explanation of a stored record (undefined: none held). */
  readonly explain: (collective: string, id: string, record: ReplicaRecord | undefined) => RecordExplanation;
  /** The IndexedDB replica with `patch` and `explain`, which `openReplica` makes when given these. */
  readonly IdbReplica: new (settings: ReplicaSettings, db: IDBDatabase, instanceId: InstanceId) => IdbReplica;
}

/** A replica with field-level records: `patch` and `explain` there. */
export type FieldStore = LocalStore & Required<Pick<LocalStore, 'patch' | 'explain'>>;

/** `store` as a {@link FieldStore}, or the error saying how to have one when `what` needs it. */
export function fieldStore(store: LocalStore, what: string): FieldStore {
  if (store.patch === undefined || store.explain === undefined) fieldsMissing(what);
  return store as FieldStore;
}

/**
 * Throws the error of a replica or worker without field-level records (and history):
 * `what` needs them. They are opt-in code, in pulsesync's full worker only (the one with
 * collections).
 */
export function fieldsMissing(what: string): never {
  throw new SyncError(
    ErrorCode.INVALID_CONFIG,
    `${what} needs field-level records: exposeSyncWorker({ fields: workerFields }), or openReplica({ fields: replicaFields })`,
    { details: { field: 'fields' } },
  );
}
