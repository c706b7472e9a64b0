/**
 * Group commit of pushes. Pushes are applied one at a time whatever the store (the
 * SQLite and memory stores queue their transactions, Postgres takes one advisory lock
 * across processes: see `postgres-server-store.ts`), and with 50 clients pushing, each
 * push waited for every one before it, each with its own BEGIN, COMMIT and disk flush,
 * on Postgres each holding a pooled connection while it waited for the lock.
 *
 * So a push does not start its own transaction while another push's runs: it waits,
 * with the others that arrive meanwhile, and when the running one ends, all of them are
 * applied in one transaction, one after another, as if each had its own. What each one
 * sees and does is what it would have seen and done alone in that order (a push sees
 * the writes of those before it in the group), and it gets its own answer.
 *
 * What a failure does:
 * - A push the instance rules refuse (`INSTANCE_FORBIDDEN`, `INSTANCE_CLONED`) is refused
 *   before it writes anything, and by no failed query: it is answered its refusal and the
 *   group goes on.
 * - Anything else (a failed query, a failed commit, a bug) rolls the whole group back,
 *   so nothing of it is stored; then every push of the group is applied again alone, in
 *   its own transaction, and answered what that gives. A push whose group committed
 *   without the server hearing so is acknowledged, not applied twice, as a client's
 *   re-sent batch is (the applied seq and fingerprints commit with the writes).
 *
 * A push that finds nobody to share its transaction with goes the same way, as a group
 * of one: on Postgres, four round trips where the reads of a push alone took three more
 * (its applied seq, its instance record, its records).
 *
 * When no push is being applied, the first to arrive waits for the end of the event
 * loop's turn (a `setImmediate`), so that the pushes that become ready in the same turn
 * go together: the SQLite and memory stores apply a push without ever yielding, so
 * without that wait no push would ever find another waiting, and SQLite would still
 * flush the disk once per push, with the event loop blocked while it does (this was
 * half of the server's time with 200 clients pushing). An idle server adds one turn.
 */
import { ErrorCode, isSyncError, type SyncError } from '../protocol/errors.ts';
import type { InstanceId, PushRequest, PushResponse, RecordKey } from '../protocol/types.ts';
import { isFullAccess, type Access } from './access.ts';
import { applyPush, applyPushIn, appliedSeqKey, pushCursor, type AdmitPush, type AppliedPush } from './apply-push.ts';
import type { PushBounds } from './push-bounds.ts';
import { nextTurn } from './next-turn.ts';
import { pushGroupTrace } from './server-trace.ts';
import { isStorableText } from './storable-text.ts';
import { turnBudget, type TurnBudget } from './turn-budget.ts';
import { readsAhead, type ReadAheadKeys } from './stores/read-ahead.ts';
import { recordKey, type InstanceRecord, type ServerRecord, type ServerStore, type ServerStoreTransaction } from './types.ts';

/** A validated push waiting for its transaction. */
export interface QueuedPush {
  readonly request: PushRequest;
  /** Undefined: full access. */
  readonly access: Access | undefined;
  /** The instance rules' check, in the transaction (see `apply-push.ts`). */
  readonly admit?: AdmitPush;
}

/** How large a group may grow. */
export interface PushGroupLimits {
  /** Most pushes in one transaction. */
  readonly maxPushes: number;
  /** Most changes in one transaction (a larger push still goes, alone). */
  readonly maxChanges: number;
}

/**
 * The defaults: 64 pushes or 10,000 changes (one largest push) per transaction, about
 * what SQLite applies in a few tens of milliseconds.
 */
export const DEFAULT_PUSH_GROUP_LIMITS: PushGroupLimits = { maxPushes: 64, maxChanges: 10_000 };

/** Keys per read of a group's records before its pushes are applied, where the store does not read ahead. */
const PREFETCH_STEP = 1_000;

/**
 * `tx` with what a group will read fetched up front, instead of reads per push: on
 * Postgres each read is a round trip under the push lock, and under load a round trip
 * waits for a turn of a busy event loop (seen: ~10 ms each, 57 of them for a group of 25
 * pushes). A store that reads ahead (see `stores/read-ahead.ts`) reads the records,
 * applied seqs and instance records in one round trip; others have their records read
 * a thousand keys a query, the rest as each push asks. What the group writes replaces
 * what was read, so each push still sees the pushes before it; nobody else writes while
 * the group holds its transaction.
 */
function groupReads(tx: ServerStoreTransaction): { readonly tx: ServerStoreTransaction; prefetch(keys: ReadAheadKeys, budget: TurnBudget): Promise<void> } {
  /** Known rows by key; undefined for a record known not to exist. */
  const known = new Map<string, ServerRecord | undefined>();
  /** Known applied seqs (0: none). */
  const applied = new Map<InstanceId, number>();
  /** Known instance records; undefined for an id known to have none. */
  const instances = new Map<InstanceId, InstanceRecord | undefined>();
  async function read(keys: readonly RecordKey[]): Promise<void> {
    const missing = keys.filter(({ collective, id }) => !known.has(recordKey(collective, id)));
    if (missing.length === 0) return;
    const found = await tx.getRecords(missing);
    for (const { collective, id } of missing) {
      const key = recordKey(collective, id);
      known.set(key, found.get(key));
    }
  }
  return {
    async prefetch(keys, budget) {
      if (readsAhead(tx)) {
        const found = await tx.readAhead(keys);
        for (const { collective, id } of keys.records) {
          const key = recordKey(collective, id);
          known.set(key, found.records.get(key));
        }
        for (const source of keys.sources) applied.set(source, found.appliedSeqs.get(source) ?? 0);
        for (const instanceId of keys.instanceIds) instances.set(instanceId, found.instances.get(instanceId));
        return;
      }
      for (let i = 0; i < keys.records.length; i += PREFETCH_STEP) {
        await budget.pause();
        await read(keys.records.slice(i, i + PREFETCH_STEP));
      }
    },
    tx: {
      ...tx,
      async getRecords(keys) {
        await read(keys);
        const rows = new Map<string, ServerRecord>();
        for (const { collective, id } of keys) {
          const key = recordKey(collective, id);
          const row = known.get(key);
          if (row !== undefined) rows.set(key, row);
        }
        return rows;
      },
      async writeRecords(rows) {
        const written = await tx.writeRecords(rows);
        for (const row of written) known.set(recordKey(row.collective, row.id), row);
        return written;
      },
      async getAppliedSeq(source) {
        return applied.get(source) ?? tx.getAppliedSeq(source);
      },
      async setAppliedSeq(source, seq) {
        await tx.setAppliedSeq(source, seq);
        applied.set(source, seq);
      },
      async getInstance(instanceId) {
        return instances.has(instanceId) ? instances.get(instanceId) : tx.getInstance(instanceId);
      },
      async putInstance(record) {
        await tx.putInstance(record);
        instances.set(record.instanceId, record);
      },
    },
  };
}

/** What the pushes of `group` will read (see {@link groupReads}). */
function groupKeys(group: readonly Waiting[]): ReadAheadKeys {
  return {
    // A key no store can hold is refused before anything reads it (`apply-push.ts`), and must not reach a query.
    records: group.flatMap((entry) =>
      entry.push.request.changes.flatMap(({ collective, id }) => (isStorableText(collective) && isStorableText(id) ? [{ collective, id }] : [])),
    ),
    sources: [...new Set(group.map((entry) => appliedSeqKey(entry.push.request.instanceId, entry.push.access)))],
    instanceIds: [...new Set(group.map((entry) => entry.push.request.instanceId))],
  };
}

/** Pushes applied in groups. */
export interface PushGroups {
  /** Applies `push` in the next group; resolves with its own answer or rejects with its own failure. */
  apply(push: QueuedPush): Promise<PushResponse>;
  /**
   * Resolves once no group is being applied (at once when none is): where a pull waits
   * before its page is read (see `sync-server.ts`). A group's apply phase is its reads
   * and writes before COMMIT; it never waits for the disk.
   */
  applied(): Promise<void>;
}

/** Refusals of the instance rules: thrown by `admit` before its push wrote anything, never by a failed query. */
const REFUSALS: ReadonlySet<string> = new Set([ErrorCode.INSTANCE_FORBIDDEN, ErrorCode.INSTANCE_CLONED]);

interface Waiting {
  readonly push: QueuedPush;
  readonly resolve: (answer: PushResponse) => void;
  readonly reject: (error: unknown) => void;
  /** When it arrived (`performance.now`), for {@link pushGroupTrace}. */
  readonly queuedAt: number;
}

type Outcome = { readonly applied: AppliedPush } | { readonly refused: SyncError };

/** Groups the pushes applied to `store` under `bounds`. */
export function pushGroups(store: ServerStore, bounds: PushBounds, limits: PushGroupLimits = DEFAULT_PUSH_GROUP_LIMITS): PushGroups {
  const waiting: Waiting[] = [];
  let running = false;
  /** Settles when the group being applied now has been (see {@link PushGroups.applied}). */
  let applying: { readonly done: Promise<void>; readonly end: () => void } | undefined;

  /** The next group: the longest run of waiting pushes within the limits, at least one. */
  function nextGroup(): Waiting[] {
    let count = 0;
    let changes = 0;
    while (count < waiting.length && count < limits.maxPushes) {
      const size = (waiting[count] as Waiting).push.request.changes.length;
      if (count > 0 && changes + size > limits.maxChanges) break;
      changes += size;
      count++;
    }
    return waiting.splice(0, count);
  }

  async function alone(entry: Waiting): Promise<void> {
    const { request, access, admit } = entry.push;
    await applyPush(store, request, access, bounds, admit).then(entry.resolve, entry.reject);
  }

  /** Applies one push of a group in `tx`; a refusal of the instance rules is its outcome, anything else fails the group. */
  async function member(tx: ServerStoreTransaction, push: QueuedPush, budget: TurnBudget): Promise<Outcome> {
    let refusal: unknown;
    const admit: AdmitPush | undefined =
      push.admit === undefined
        ? undefined
        : async (t, applied) => {
            try {
              return await (push.admit as AdmitPush)(t, applied);
            } catch (error) {
              refusal = error;
              throw error;
            }
          };
    try {
      return { applied: await applyPushIn(tx, push.request, push.access, bounds, admit, budget) };
    } catch (error) {
      if (error === refusal && isSyncError(error) && REFUSALS.has(error.code)) return { refused: error };
      throw error;
    }
  }

  async function together(group: readonly Waiting[]): Promise<void> {
    const outcomes: Outcome[] = [];
    const fullAccess = group.some((entry) => isFullAccess(entry.push.access));
    /** The latest version as the transaction ended, where the store says so without a read. */
    let latestAtCommit: number | undefined;
    const traced = pushGroupTrace.active;
    const times = { start: traced ? performance.now() : 0, begun: 0, applied: 0 };
    try {
      await store.transaction(async (tx) => {
        if (traced) times.begun = performance.now();
        let end!: () => void;
        applying = { done: new Promise<void>((resolve) => (end = resolve)), end };
        try {
          // One budget for the group: it yields when the group has held the loop long enough, not per push.
          const budget = turnBudget();
          const reads = groupReads(tx);
          await reads.prefetch(groupKeys(group), budget);
          for (const entry of group) {
            await budget.pause();
            outcomes.push(await member(reads.tx, entry.push, budget));
          }
          if (fullAccess && readsAhead(tx)) latestAtCommit = await tx.latestVersion();
        } finally {
          applying = undefined;
          end();
        }
        if (traced) times.applied = performance.now();
      });
      if (traced) {
        pushGroupTrace.publish({
          pushes: group.length,
          changes: group.reduce((sum, entry) => sum + entry.push.request.changes.length, 0),
          waitMs: group.map((entry) => times.start - entry.queuedAt),
          beginMs: times.begun - times.start,
          applyMs: times.applied - times.begun,
          commitMs: performance.now() - times.applied,
        });
      }
    } catch (error) {
      // Rolled back, so none of it is stored: each push again, alone, so that a failure
      // is the failing push's own and the others are applied. A push that was alone
      // already failed on its own.
      if (group.length === 1) return (group[0] as Waiting).reject(error);
      for (const entry of group) await alone(entry);
      return;
    }
    // Committed. Without the latest version no answer can be made: as alone, such a push
    // fails, and its re-sent batch is acknowledged.
    const latest = fullAccess ? (latestAtCommit ?? (await store.latestVersion().catch((error: unknown) => ({ error })))) : 0;
    for (const [i, entry] of group.entries()) {
      const outcome = outcomes[i] as Outcome;
      if ('refused' in outcome) entry.reject(outcome.refused);
      else if (typeof latest !== 'number') entry.reject(latest.error);
      else entry.resolve({ ...outcome.applied.answer, newCursor: pushCursor(entry.push.access, outcome.applied, latest) });
    }
  }

  async function drain(): Promise<void> {
    running = true;
    try {
      await nextTurn(); // gather the pushes of this turn (see the file comment)
      while (waiting.length > 0) {
        const group = nextGroup();
        await together(group);
      }
    } finally {
      running = false;
    }
  }

  return {
    applied: () => applying?.done ?? Promise.resolve(),
    apply(push) {
      return new Promise<PushResponse>((resolve, reject) => {
        waiting.push({ push, resolve, reject, queuedAt: pushGroupTrace.active ? performance.now() : 0 });
        if (!running) void drain();
      });
    },
  };
}
