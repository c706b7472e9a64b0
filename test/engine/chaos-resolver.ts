/**
 * The custom conflict resolver some chaos seeds run with, and a log of what it answered
 * so the checks can tell that the engine wrote exactly its answers.
 *
 * "An edit beats a delete; of two edits, the higher counter, marked merged": a
 * deterministic function of the two states, so every replica asked about the same
 * conflict answers the same, and answers `local`, `remote` and merged values alike.
 */
import type { ConflictResolution, ConflictResolver } from '../../src/engine/types.ts';
import type { RecordState } from '../../src/protocol/types.ts';
import { key } from './chaos-model.ts';
import type { ChaosValue } from './chaos-ops.ts';

/** The state a resolver's answer leaves the record in. */
export interface ResolverAnswer {
  readonly replica: number;
  readonly key: string;
  readonly outcome: 'local' | 'remote' | 'merged';
  readonly state: RecordState;
  /** What it was asked about: the replica's state and the server's write (null: none). */
  readonly local: RecordState;
  readonly remote: { readonly source: string; readonly hlc: string } | null;
}

/** The value a merge of two puts makes: the one with the higher counter (ties: the higher name), marked. */
export function mergeByCounter(a: ChaosValue, b: ChaosValue): ChaosValue {
  const higher = a.n > b.n || (a.n === b.n && a.w > b.w) ? a : b;
  return { w: higher.w, n: higher.n, merged: true };
}

/** The resolution of one conflict. */
export function resolveByCounter(local: RecordState, remote: RecordState | null): ConflictResolution {
  const remotePut = remote !== null && remote.op === 'put';
  if (local.op === 'put' && remotePut) return { value: { ...mergeByCounter(local.value as unknown as ChaosValue, remote.value as unknown as ChaosValue) } };
  return local.op === 'put' ? 'local' : 'remote';
}

/** The resolver for replica `replica`, noting each answer in `answers`. */
export function chaosResolver(replica: number, answers: ResolverAnswer[]): ConflictResolver {
  return ({ collective, id, local, remote }) => {
    const resolution = resolveByCounter(local, remote);
    const state: RecordState =
      resolution === 'local'
        ? local
        : resolution === 'remote'
          ? remote === null || remote.op === 'delete'
            ? { op: 'delete' }
            : { op: 'put', value: remote.value }
          : 'value' in resolution
            ? { op: 'put', value: resolution.value }
            : { op: 'delete' };
    const outcome = typeof resolution === 'string' ? resolution : 'merged';
    answers.push({ replica, key: key(collective, id), outcome, state, local, remote: remote === null ? null : { source: remote.source, hlc: remote.hlc } });
    return resolution;
  };
}
