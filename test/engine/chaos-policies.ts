/**
 * The conflict policies the chaos scenario runs under, one entry each: how replicas are
 * configured and what the model expects of the server's records. A new policy is one
 * more entry (and, if it has ops of its own, entries in `chaos-ops.ts`); seeds are dealt
 * out over the table in turn.
 */
import type { RefusalReason } from '../../src/engine/acks.ts';
import type { ConflictPolicy, PatchState, RecordState } from '../../src/protocol/types.ts';
import type { ServerRecord } from '../../src/server/types.ts';
import type { ReplicaFields } from '../../src/store/field-seam.ts';
import type { EndState } from './chaos-checks.ts';
import { fieldLastWriteWins } from './chaos-field-policy.ts';
import { later, type ModelWrite } from './chaos-model.ts';
import type { WriteOp } from './chaos-ops.ts';

/** What the server must hold for one record at the end. */
export interface Expectation {
  readonly state: RecordState;
  /** The write whose row it must be, when the policy names one. */
  readonly writer?: { readonly source: string; readonly hlc: string };
}

/** One conflict policy as the scenario runs and judges it. */
export interface ChaosPolicy {
  /** Its name in test titles and in `CHAOS_POLICY`. */
  readonly name: string;
  /** What every replica's engine is configured with. */
  readonly conflictResolution: ConflictPolicy;
  /**
   * What the server must end with for a record, from every write it may keep (the
   * app's and the resolver's), or undefined where the outcome depends on the order the
   * server met them in (then `superseded` alone judges each write).
   */
  expected(writes: readonly ModelWrite[]): Expectation | undefined;
  /** Refusals a receipt of a write the writer may make can read (`FORBIDDEN` is for the others). */
  readonly refusals: readonly RefusalReason[];
  /**
   * A write the server may keep but never committed: was it rightly beaten, given the
   * rows committed for its record and how its receipt reads (undefined: the write has
   * no receipt, as a resolver's)?
   */
  superseded(write: ModelWrite, rows: readonly ServerRecord[], receipt: ReceiptReading | undefined): boolean;
  /** The writes it draws (default `WRITE_OPS`: puts and deletes). */
  readonly ops?: readonly WriteOp[];
  /** Field-level records in every replica (`openReplica`'s `fields`), for a policy that merges. */
  readonly fields?: ReplicaFields;
  /**
   * What a record holds once `writes` alone met (null: no record), for a policy whose
   * writes merge: where a replica keeps its own refused writes, they make its record.
   * Default: its latest write, whole.
   */
  readonly madeBy?: (writes: readonly ModelWrite[]) => { readonly value: unknown; readonly hlc: string } | null;
  /**
   * Its own check of the server's records (2 and 3 of `chaos-checks.ts`), for a policy
   * whose rows are not each one write (a field-level row merges several); `expected`
   * and `superseded` are then not asked.
   */
  readonly checkServer?: (state: EndState, serverRows: ReadonlyMap<string, ServerRecord>, problems: string[]) => void;
}

/** How a write's receipt reads once the server has dealt with it. */
export type ReceiptReading = 'accepted' | 'unknown' | RefusalReason;

/** The state of a write under a whole-record policy, which draws no patches. */
function whole(state: RecordState | PatchState): RecordState {
  if (state.op === 'patch') throw new Error('a patch under a whole-record policy: its ops must not draw patches');
  return state;
}

const lastWriteWins: ChaosPolicy = {
  name: 'last-write-wins',
  conflictResolution: 'last-write-wins',
  expected(writes) {
    const latest = writes.reduce((a, b) => (later(b, a) ? b : a));
    return { state: whole(latest.state), writer: latest };
  },
  refusals: [],
  // A change older than the server's record is dealt with, not refused: its receipt
  // reads accepted, and the conflict event says it lost.
  superseded: (write, rows) => rows.some((row) => later(row, write)),
};

const serverWins: ChaosPolicy = {
  name: 'server-wins',
  conflictResolution: 'server-wins',
  expected: () => undefined,
  refusals: ['CONFLICT'],
  superseded(write, rows, receipt) {
    // Refused as stale: somebody else wrote the record after the change's base.
    if (receipt === 'CONFLICT') return true;
    // Replaced by the writer's own later change of the record, in the same push.
    const replacedByOwn = rows.some((row) => row.source === write.source && later(row, write));
    if (receipt !== undefined) return replacedByOwn;
    // A resolver's write has no receipt: it may have been refused as stale too.
    return replacedByOwn || rows.some((row) => row.source !== write.source);
  },
};

/** Every policy, in the order seeds are dealt out over them. */
export const CHAOS_POLICIES: readonly ChaosPolicy[] = [lastWriteWins, serverWins, fieldLastWriteWins];

/** The policy named `name`; throws naming the known ones. */
export function policyNamed(name: string): ChaosPolicy {
  const found = CHAOS_POLICIES.find((policy) => policy.name === name);
  if (found === undefined) throw new Error(`CHAOS_POLICY=${name} is not a policy (known: ${CHAOS_POLICIES.map((p) => p.name).join(', ')})`);
  return found;
}
