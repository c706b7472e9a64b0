/**
 * Checks of what callers hand the replica, done before any transaction opens so a bad
 * argument fails with `INVALID_PAYLOAD` and nothing is written.
 */
import { ErrorCode, SyncError } from '../protocol/errors.ts';
import type { ConflictPolicy, PulledChange } from '../protocol/types.ts';
import { assertCollective, assertJsonValue, assertRecordId } from '../protocol/validate.ts';
import { hlcRule, nonEmptyStringRule, opRule, policyRule } from '../protocol/wire-rules.ts';
import type { CursorAdvance, LocalWrite, RecordInput } from './types.ts';
import type { LoggedChange } from './schema.ts';

/** An `INVALID_PAYLOAD` error. */
export function invalid(message: string): SyncError {
  return new SyncError(ErrorCode.INVALID_PAYLOAD, message);
}

/** Fails `INVALID_PAYLOAD` unless `value` is an array. */
export function assertArray(value: unknown, field: string): asserts value is readonly unknown[] {
  if (!Array.isArray(value)) throw invalid(`${field} must be an array`);
}

/**
 * Validates local writes and copies them into change-log form (fresh objects, so extra
 * properties of the caller's objects are not stored).
 */
export function toLoggedChanges(writes: readonly LocalWrite[], field = 'writes'): LoggedChange[] {
  assertArray(writes, field);
  return writes.map((write, i) => {
    const at = `${field}[${i}]`;
    if (typeof write !== 'object' || write === null) throw invalid(`${at} must be an object`);
    assertCollective(write.collective, `${at}.collective`);
    assertRecordId(write.id, `${at}.id`);
    if (write.op === 'delete') return { collective: write.collective, id: write.id, op: 'delete' };
    if (write.op !== 'put') throw invalid(`${at}.op ${opRule.must}`);
    assertJsonValue(write.value, `${at}.value`);
    return { collective: write.collective, id: write.id, op: 'put', value: write.value };
  });
}

/** Validates records for `putMany` and turns them into puts. */
export function recordsToWrites(records: readonly RecordInput[]): LocalWrite[] {
  assertArray(records, 'records');
  return records.map((record, i) => {
    if (typeof record !== 'object' || record === null) throw invalid(`records[${i}] must be an object`);
    return { op: 'put', collective: record.collective, id: record.id, value: record.value };
  });
}

function assertCursor(value: unknown, field: string): void {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
    throw invalid(`${field} must be a non-negative integer, got ${String(value)}`);
  }
}

/**
 * Checks the shape of an `applyRemote` call. The values themselves were validated on
 * arrival from the wire; this catches a caller passing the wrong thing, cheaply (no deep
 * walk of the values, which would cost more than the writes on a large batch).
 */
export function checkRemoteApply(
  changes: readonly PulledChange[],
  options: { readonly policy: ConflictPolicy; readonly cursor?: CursorAdvance },
): void {
  assertArray(changes, 'changes');
  if (typeof options !== 'object' || options === null || !policyRule.test(options.policy)) {
    throw invalid(`policy ${policyRule.must}, got ${String(options?.policy)}`);
  }
  if (options.cursor !== undefined) {
    const { peer, from, to } = options.cursor;
    checkName(peer, 'cursor.peer');
    assertCursor(from, 'cursor.from');
    assertCursor(to, 'cursor.to');
  }
  changes.forEach((change, i) => {
    const at = `changes[${i}]`;
    if (typeof change !== 'object' || change === null) throw invalid(`${at} must be an object`);
    assertCollective(change.collective, `${at}.collective`);
    assertRecordId(change.id, `${at}.id`);
    if (change.op !== 'put' && change.op !== 'delete') throw invalid(`${at}.op ${opRule.must}`);
    if (!hlcRule.test(change.hlc)) throw invalid(`${at}.hlc ${hlcRule.must}`);
    if (typeof change.version !== 'number') throw invalid(`${at}.version must be a number`);
  });
}

/** Checks a name: a peer (the server id plus collective filter the engine keys cursors by) or a note key. */
export function checkName(name: unknown, what = 'peer'): asserts name is string {
  if (!nonEmptyStringRule.test(name)) throw invalid(`${what} ${nonEmptyStringRule.must}`);
}

/** Checks a positive or zero integer argument such as `limit` or `ackedSeq`. */
export function checkCount(value: unknown, field: string): asserts value is number {
  assertCursor(value, field);
}
