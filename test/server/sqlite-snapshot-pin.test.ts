/**
 * A read worker's snapshot (src/server/stores/sqlite/snapshot-pin.ts) holds flushed
 * commits only: it keeps the snapshot before a commit being flushed, and a snapshot
 * fixed while a commit is in flight waits for that commit's flush. Driven here in one
 * thread, on two connections to one file, with the writer's counts made by hand and the
 * worker's waits recorded instead of blocking.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { commitMarks, type CommitMarks, type FlushWait } from '../../src/server/stores/sqlite/commit-marks.ts';
import { snapshotPin } from '../../src/server/stores/sqlite/snapshot-pin.ts';
import { openDatabase } from '../../src/server/stores/sqlite/sqlite-database.ts';

let dir: string;
let writer: Database.Database;
let reader: Database.Database;
let marks: CommitMarks;
/** The flushed counts the worker waited for, and what each wait found. */
let waits: number[];
let found: FlushWait;
let checkpointWaits: number;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'pulsesync-pin-'));
  writer = openDatabase(join(dir, 'pin.db'));
  writer.exec('CREATE TABLE notes (id TEXT PRIMARY KEY)');
  reader = openDatabase(join(dir, 'pin.db'));
  const shared = commitMarks();
  waits = [];
  found = 'flushed';
  checkpointWaits = 0;
  marks = {
    ...shared,
    awaitFlushed: (count) => (waits.push(count), found),
    awaitCheckpointed: () => {
      checkpointWaits++;
      shared.checkpointing(false);
    },
  };
});

afterEach(() => {
  reader.close();
  writer.close();
  rmSync(dir, { recursive: true, force: true });
});

/** A commit of note `id` by the writer, counted as the store counts it; flushed unless told. */
function commit(id: string, flushed = true): void {
  writer.exec('BEGIN IMMEDIATE');
  writer.prepare('INSERT INTO notes VALUES (?)').run(id);
  marks.starting();
  writer.exec('COMMIT');
  if (flushed) marks.flushed();
}

const notes = (): string[] => reader.prepare<[], string>('SELECT id FROM notes ORDER BY id').pluck().all();

describe("A read worker's snapshot", () => {
  it('keeps the snapshot before a commit being flushed, and moves on once the flush has ended', () => {
    const snapshot = snapshotPin(reader, marks, () => undefined);
    commit('a');
    snapshot.pin();
    expect(notes()).toEqual(['a']);
    expect(snapshot.kept).toBe(true);
    commit('b', false);
    snapshot.pin();
    expect(notes()).toEqual(['a']);
    marks.flushed();
    snapshot.pin();
    expect(notes()).toEqual(['a', 'b']);
    // No wait beyond what was flushed when each snapshot was fixed.
    expect(waits).toEqual([1, 2]);
  });

  it('fixed while a commit is in flight, waits for its flush and serves one page from it', () => {
    const snapshot = snapshotPin(reader, marks, () => undefined);
    commit('a');
    commit('b', false);
    snapshot.pin();
    expect(waits).toEqual([2]);
    expect(notes()).toEqual(['a', 'b']);
    expect(snapshot.kept).toBe(false);
    snapshot.release();
    expect(reader.inTransaction).toBe(false);
  });

  it('holds none while the writer checkpoints, saying so, and takes one after', () => {
    let lettingGo = 0;
    const snapshot = snapshotPin(reader, marks, () => lettingGo++);
    commit('a');
    snapshot.pin();
    marks.checkpointing(true);
    expect(snapshot.kept).toBe(false);
    snapshot.pin();
    expect([lettingGo, checkpointWaits]).toEqual([1, 1]);
    expect(notes()).toEqual(['a']);
  });

  it('fails once the store broke or closed', () => {
    const snapshot = snapshotPin(reader, marks, () => undefined);
    found = 'broken';
    expect(() => snapshot.pin()).toThrow(expect.objectContaining({ code: 'INTERNAL' }));
    found = 'closed';
    expect(() => snapshot.pin()).toThrow(expect.objectContaining({ code: 'SHUTDOWN' }));
  });
});

describe("The writer's counts", () => {
  it('wake a waiting reader once a commit is flushed, and say when the store broke', () => {
    const shared = commitMarks();
    shared.starting();
    shared.flushed();
    expect(shared.awaitFlushed(1)).toBe('flushed');
    shared.end('broken');
    shared.starting();
    expect(shared.awaitFlushed(2)).toBe('broken');
  });
});
