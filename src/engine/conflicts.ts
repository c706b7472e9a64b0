/**
 * Settling conflicts: a local change met a newer state on the server (told by a push's
 * `conflicts`), or a pulled change met a local change not yet pushed, or overruled one
 * pushed that its writer had not seen (told by `applyRemote`'s `conflicts`,
 * last-write-wins). The policy decides by default; a
 * custom resolver may keep either side or merge, and whatever it picks is written as a
 * new local change when the replica does not already hold it, so it wins everywhere.
 *
 * Under `field-last-write-wins` the store's merge decides, field by field, and names
 * the writes of this replica that lost (`field-plans.ts`): still pending, or pushed and
 * overruled by a write that had not seen them. The resolver is not asked: no field is
 * lost to a policy it could override, only to a later write, which every replica keeps.
 */
import { ErrorCode, SyncError } from '../protocol/errors.ts';
import { recordState } from '../protocol/record-state.ts';
import type { JsonValue, PulledChange, PushedChange, RecordState, ServerConflict, SyncChange } from '../protocol/types.ts';
import { FIELDS_BUILT } from '../store/field-seam.ts';
import type { LocalConflict, LocalWrite } from '../store/types.ts';
import { IN_PREBUILT_WORKER } from './prebuilt-worker.ts';
import type { SyncContext } from './sync-context.ts';
import type { ConflictInfo, ConflictResolution } from './types.ts';

/** Structural equality of JSON values (key order of objects does not matter). */
export function jsonEqual(a: JsonValue | undefined, b: JsonValue | undefined): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) || Array.isArray(b)) {
    if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) return false;
    return a.every((item, i) => jsonEqual(item, b[i]));
  }
  const keys = Object.keys(a);
  if (keys.length !== Object.keys(b).length) return false;
  return keys.every((key) => Object.hasOwn(b, key) && jsonEqual(a[key], b[key]));
}

/** The state of a change or server record; no record (`null`) reads as a delete. */
function stateOf(change: RecordState | null): RecordState {
  return change === null ? { op: 'delete' } : recordState(change);
}

function sameState(a: RecordState, b: RecordState): boolean {
  return a.op === 'delete' ? b.op === 'delete' : b.op === 'put' && jsonEqual(a.value, b.value);
}

/**
 * Asks the resolver, if any, what the record should be. Returns the state and the
 * outcome, or undefined when there is no resolver (or it threw: reported, and the
 * policy's outcome stands).
 */
function askResolver(
  ctx: SyncContext,
  collective: string,
  id: string,
  local: RecordState,
  remote: PulledChange | null,
): { state: RecordState; outcome: ConflictInfo['outcome'] } | undefined {
  const resolver = ctx.config.resolver;
  // A prebuilt worker is never given one: this function and what it leads to are left out of it.
  if (resolver === undefined || IN_PREBUILT_WORKER) return undefined;
  let resolution: ConflictResolution;
  try {
    resolution = resolver({ collective, id, local, remote });
  } catch (error) {
    ctx.onError(
      new SyncError(ErrorCode.INTERNAL, `The conflict resolver threw on ${collective}/${id} (the policy's outcome stands): ${String(error)}`, {
        details: { collective, id },
      }).toJSON(),
    );
    return undefined;
  }
  if (resolution === 'local') return { state: local, outcome: 'local' };
  if (resolution === 'remote') return { state: stateOf(remote), outcome: 'remote' };
  if ('delete' in resolution) return { state: { op: 'delete' }, outcome: 'merged' };
  return { state: { op: 'put', value: resolution.value }, outcome: 'merged' };
}

/**
 * Writes `wanted` as a new local change unless the replica already holds it.
 * `basedOn`: see `writeLocal`.
 */
async function writeIfDifferent(ctx: SyncContext, collective: string, id: string, wanted: RecordState, basedOn: PulledChange | null = null): Promise<void> {
  const held = await ctx.store.get(collective, id);
  const heldState: RecordState = held === undefined ? { op: 'delete' } : { op: 'put', value: held.value };
  if (sameState(heldState, wanted)) return;
  await writeLocal(ctx, collective, id, wanted, basedOn);
}

/**
 * Writes `wanted` as a new local change, which sync pushes like any other. With
 * `basedOn` (the server's record a server-wins resolution was made against) the change
 * is based on that record's version, not on the pull cursor: the server takes it
 * unless the record moved again meanwhile, which is a new conflict. Based on the pull
 * cursor, which may lag behind, it would be refused again and the resolver asked
 * twice about one conflict (a merge applied twice).
 */
async function writeLocal(ctx: SyncContext, collective: string, id: string, wanted: RecordState, basedOn: PulledChange | null = null): Promise<void> {
  const write: LocalWrite = { collective, id, ...wanted };
  await ctx.store.write([write], basedOn === null ? {} : { baseVersion: basedOn.version });
}

function describeServerConflict(conflict: ServerConflict, local: PushedChange): string {
  const server = conflict.server;
  if (server === null) return `the server refused ${conflict.collective}/${conflict.id} and has no record of it`;
  if (conflict.policy === 'server-wins') {
    return `server-wins kept the server's version v${server.version}, newer than the base (${local.baseVersion === null ? 'none' : `v${local.baseVersion}`})`;
  }
  return `the server's record (${server.hlc}) is later than this change (${local.hlc}); last-write-wins kept the server's`;
}

/**
 * Should the server's record of a refused server-wins change come by the next pull
 * rather than be written now?
 *
 * Writing it now would race with the app: a write made between the log read (see
 * `supersededLocally`) and this apply would be overwritten, since under server-wins a
 * local write has no version to compare with, and if the server then accepted that
 * write the replica would never hear of it again. The feed has no such race (the
 * store decides inside its transaction), and it is sure to bring the record: the
 * change was refused because the record moved past the version the change was based
 * on, which was the pull cursor when it was written (for a resolution: the version of
 * the server's record it was made against, which the feed does not overwrite it with),
 * so the record's new state lies beyond that, or the replica has already pulled it (or
 * written it again since).
 * A push-only replica never pulls: it takes the record now.
 */
function leaveToPull(ctx: SyncContext, conflict: ServerConflict): boolean {
  return conflict.policy === 'server-wins' && ctx.config.direction !== 'push-only';
}

/**
 * A conflict must be about the record of the change it names, and so must the server's
 * state it carries: applied as it comes, a conflict could plant any record in the
 * replica, of any collective (issue 11). Throws `INVALID_RESPONSE`; the push is then
 * not acknowledged, so the change stays pending and is sent again.
 */
function assertAboutLocal(conflict: ServerConflict, local: PushedChange): void {
  if ([conflict, conflict.server ?? conflict].every((c) => c.collective === local.collective && c.id === local.id)) return;
  throw new SyncError(
    ErrorCode.INVALID_RESPONSE,
    `The server's conflict for ${local.collective}/${local.id} (seq ${local.seq}) is about another record: ignored, the change is sent again`,
    { details: { rule: 'conflict-not-about-change', seq: local.seq } },
  );
}

/**
 * A pushed change lost on the server: take the server's record (written only if newer
 * than what the replica holds; under server-wins, left to the next pull, see
 * `leaveToPull`), then let the resolver, if any, have the last word, and report the
 * conflict (`ctx.onConflict`; under `field-last-write-wins`, each loss the merge names).
 *
 * With `supersededLocally` the replica has written the record again since this change
 * (a later change in the log): the replica keeps that later write, which the server
 * will settle on its own when it is pushed. Taking the server's record here would
 * overwrite it, and if the server then accepted it the replica would never hear of
 * it again (its own writes are not echoed back): the two would differ for good.
 */
export async function settleServerConflict(
  ctx: SyncContext,
  local: PushedChange,
  conflict: ServerConflict,
  options: { readonly supersededLocally?: boolean } = {},
): Promise<void> {
  // Only a field-level change is a patch, and it does not come here.
  const localState = recordState(local as SyncChange);
  const report = (outcome: ConflictInfo['outcome'], reason: string): void =>
    ctx.onConflict({
      collective: conflict.collective,
      id: conflict.id,
      policy: conflict.policy,
      local: localState,
      remote: conflict.server,
      outcome,
      reason: `${describeServerConflict(conflict, local)}${reason}`,
    });
  assertAboutLocal(conflict, local);
  if (FIELDS_BUILT && conflict.policy === 'field-last-write-wins') {
    // The merge decides field by field and keeps every write of this replica that did
    // not lose, later ones too: the store names what was lost, if anything (a change
    // that met a concurrent write and won lost nothing). A record this replica may not
    // read has nothing to merge with. No resolver: see the file comment.
    if (conflict.server === null) return;
    const { conflicts } = await ctx.store.applyRemote([conflict.server], { policy: conflict.policy, maxClockDriftMs: ctx.config.maxClockDriftMs });
    for (const lost of conflicts) ctx.onConflict(lost.report as ConflictInfo);
    return;
  }
  if (options.supersededLocally === true) {
    return report('local', '; written again here since, that write settles when pushed');
  }
  const byPull = leaveToPull(ctx, conflict);
  if (conflict.server !== null && !byPull) {
    await ctx.store.applyRemote([conflict.server], { policy: ctx.config.conflictResolution, maxClockDriftMs: ctx.config.maxClockDriftMs });
  }
  const resolved = askResolver(ctx, conflict.collective, conflict.id, localState, conflict.server);
  if (resolved === undefined) return report('remote', '');
  // Under server-wins the resolution is based on the server's record it was made
  // against (last-write-wins ignores the base).
  const basedOn = conflict.policy === 'server-wins' ? conflict.server : null;
  if (!byPull) {
    await writeIfDifferent(ctx, conflict.collective, conflict.id, resolved.state, basedOn);
  } else if (!sameState(resolved.state, stateOf(conflict.server))) {
    // The replica may still hold the refused change: compare with the server's record,
    // not the replica's, and write the resolution as a change of its own. The next
    // pull does not overwrite it with that record (the store sees the base).
    await writeLocal(ctx, conflict.collective, conflict.id, resolved.state, basedOn);
  }
  report(resolved.outcome, chose(resolved.outcome));
}

/** What a conflict's reason adds when the resolver decided. */
function chose(outcome: ConflictInfo['outcome']): string {
  return `; the resolver chose ${outcome === 'merged' ? 'a merge' : `the ${outcome} side`}`;
}

/**
 * A pulled change met a pending local change, or overruled a pushed one it had not seen
 * (`pushed`: the server said so, see `PulledChange.over`); the store already kept the
 * later one. Under `field-last-write-wins` the store merged, and names the fields this
 * replica lost.
 */
export async function settleLocalConflict(ctx: SyncContext, conflict: LocalConflict): Promise<ConflictInfo> {
  if (FIELDS_BUILT && conflict.report !== undefined) return conflict.report;
  const localState = recordState(conflict.local);
  const resolved = askResolver(ctx, conflict.collective, conflict.id, localState, conflict.remote);
  if (resolved !== undefined) await writeIfDifferent(ctx, conflict.collective, conflict.id, resolved.state);
  const policyReason =
    conflict.winner === 'remote'
      ? `the server's change (${conflict.remote.hlc}) is later than the ${conflict.pushed ? 'pushed' : 'pending'} one (${conflict.local.hlc}); last-write-wins kept the server's`
      : `the pending change (${conflict.local.hlc}) is later than the server's (${conflict.remote.hlc}); last-write-wins kept it, to push`;
  return {
    collective: conflict.collective,
    id: conflict.id,
    policy: 'last-write-wins',
    local: localState,
    remote: conflict.remote,
    outcome: resolved?.outcome ?? conflict.winner,
    reason: policyReason + (resolved === undefined ? '' : chose(resolved.outcome)),
  };
}
