/**
 * The promises a chaos seed must have kept, checked once faults stopped and every
 * replica synced. Each adds to `problems` a sentence for each promise broken.
 *
 * 1. Each replica holds what its view of each collective says (`chaos-shape.ts`):
 *    the server's records where it syncs and may write, nothing outside its
 *    collectives, its own writes where it may not read, the server's records or its
 *    own refused writes where it reads but may not write (the two merged where writes
 *    merge: `chaos-read-only.ts`), and nothing left to push.
 * 2. The server holds no write twice, none nobody made, none altered, none that failed,
 *    and none its writer may not write (`FORBIDDEN` writes are applied nowhere).
 * 3. Every write it may keep is there unless the policy says it was rightly beaten, and
 *    each record holds what the policy predicts.
 * 4. Every receipt reads what the server did: `FORBIDDEN` for each refused change,
 *    never for another, only the policy's refusals besides.
 * 5. The server's applied seq per replica is what the replica saw acknowledged.
 * 6. Every write the engine made for the resolver is an answer the resolver gave, and
 *    the resolver was asked only about real states: one its replica wrote, and a row the
 *    server committed.
 *
 * Nothing is allowed for: the gaps this scenario found (`chaos-findings.test.ts`) are
 * fixed, and a change re-sent after a lost answer must read as its first answer said.
 */
import { readPushOutcome } from '../../src/engine/acks.ts';
import { jsonEqual } from '../../src/engine/conflicts.ts';
import { peerKey } from '../../src/engine/peer-key.ts';
import { canonicalJson } from '../../src/protocol/field-path.ts';
import type { JsonValue, PatchState, RecordState } from '../../src/protocol/types.ts';
import type { ServerRecord } from '../../src/server/types.ts';
import type { LocalStore, RecordEntry } from '../../src/store/types.ts';
import { identity, key, writeKey, type ModelWrite, type WriteModel } from './chaos-model.ts';
import { COLLECTIVES } from './chaos-ops.ts';
import type { ChaosPolicy, ReceiptReading } from './chaos-policies.ts';
import { readOnlyOutcomes } from './chaos-read-only.ts';
import type { ResolverAnswer } from './chaos-resolver.ts';
import type { ChaosServer } from './chaos-server.ts';
import { viewOf, type ReplicaShape } from './chaos-shape.ts';

/** Everything the checks look at. */
export interface EndState {
  readonly policy: ChaosPolicy;
  readonly model: WriteModel;
  readonly answers: readonly ResolverAnswer[];
  readonly server: ChaosServer;
  readonly replicas: readonly { readonly index: number; readonly shape: ReplicaShape; readonly store: LocalStore }[];
}

/** A record as compared: id, value and the timestamp of the write it came from (which names its writer's clock). */
type Held = readonly [id: string, value: unknown, hlc: string];

const heldOfEntry = (entry: RecordEntry): Held => [entry.id, entry.value, entry.hlc];
// A patch (the field policy's) is never the same state as another: its policy judges it (`ChaosPolicy.judge`).
const sameState = (a: RecordState | PatchState, b: RecordState | PatchState) => (a.op === 'put' ? b.op === 'put' && jsonEqual(a.value, b.value) : a.op === 'delete' && b.op === 'delete');
/** Held records alike, whatever order their values' keys were written in (a field-level merge orders them by its own rules). */
const same = (a: Held | readonly Held[] | null, b: Held | readonly Held[] | null) => canonicalJson(a as JsonValue) === canonicalJson(b as JsonValue);
const show = (held: readonly Held[]) => JSON.stringify(held.map(([id, value]) => [id, value]));

/** What the receipts say, by write. */
export interface Readings {
  readonly byWrite: Map<ModelWrite, ReceiptReading>;
  /** Receipts that said `FORBIDDEN`. */
  forbiddenReported: number;
}

/** What each receipt reads, by write. */
export async function readReceipts(state: EndState, problems: string[]): Promise<Readings> {
  const readings: Readings = { byWrite: new Map(), forbiddenReported: 0 };
  for (const { replica, receipt, writes } of state.model.receipts) {
    const store = (state.replicas[replica] as EndState['replicas'][number]).store;
    const outcome = await readPushOutcome(store, receipt);
    if (outcome === undefined) {
      problems.push(`replica ${replica}: the write of seq ${receipt.firstSeq}–${receipt.seq} still waits for the server`);
      continue;
    }
    for (const w of writes) {
      const refusal = outcome.status === 'refused' ? outcome.refusals.find((r) => r.seq === w.seq) : undefined;
      const reading: ReceiptReading = outcome.status === 'unknown' ? 'unknown' : (refusal?.reason ?? 'accepted');
      if (reading === 'FORBIDDEN') readings.forbiddenReported += 1;
      readings.byWrite.set(w, reading);
      const allowed = ['accepted', 'unknown', ...state.policy.refusals];
      if (w.forbidden ? reading !== 'FORBIDDEN' && reading !== 'unknown' : !allowed.includes(reading)) {
        problems.push(`replica ${replica}: the receipt of ${w.key} (seq ${w.seq}, ${w.forbidden ? 'a forbidden write' : 'an allowed write'}) reads ${reading}`);
      }
    }
  }
  return readings;
}

/**
 * 1. Each replica against the server rows and its own writes. Returns how many records
 * a replica still holds as its own refused write made them, unlike the server.
 */
export async function checkReplicas(state: EndState, serverRows: ReadonlyMap<string, ServerRecord>, problems: string[]): Promise<number> {
  let refusedHeld = 0;
  const allowed = state.model.allowedByKey();
  for (const replica of state.replicas) {
    const pending = await replica.store.pendingCount();
    if (pending !== 0) problems.push(`replica ${replica.index}: ${pending} changes never pushed`);
    const own = state.model.latestOwn(replica.index);
    const ownHeld = (collective: string, id: string): Held | null | undefined => {
      const w = own.get(key(collective, id));
      if (w === undefined) return undefined;
      const { madeBy } = state.policy;
      if (madeBy === undefined) return w.state.op === 'put' ? [id, w.state.value, w.hlc] : null;
      // Writes merge (field-level): its own writes make the record (where it reads, see `readOnlyOutcomes`).
      const made = madeBy(state.model.writes.filter((x) => x.replica === replica.index && x.key === w.key));
      return made === null ? null : [id, made.value, made.hlc];
    };
    for (const collective of COLLECTIVES) {
      const view = viewOf(replica.shape, collective);
      const local = (await replica.store.list(collective)).map(heldOfEntry);
      const server: Held[] = [...serverRows.values()]
        .filter((row) => row.collective === collective && row.op === 'put')
        .sort((a, b) => (a.id < b.id ? -1 : 1))
        .map((row) => [row.id, row.value, row.hlc]);
      const says = `replica ${replica.index}, ${collective} (${view})`;
      if (view === 'outside' && local.length > 0) problems.push(`${says}: holds ${show(local)} of a collective it does not sync`);
      if (view === 'synced' && !same(local, server)) problems.push(`${says}: holds ${show(local)}, the server ${show(server)}`);
      if (view === 'own') {
        const expected = [...own.values()].filter((w) => w.collective === collective).map((w) => ownHeld(collective, w.id));
        const wanted = expected.filter((h): h is Held => h !== null && h !== undefined).sort((a, b) => (a[0] < b[0] ? -1 : 1));
        if (!same(local, wanted)) problems.push(`${says}: holds ${show(local)}, its own writes ${show(wanted)}`);
      }
      if (view === 'read-only') {
        const ids = new Set([...local, ...server].map(([id]) => id));
        for (const id of ids) {
          const mine = local.find(([i]) => i === id) ?? null;
          const theirs = server.find(([i]) => i === id) ?? null;
          const asServer = same(mine, theirs);
          const { madeBy } = state.policy;
          if (madeBy !== undefined) {
            // Writes merge: its refused writes merge with the server's, as `readOnlyOutcomes` says.
            const record = key(collective, id);
            const outcomes = readOnlyOutcomes(madeBy, allowed.get(record) ?? [], state.model.writes.filter((w) => w.replica === replica.index && w.key === record));
            const held = outcomes.map((o): Held | null => (o === null ? null : [id, o.value, o.hlc]));
            if (!held.some((h) => same(mine, h))) problems.push(`${says}: holds ${JSON.stringify(mine)} for ${id}, the server ${JSON.stringify(theirs)}; with its own refused writes it may hold only ${JSON.stringify(held)}`);
            else if (!asServer) refusedHeld += 1;
            continue;
          }
          // Whole records: the server's state, or its own latest write (refused) where that still stands.
          const ownLatest = ownHeld(collective, id);
          const asOwn = ownLatest !== undefined && same(mine, ownLatest);
          if (!asServer && !asOwn) problems.push(`${says}: holds ${JSON.stringify(mine)} for ${id}, the server ${JSON.stringify(theirs)}, its own latest write ${JSON.stringify(ownLatest)}`);
          if (!asServer && asOwn) refusedHeld += 1;
        }
      }
    }
  }
  return refusedHeld;
}

/** 2, 3. The server's commits against the model. */
export function checkServer(state: EndState, serverRows: ReadonlyMap<string, ServerRecord>, readings: Readings, problems: string[]): void {
  const { model, policy } = state;
  if (policy.checkServer !== undefined) return policy.checkServer(state, serverRows, problems);
  const made = new Map(model.writes.map((w) => [writeKey(w, w.key), w]));
  const seen = new Set<string>();
  const committedByKey = new Map<string, ServerRecord[]>();
  for (const row of state.server.committed) {
    const record = key(row.collective, row.id);
    committedByKey.set(record, [...(committedByKey.get(record) ?? []), row]);
    const id = writeKey(row, record);
    if (seen.has(id)) problems.push(`${record}: the write ${identity(row)} was applied twice`);
    seen.add(id);
    const w = made.get(id);
    if (w === undefined) problems.push(`${record}: the server holds a write nobody made (${identity(row)})`);
    else if (w.forbidden) problems.push(`${record}: the server applied the write ${identity(row)}, which its writer may not make (FORBIDDEN)`);
    else if (!sameState(w.state, row)) problems.push(`${record}: the server changed the write ${identity(row)} to ${JSON.stringify(row)}`);
    if (model.failed.some((failed) => sameState(failed, row) && row.op === 'put')) problems.push(`${record}: a write that failed reached the server (${JSON.stringify(row.value)})`);
  }
  const allowed = model.allowedByKey();
  for (const [record, writes] of allowed) {
    const row = serverRows.get(record);
    if (row === undefined) {
      problems.push(`${record}: written ${writes.length} times, missing on the server`);
      continue;
    }
    const rows = committedByKey.get(record) ?? [];
    for (const w of writes) {
      if (seen.has(writeKey(w, w.key))) continue;
      const reading = readings.byWrite.get(w);
      if (policy.superseded(w, rows, reading)) continue;
      problems.push(`${record}: the write ${JSON.stringify(w.state)} (${identity(w)}, by ${w.by}, receipt ${reading ?? 'none'}) is lost`);
    }
    const expected = policy.expected(writes);
    if (expected !== undefined) {
      const wrongWriter = expected.writer !== undefined && identity(expected.writer) !== identity(row);
      if (wrongWriter || !sameState(expected.state, row)) {
        problems.push(`${record}: ${policy.name} kept ${identity(row)} ${JSON.stringify(row.value)}, the model expects ${expected.writer === undefined ? '' : identity(expected.writer)} ${JSON.stringify(expected.state)}`);
      }
    }
  }
  if (serverRows.size !== allowed.size) problems.push(`the server has ${serverRows.size} records, the allowed writes touched ${allowed.size}`);
}

/** 5. Applied seqs against pushed cursors. */
export async function checkAppliedSeqs(state: EndState, problems: string[]): Promise<void> {
  const store = state.server.store;
  const peerOf = (shape: ReplicaShape) => peerKey(serverId, shape.collectives);
  const serverId = await store.serverId();
  for (const replica of state.replicas) {
    const applied = await store.transaction((tx) => tx.getAppliedSeq(state.server.appliedSeqKeyOf(replica.shape, replica.store.instanceId)));
    const acked = await replica.store.pushCursor(peerOf(replica.shape));
    if (applied !== acked) problems.push(`replica ${replica.index}: the server applied up to seq ${applied}, the replica saw ${acked} acknowledged`);
  }
}

/** 6. Resolver writes against its answers, and its questions against the writes. */
export function checkResolverWrites(state: EndState, problems: string[]): void {
  const committed = new Set(state.server.committed.map((row) => writeKey(row, key(row.collective, row.id))));
  for (const answer of state.answers) {
    if (answer.remote !== null && !committed.has(writeKey(answer.remote, answer.key))) {
      problems.push(`replica ${answer.replica}: the resolver was asked about ${answer.key} against ${identity(answer.remote)}, which the server never committed`);
    }
    const wrote = state.model.writes.some((w) => w.replica === answer.replica && w.key === answer.key && sameState(w.state, answer.local));
    if (!wrote) problems.push(`replica ${answer.replica}: the resolver was asked about ${answer.key} with a local state ${JSON.stringify(answer.local)} the replica never wrote`);
  }
  for (const w of state.model.writes) {
    if (w.by !== 'resolver') continue;
    const answered = state.answers.some((a) => a.replica === w.replica && a.key === w.key && sameState(a.state, w.state));
    if (!answered) problems.push(`replica ${w.replica}: the engine wrote ${JSON.stringify(w.state)} to ${w.key} for the resolver, which never answered that`);
  }
}
