/**
 * The replica alone (`openReplica`, no worker, no Comlink, no network), in the page:
 * separates what the store costs from what the client around it adds.
 */
import { deleteDB } from 'idb';
import { openReplica } from '../../src/store/index.ts';
import type { PulledChange } from '../../src/protocol/types.ts';
import { benchRecords } from '../../tools/records.ts';
import { pulledShape } from './limits.ts';

let counter = 0;
const fresh = (what: string): string => `replica-${what}-${Date.now()}-${counter++}`;

/** `putMany` of `count` records into a fresh replica; ms. */
export async function replicaPutMany(options: { count: number; bytes: number }): Promise<number> {
  const name = fresh('putmany');
  const replica = await openReplica({ name });
  const records = benchRecords(options.count, options.bytes);
  const start = performance.now();
  await replica.putMany(records);
  const ms = performance.now() - start;
  replica.close();
  await deleteDB(name);
  return ms;
}

/** `count` awaited `put`s into a fresh replica; ms. */
export async function replicaPutOne(options: { count: number; bytes: number }): Promise<number> {
  const name = fresh('putone');
  const replica = await openReplica({ name });
  const records = benchRecords(options.count, options.bytes);
  const start = performance.now();
  for (const r of records) await replica.put(r.collective, r.id, r.value);
  const ms = performance.now() - start;
  replica.close();
  await deleteDB(name);
  return ms;
}

/** `applyRemote` of `count` pulled changes in feed batches of `batch` with their cursor; ms. */
export async function replicaApply(options: { count: number; bytes: number; batch: number }): Promise<number> {
  const name = fresh('apply');
  const replica = await openReplica({ name });
  const changes = pulledShape(benchRecords(options.count, options.bytes)) as PulledChange[];
  const start = performance.now();
  for (let from = 0; from < changes.length; from += options.batch) {
    const batch = changes.slice(from, from + options.batch);
    await replica.applyRemote(batch, { policy: 'last-write-wins', cursor: { peer: 'bench', from, to: from + batch.length } });
  }
  const ms = performance.now() - start;
  replica.close();
  await deleteDB(name);
  return ms;
}
