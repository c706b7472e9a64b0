/**
 * Part: the replica alone (`openReplica` in the page: no worker, no Comlink, no
 * network), to separate what the store costs from what the client around it adds.
 */
import { openReplica } from '../../src/store/index.ts';
import { benchRecords } from '../../tools/records.ts';
import { deleteDb, freshName } from './plain-idb.ts';
import { pulledChange, timedBatches } from './rows.ts';

/** `putMany` of `count` records into a fresh replica; ms. */
export async function replicaPutMany(options: { count: number; bytes: number }): Promise<number> {
  const name = freshName('replica-putmany');
  const replica = await openReplica({ name });
  const records = benchRecords(options.count, options.bytes);
  const start = performance.now();
  await replica.putMany(records);
  const ms = performance.now() - start;
  replica.close();
  await deleteDb(name);
  return ms;
}

/** `count` awaited `put`s into a fresh replica; ms. */
export async function replicaPutOne(options: { count: number; bytes: number }): Promise<number> {
  const name = freshName('replica-putone');
  const replica = await openReplica({ name });
  const records = benchRecords(options.count, options.bytes);
  const start = performance.now();
  for (const r of records) await replica.put(r.collective, r.id, r.value);
  const ms = performance.now() - start;
  replica.close();
  await deleteDb(name);
  return ms;
}

/** `applyRemote` of `count` pulled changes in feed batches of `batch` with their cursor; ms of the applies. */
export async function replicaApply(options: { count: number; bytes: number; batch: number; collective: string }): Promise<number> {
  const name = freshName('replica-apply');
  const replica = await openReplica({ name });
  const ms = await timedBatches(
    options.count,
    options.batch,
    (from, size) => Array.from({ length: size }, (_, k) => pulledChange(from + k, options.bytes, options.collective)),
    async (batch, from, to) => {
      await replica.applyRemote(batch, { policy: 'last-write-wins', cursor: { peer: 'bench', from, to } });
    },
  );
  replica.close();
  await deleteDb(name);
  return ms;
}
