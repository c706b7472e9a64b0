/**
 * Per-write acknowledgement: what the server did with each local write, told once as an
 * `ack` event and kept in the replica so a receipt can be asked about later (another
 * tab, after a reload).
 *
 * The change log already says which seqs the server has dealt with: acknowledgement
 * drops a prefix of it, so a seq no longer in the log has been dealt with. What it
 * cannot say is how: accepted, or refused and why. So the refusals are kept, in the
 * replica's `refusals` note, bounded to the latest {@link MAX_KEPT_REFUSALS}; a seq that
 * has left the log and has no refusal kept was accepted. Refusals are written before
 * the log entries leave (a crash between the two re-sends the batch, whose refusals are
 * already kept). The note belongs to one instance id: seqs start again under a new one
 * (a renewed identity), so a note of another id counts as none.
 *
 * A `last-write-wins` change that the server's newer record beat is dealt with, not
 * refused: it reads as accepted (the `conflict` event says it lost).
 */
import type { ErrorCode } from '../protocol/errors.ts';
import type { InstanceId, RejectReason } from '../protocol/types.ts';
import type { LocalStore } from '../store/types.ts';

/** Why the server (or the engine) did not take a change. */
export type RefusalReason =
  /** The caller may not write this collective. */
  | 'FORBIDDEN'
  /** `server-wins`: somebody else wrote the record after the version the change was based on. */
  | 'CONFLICT'
  /** No store could keep it (see the message). */
  | 'INVALID_PAYLOAD'
  /** Too large for the server, even alone. */
  | 'PAYLOAD_TOO_LARGE'
  /** Outside the configured `collectives`: it stays in this replica and is never sent. */
  | 'LOCAL_ONLY';

/** One refused change. */
export interface ChangeRefusal {
  readonly seq: number;
  readonly collective: string;
  readonly id: string;
  readonly reason: RefusalReason;
  readonly message: string;
}

/**
 * The `ack` event: the server has dealt with every change of this replica from `from`
 * to `upTo` (inclusive); those in `refusals` were refused, the others accepted.
 */
export interface AckEvent {
  readonly from: number;
  readonly upTo: number;
  readonly refusals: readonly ChangeRefusal[];
}

/** What a local write returns: which changes of which replica to ask about. */
export interface WriteReceipt {
  /** The replica written to (a receipt of a replica since cleared is `unknown`). */
  readonly instanceId: InstanceId;
  /** Seq of the write's first change. */
  readonly firstSeq: number;
  /** Seq of its last change; `0` for a write of nothing (accepted at once). */
  readonly seq: number;
}

/** What the server did with a write, once it has dealt with it. */
export type PushOutcome =
  | { readonly status: 'accepted'; readonly seq: number }
  /** At least one of the write's changes was refused: those are listed, the rest were accepted. */
  | { readonly status: 'refused'; readonly seq: number; readonly refusals: readonly ChangeRefusal[] }
  /**
   * The replica cannot say: its local data were cleared since the write, or its identity
   * was renewed (`INSTANCE_FORBIDDEN`/`INSTANCE_CLONED`: the write is kept and pushed
   * under the new id, where a receipt cannot follow it), or the write was dealt with so
   * long ago that a refusal of it would no longer be kept.
   */
  | { readonly status: 'unknown'; readonly seq: number };

/** How many refusals the replica keeps. */
export const MAX_KEPT_REFUSALS = 500;

/** The note refusals are kept in. */
export const REFUSALS_NOTE = 'refusals';

/** The refusals kept for one instance id, and the highest seq of any dropped to keep the bound. */
export interface KeptRefusals {
  readonly instanceId: InstanceId;
  readonly refusals: readonly ChangeRefusal[];
  readonly forgottenUpTo: number;
}

/** The wire's reasons, as refusal reasons; each is also the code of the refusal's `error` event. */
export const REFUSAL_OF_REJECT = {
  FORBIDDEN: 'FORBIDDEN',
  INVALID: 'INVALID_PAYLOAD',
  CONFLICT: 'CONFLICT',
} as const satisfies Record<RejectReason, RefusalReason & ErrorCode>;

/** The refusals `note` keeps for `instanceId` (none if it is another id's, or no note). */
function keptFor(note: unknown, instanceId: InstanceId): KeptRefusals {
  const kept = note as KeptRefusals | undefined;
  return kept?.instanceId === instanceId && Array.isArray(kept.refusals) ? kept : { instanceId, refusals: [], forgottenUpTo: 0 };
}

/** The refusals of `refusals` within seqs `from`…`upTo`. */
function within(refusals: readonly ChangeRefusal[], from: number, upTo: number): ChangeRefusal[] {
  return refusals.filter((r) => r.seq >= from && r.seq <= upTo);
}

/** `kept` with `added` appended, the oldest dropped past `max`. */
export function keepRefusals(kept: KeptRefusals, added: readonly ChangeRefusal[], max = MAX_KEPT_REFUSALS): KeptRefusals {
  const known = new Set(kept.refusals.map((r) => r.seq));
  // A batch re-sent after a crash may be refused again: keep one entry per seq.
  const all = [...kept.refusals, ...added.filter((r) => !known.has(r.seq))].sort((a, b) => a.seq - b.seq);
  const dropped = all.slice(0, Math.max(0, all.length - max));
  return { ...kept, refusals: all.slice(dropped.length), forgottenUpTo: Math.max(kept.forgottenUpTo, ...dropped.map((r) => r.seq)) };
}

/**
 * The server has dealt with `store`'s changes `from`…`upTo`: keeps the `refusals` among
 * them (one transaction: tabs recording at once lose nothing) and returns the `ack`
 * event, which lists every refusal kept in the range — also those kept by an attempt
 * that crashed before the log was trimmed (the server does not refuse a re-sent batch
 * again).
 */
export async function keepAck(store: LocalStore, from: number, upTo: number, refusals: readonly ChangeRefusal[]): Promise<AckEvent> {
  const { instanceId } = store;
  const added = within(refusals, from, upTo);
  let kept = keptFor(await store.readNote(REFUSALS_NOTE), instanceId);
  if (added.length > 0) await store.updateNote(REFUSALS_NOTE, (note) => (kept = keepRefusals(keptFor(note, instanceId), added)));
  return { from, upTo, refusals: within(kept.refusals, from, upTo) };
}

/** What a replica knows of its writes' fate, read once to settle any number of receipts. */
export interface AckState {
  readonly instanceId: InstanceId;
  /** The seq of the oldest change still waiting; Infinity when none waits. */
  readonly firstPending: number;
  readonly kept: KeptRefusals;
}

/** Reads `store`'s {@link AckState} (its current identity: another tab may have renewed it). */
export async function readAckState(store: LocalStore): Promise<AckState> {
  const [{ instanceId }, [first], note] = await Promise.all([store.identity(), store.pendingChanges(1), store.readNote(REFUSALS_NOTE)]);
  return { instanceId, firstPending: first?.seq ?? Number.POSITIVE_INFINITY, kept: keptFor(note, instanceId) };
}

/** The outcome of `receipt` by `state`, or undefined while some of the write waits in the log. */
export function outcomeOf(state: AckState, receipt: WriteReceipt): PushOutcome | undefined {
  const { seq, firstSeq } = receipt;
  if (receipt.instanceId !== state.instanceId) return { status: 'unknown', seq };
  if (seq === 0) return { status: 'accepted', seq };
  if (seq >= state.firstPending) return undefined;
  const refusals = within(state.kept.refusals, firstSeq, seq);
  if (refusals.length > 0) return { status: 'refused', seq, refusals };
  return { status: firstSeq <= state.kept.forgottenUpTo ? 'unknown' : 'accepted', seq };
}

/** The outcome of `receipt` as `store` knows it now; undefined while some of the write waits. */
export async function readPushOutcome(store: LocalStore, receipt: WriteReceipt): Promise<PushOutcome | undefined> {
  return outcomeOf(await readAckState(store), receipt);
}
