/**
 * Section 10: bytes on the wire of a field-level edit (issue 14). One field of a ~2 KB
 * record changed, under `field-last-write-wins`: pushed as a `patch` (the subject)
 * against the same change pushed as a `put` of the whole record (the reference). The
 * figure is the JSON body of the push request as `httpTransport` sends it (uncompressed),
 * over the engine's own push (SyncManager, a memory replica, the memory server).
 *
 * Said plainly beside it: the other device's pull of the edited record. The feed is
 * compacted (one row per record, whole), so a pull brings the whole merged record
 * either way, and a field-level record carries its stamps too: a patch saves bytes on
 * the way up, not on the way down.
 */
import { SyncManager } from '../../src/engine/sync-manager.ts';
import type { JsonValue } from '../../src/protocol/types.ts';
import { createSyncServer } from '../../src/server/sync-server.ts';
import { memoryServerStore } from '../../src/server/stores/memory-server-store.ts';
import { fieldStore } from '../../src/store/field-seam.ts';
import { memoryDatabases, memoryReplica } from '../../src/store/memory-replica.ts';
import { memoryTransport } from '../../src/transport/memory-transport.ts';
import { wrapTransport } from '../../src/transport/wrap-transport.ts';
import { comparisonNotes, comparisonRows, type SectionReport } from '../lib/report.ts';
import { runRounds, type Comparison, type Sample } from '../lib/rounds.ts';
import { freshName, type Section, type SectionContext } from '../lib/section.ts';

const COLLECTIVE = 'docs';
const CONFIG = { conflictResolution: 'field-last-write-wins' } as const;

/** A record of about 2 KB of JSON, with one small field to edit (`status`). */
function record(status: string): { [key: string]: JsonValue } {
  return {
    title: 'Quarterly report',
    status,
    owner: 'ada@example.com',
    tags: ['finance', 'q3', 'draft'],
    body: 'Lorem ipsum dolor sit amet, consectetur adipiscing elit. '.repeat(34),
  };
}

/** Bytes of `value` as JSON text, as a request or answer body. */
const jsonBytes = (value: unknown): number => Buffer.byteLength(JSON.stringify(value));

/**
 * One run: a writer and a reader device over a fresh server, both holding the record;
 * the writer changes `status` by `how`; returns the bytes of the writer's push, and of
 * the reader's pull of the change as a side figure.
 */
async function edit(how: 'patch' | 'put'): Promise<Sample> {
  const server = createSyncServer({ store: memoryServerStore() });
  const databases = memoryDatabases();
  const pushes: number[] = [];
  const pulls: number[] = [];
  const device = async (counted: number[], operation: 'push' | 'pull') => {
    const replica = fieldStore(await memoryReplica({ name: freshName(`patch-bytes-${operation}`), databases }), 'bench');
    const transport = wrapTransport(memoryTransport(server), {
      async call(call) {
        const response = await call.send();
        if (call.operation === operation) counted.push(operation === 'push' ? jsonBytes(call.request) : jsonBytes(response));
        return response;
      },
    });
    return { replica, sync: new SyncManager(replica, transport, CONFIG) };
  };
  const writer = await device(pushes, 'push');
  const reader = await device(pulls, 'pull');
  await writer.replica.put(COLLECTIVE, 'r', record('open'));
  await writer.sync.syncOnce();
  await reader.sync.syncOnce();
  pushes.length = 0;
  pulls.length = 0;
  if (how === 'patch') await writer.replica.patch(COLLECTIVE, 'r', { status: 'done' });
  else await writer.replica.put(COLLECTIVE, 'r', record('done'));
  await writer.sync.syncOnce();
  await reader.sync.syncOnce();
  const held = (await reader.replica.get(COLLECTIVE, 'r'))?.value;
  if (JSON.stringify(held) !== JSON.stringify(record('done'))) throw new Error(`the reader holds ${JSON.stringify(held)?.slice(0, 80)}…, not the edited record`);
  const sum = (xs: readonly number[]): number => xs.reduce((a, b) => a + b, 0);
  return {
    value: sum(pushes),
    side: { pull: sum(pulls) },
    info: `record ${jsonBytes(record('done'))} B of JSON; ${pushes.length} push request(s); the other device's pull answer ${sum(pulls)} B`,
  };
}

async function runPatchBytes(ctx: SectionContext): Promise<SectionReport[]> {
  const comparison: Comparison = {
    label: 'patch of one field of a ~2 KB record: push request body',
    unit: 'B',
    better: 'lower',
    subject: { label: 'patch of one field of a ~2 KB record: push request body', run: () => edit('patch') },
    side: [{ key: 'pull', label: 'the other device’s pull answer bringing it (record and stamps)', unit: 'B' }],
    references: [{ label: 'put of the whole record, the same field changed: push request body', role: 'part', target: 1.01, run: () => edit('put') }],
    note: 'target: fewer bytes than the put (ratio above 1); the pull brings the whole record either way (the feed is compacted)',
  };
  // Bytes do not wait on the machine: no settling between runs.
  const outcome = await runRounds({ section: 'patch bytes', rounds: ctx.rounds, comparisons: [comparison], budget: ctx.budget, log: ctx.log, settle: async () => undefined });
  return [
    {
      title: '10 Patch bytes: one field of a ~2 KB record pushed as a patch vs a put (field-last-write-wins)',
      rows: outcome.results.flatMap(comparisonRows),
      notes: [
        'bytes: the JSON body httpTransport sends (uncompressed); the engine, a memory replica and the memory server, as in an app',
        ...outcome.results.flatMap(comparisonNotes),
      ],
      rounds: { run: outcome.roundsRun, asked: outcome.roundsAsked },
      results: outcome.results,
    },
  ];
}

/** Section 10. */
export const patchBytesSection: Section = { key: 'patch', title: '10 Patch bytes', minutes: 2, run: runPatchBytes };
