/**
 * The demo's collections, declared once for its sync client: todos (checked by a
 * valibot schema, ordered by an index on `createdAt`) and the archived notes the seed
 * button writes (read page by page, in id order).
 */
import * as v from 'valibot';
import type { CollectionPage, CollectionRecord, CollectionsClient } from 'pulsesync';
// From pulsesync/client: the demo brings its own worker (demo-worker.ts, given
// workerCollections), so its build needs no prebuilt collections worker.
import { defineCollections } from 'pulsesync/client';

/** A todo as stored: the schema every write is checked against. */
export const TodoValue = v.object({
  title: v.pipe(v.string(), v.trim(), v.minLength(1), v.maxLength(200)),
  done: v.boolean(),
  /** Epoch ms; orders the list (through the `createdAt` index). */
  createdAt: v.number(),
  /** Which device wrote this state, and when. */
  updatedBy: v.string(),
  updatedAt: v.number(),
});
export type TodoValue = v.InferOutput<typeof TodoValue>;

/** An archived note, as demo/seed.ts writes it. */
export const NoteValue = v.object({ title: v.string(), body: v.string(), done: v.boolean() });
export type NoteValue = v.InferOutput<typeof NoteValue>;

/** The collective of the archived notes (demo/seed.ts's SEED_COLLECTIVE). */
export const ARCHIVE = 'archive';

/** What `createSyncClient({ collections })` gets. */
export const demoCollections = defineCollections({
  todos: { schema: TodoValue, indexes: ['createdAt'] },
  [ARCHIVE]: { schema: NoteValue },
});

/** The demo's client type. */
export type DemoSyncClient = CollectionsClient<typeof demoCollections.declared>;

export type { CollectionPage, CollectionRecord };
