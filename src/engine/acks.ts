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
 * already kept), with the replica's default durability.
 *
 * A `last-write-wins` change that the server's newer record beat is dealt with, not
 * refused: it reads as accepted (the `conflict` event says it lost).
 */
import type { RejectReason, InstanceId } from '../protocol/types.ts';
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
   * The replica cannot say: its local data were cleared since the write, or the write was
   * dealt with so long ago that a refusal of it would no longer be kept.
   */
  | { readonly status: 'unknown'; readonly seq: number };

/** How many refusals the replica keeps. */
export const MAX_KEPT_REFUSALS = 500;

/** The note refusals are kept in. */
export const REFUSALS_NOTE = 'refusals';

/** The kept refusals, and the highest seq of any refusal dropped to keep the bound. */
export interface KeptRefusals {
  readonly refusals: readonly ChangeRefusal[];
  readonly forgottenUpTo: number;
}

const NONE_KEPT: KeptRefusals = { refusals: [], forgottenUpTo: 0 };

/** The wire's reasons, as refusal reasons. */
export const REFUSAL_OF_REJECT: Readonly<Record<RejectReason, RefusalReason>> = {
  FORBIDDEN: 'FORBIDDEN',
  INVALID: 'INVALID_PAYLOAD',
  CONFLICT: 'CONFLICT',
};

function isKept(value: unknown): value is KeptRefusals {
  if (typeof value !== 'object' || value === null) return false;
  const { refusals, forgottenUpTo } = value as Partial<Record<keyof KeptRefusals, unknown>>;
  return Array.isArray(refusals) && typeof forgottenUpTo === 'number';
}

/** `kept` with `added` appended, the oldest dropped past {@link MAX_KEPT_REFUSALS}. */
export function keepRefusals(kept: KeptRefusals, added: readonly ChangeRefusal[], max = MAX_KEPT_REFUSALS): KeptRefusals {
  const known = new Set(kept.refusals.map((r) => r.seq));
  // A batch re-sent after a crash may be refused again: keep one entry per seq.
  const all = [...kept.refusals, ...added.filter((r) => !known.has(r.seq))].sort((a, b) => a.seq - b.seq);
  const dropped = all.slice(0, Math.max(0, all.length - max));
  const forgottenUpTo = Math.max(kept.forgottenUpTo, ...dropped.map((r) => r.seq));
  return { refusals: all.slice(dropped.length), forgottenUpTo };
}

/** The refusals `store` keeps. */
export async function readKeptRefusals(store: LocalStore): Promise<KeptRefusals> {
  const note = await store.readNote(REFUSALS_NOTE);
  return isKept(note) ? note : NONE_KEPT;
}

/** Keeps `refusals` in `store` (one transaction: tabs recording at once lose nothing). */
export async function recordRefusals(store: LocalStore, refusals: readonly ChangeRefusal[]): Promise<void> {
  if (refusals.length === 0) return;
  await store.updateNote(REFUSALS_NOTE, (current) => keepRefusals(isKept(current) ? current : NONE_KEPT, refusals));
}

/** The refusals among `refusals` of the changes a receipt covers. */
function refusalsOf(receipt: Pick<WriteReceipt, 'firstSeq' | 'seq'>, refusals: readonly ChangeRefusal[]): ChangeRefusal[] {
  return refusals.filter((r) => r.seq >= receipt.firstSeq && r.seq <= receipt.seq);
}

/**
 * The outcome of `receipt` as an `ack` event tells it, or undefined when the event does
 * not settle it: the write is not dealt with yet, or part of it was dealt with before
 * `ack.from` (an earlier event, which this listener may have missed: ask the replica).
 */
export function outcomeFromAck(receipt: WriteReceipt, ack: AckEvent): PushOutcome | undefined {
  if (receipt.seq > ack.upTo || receipt.firstSeq < ack.from) return undefined;
  const refusals = refusalsOf(receipt, ack.refusals);
  return refusals.length === 0 ? { status: 'accepted', seq: receipt.seq } : { status: 'refused', seq: receipt.seq, refusals };
}

/**
 * The outcome of `receipt` as the replica knows it now, or undefined while the server
 * has not dealt with all of the write (some of it is still in the change log).
 */
export async function readPushOutcome(store: LocalStore, receipt: WriteReceipt): Promise<PushOutcome | undefined> {
  if (receipt.instanceId !== store.instanceId) return { status: 'unknown', seq: receipt.seq };
  if (receipt.seq === 0) return { status: 'accepted', seq: 0 };
  const [first] = await store.pendingChanges(1);
  if (first !== undefined && first.seq <= receipt.seq) return undefined;
  const kept = await readKeptRefusals(store);
  const refusals = refusalsOf(receipt, kept.refusals);
  if (refusals.length > 0) return { status: 'refused', seq: receipt.seq, refusals };
  return receipt.firstSeq <= kept.forgottenUpTo ? { status: 'unknown', seq: receipt.seq } : { status: 'accepted', seq: receipt.seq };
}

/**
 * Keeps the refusals of one manager's pushes and tells its `ack` events. It reads the
 * kept refusals once, so that an event lists the refusals of its whole range, including
 * those a crashed leader kept before it could drop the batch from the log (the server
 * then acknowledges the re-sent batch without refusing it again).
 */
export class AckBook {
  readonly #store: LocalStore;
  readonly #emit: (ack: AckEvent) => void;
  #kept: Promise<KeptRefusals> | undefined;

  /** Keeps refusals in `store`; `emit` hears each `ack` event. */
  constructor(store: LocalStore, emit: (ack: AckEvent) => void) {
    this.#store = store;
    this.#emit = emit;
  }

  /** Keeps `refusals` (before the batch leaves the log). */
  async record(refusals: readonly ChangeRefusal[]): Promise<void> {
    const kept = await this.#read();
    if (refusals.length === 0) return;
    await recordRefusals(this.#store, refusals);
    this.#kept = Promise.resolve(keepRefusals(kept, refusals));
  }

  /** Changes `from`…`upTo` have left the log: tells the `ack` event. */
  async acknowledged(from: number, upTo: number): Promise<void> {
    const kept = await this.#read();
    this.#emit({ from, upTo, refusals: refusalsOf({ firstSeq: from, seq: upTo }, kept.refusals) });
  }

  #read(): Promise<KeptRefusals> {
    this.#kept ??= readKeptRefusals(this.#store).catch((error: unknown) => {
      this.#kept = undefined; // read again next time
      throw error;
    });
    return this.#kept;
  }
}
