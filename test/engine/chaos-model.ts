/**
 * What the chaos scenario remembers of every write, to judge the end state against:
 * each change any replica logged (the app's writes and those a conflict resolver made
 * inside the engine), with who made it, whether its writer may write there at all, and
 * the receipt of each app write.
 */
import type { WriteReceipt } from '../../src/engine/acks.ts';
import { recordState } from '../../src/protocol/record-state.ts';
import type { PatchState, RecordKey, RecordState, SyncChange } from '../../src/protocol/types.ts';
import type { LocalStore, LocalWrite, LocalWriteOptions } from '../../src/store/types.ts';

/** One logged change as the model remembers it; `source` + `hlc` identify it on the server. */
export interface ModelWrite {
  /** `collective/id`. */
  readonly key: string;
  readonly collective: string;
  readonly id: string;
  /** Index of the replica that wrote it. */
  readonly replica: number;
  readonly source: string;
  readonly hlc: string;
  readonly seq: number;
  /** What it wrote: a whole record, or some fields (a patch, under the field policy). */
  readonly state: RecordState | PatchState;
  /** The app, or the engine settling a conflict with the custom resolver. */
  readonly by: 'app' | 'resolver';
  /** Its writer may not write the collective: the server must refuse it `FORBIDDEN`. */
  readonly forbidden: boolean;
}

/** A change as a replica logged it (its base aside). */
type LoggedChange = RecordKey & (RecordState | PatchState) & Pick<SyncChange, 'seq' | 'source' | 'hlc'>;

/** An app write and its receipt, to ask `whenPushed`'s question at the end. */
export interface ModelReceipt {
  readonly replica: number;
  readonly receipt: WriteReceipt;
  readonly writes: readonly ModelWrite[];
}

export const key = (collective: string, id: string): string => `${collective}/${id}`;
export const identity = (w: { readonly source: string; readonly hlc: string }): string => `${w.source}@${w.hlc}`;
/** One write of one record: its source, its timestamp and the record. */
export const writeKey = (w: { readonly source: string; readonly hlc: string }, record: string): string => `${identity(w)}#${record}`;

/** Last-write-wins order: the later HLC, ties broken by the source's instance id. */
export function later(a: { readonly hlc: string; readonly source: string }, b: { readonly hlc: string; readonly source: string }): boolean {
  return a.hlc > b.hlc || (a.hlc === b.hlc && a.source > b.source);
}

/** Every write of a scenario, and what the model derives from them. */
export class WriteModel {
  readonly writes: ModelWrite[] = [];
  readonly receipts: ModelReceipt[] = [];
  /** Values of writes that failed (a crash): they must not show up anywhere. */
  readonly failed: RecordState[] = [];

  constructor(private readonly mayWrite: (replica: number, collective: string) => boolean) {}

  /** Remembers the changes one `write()` logged; returns them as model writes. */
  logged(replica: number, changes: readonly LoggedChange[], by: ModelWrite['by']): ModelWrite[] {
    const made = changes.map(
      (change): ModelWrite => ({
        key: key(change.collective, change.id),
        collective: change.collective,
        id: change.id,
        replica,
        source: change.source,
        hlc: change.hlc,
        seq: change.seq,
        state: change.op === 'patch' ? { op: 'patch', fields: change.fields } : recordState(change),
        by,
        forbidden: !this.mayWrite(replica, change.collective),
      }),
    );
    this.writes.push(...made);
    return made;
  }

  /** Writes the server may keep, by record. */
  allowedByKey(): Map<string, ModelWrite[]> {
    const byKey = new Map<string, ModelWrite[]>();
    for (const w of this.writes) if (!w.forbidden) byKey.set(w.key, [...(byKey.get(w.key) ?? []), w]);
    return byKey;
  }

  /**
   * The latest write a replica made to each record: the last one logged, in the order the
   * replica's write transactions committed (not by seq: a fresh identity numbers its
   * changes from 1 again).
   */
  latestOwn(replica: number): Map<string, ModelWrite> {
    const latest = new Map<string, ModelWrite>();
    for (const w of this.writes) if (w.replica === replica) latest.set(w.key, w);
    return latest;
  }
}

/**
 * `store`, with every `write()` through it remembered as the resolver's: the engine
 * writes a resolution as a new local change (see `src/engine/conflicts.ts`), and the
 * model must know it to tell it from a write nobody made.
 */
export function recordingEngineWrites(store: LocalStore, model: WriteModel, replica: number): LocalStore {
  return new Proxy(store, {
    get(target, property) {
      if (property === 'write') {
        return async (writes: readonly LocalWrite[], options?: LocalWriteOptions) => {
          const changes = await target.write(writes, options);
          model.logged(replica, changes, 'resolver');
          return changes;
        };
      }
      const value: unknown = Reflect.get(target, property, target);
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  });
}
