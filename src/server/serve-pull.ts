/**
 * Serving a pull: one page of the change feed after the client's cursor, limited to
 * the collectives it asked for and may read, without its own changes (echo
 * prevention) while its cursor still moves past them.
 *
 * A snapshot's pages keep the caller's own changes: a pull from cursor 0, and the pulls
 * after it while the cursor is below the answer's `snapshotMark`. A replica drops at a
 * snapshot's end the records it held and the snapshot did not bring (deletes whose
 * tombstones were swept), so its own rows must be there to be told apart from those.
 *
 * What a restricted caller (any but full access) learns. Versions are one sequence for
 * the whole store, so the global latest version counts every user's writes. A
 * restricted caller's `newCursor` therefore moves only over rows of collectives it may
 * read: to the last row served when more follow, otherwise to the highest version among
 * its readable collectives (its own rows there included), never below its cursor. It
 * stays put while other users write elsewhere. A `CURSOR_AHEAD` refusal still compares
 * with the global latest version (it guards against a data set that went back in time)
 * but does not say it. What remains: versions on rows and on its own writes tell a
 * caller how many writes came between them, at the moments it writes or reads.
 *
 * Expired cursors. Once tombstones are swept (see `stores/tombstone-sweep.ts`), a pull
 * whose cursor is below the gc floor of its collectives may have missed a delete: it is
 * refused `CURSOR_EXPIRED`, unless the cursor is 0 (a fresh snapshot) or the pull's
 * `snapshotMark` says its snapshot started at or above the floor (see
 * `PullRequest.snapshotMark`). The floor is that of the collectives the page read, so a
 * restricted caller is judged, and told, only by collectives it may read.
 */
import { ErrorCode, SyncError } from '../protocol/errors.ts';
import type { PullRequest, PullResponse } from '../protocol/types.ts';
import { isFullAccess, type Access } from './access.ts';
import { toPulledChange } from './apply-push.ts';
import type { ServerLimits } from './limits.ts';
import { isStorableText } from './storable-text.ts';
import type { ServerStore } from './types.ts';

/**
 * What a pull answer holds besides its changes, at most:
 * `{"changes":[],"hasMore":false,"newCursor":9007199254740991,"total":9007199254740991,"snapshotMark":9007199254740991}`
 * is 116 bytes. The page's changes get `maxPullBytes` less this.
 */
export const PULL_ENVELOPE_BYTES = 128;

/**
 * Which collectives a restricted caller's pull reads. `clampTo` is set when they had to
 * be listed from the store: a collective created after that listing is not in it, so
 * the page must not move the cursor past the latest version read before the listing
 * (rows above it are served by the next pull instead).
 */
async function readableCollectives(store: ServerStore, request: PullRequest, access: Access): Promise<{ collectives: string[]; clampTo?: number }> {
  // A name no store can keep holds no rows, and must not reach a query (see storable-text.ts).
  const canRead = (collective: string) => isStorableText(collective) && access.canRead(collective);
  if (request.collectives !== undefined) return { collectives: [...new Set(request.collectives)].filter(canRead) };
  if (access.readable !== undefined) return { collectives: [...new Set(access.readable)].filter(canRead) };
  const clampTo = await store.latestVersion();
  return { collectives: (await store.listCollectives()).filter(canRead), clampTo };
}

/**
 * Which collectives a pull reads, worked out before its page (see {@link servePage}):
 * whether the caller is restricted, the collectives (undefined: all), and `clampTo`
 * when they had to be listed from the store (see `readableCollectives`).
 */
export interface PullScope {
  readonly restricted: boolean;
  readonly collectives?: string[] | undefined;
  readonly clampTo?: number | undefined;
}

/** The {@link PullScope} of `request` for `access` (undefined: full access). */
export async function pullScope(store: ServerStore, request: PullRequest, access: Access | undefined): Promise<PullScope> {
  if (isFullAccess(access)) return { restricted: false, collectives: request.collectives === undefined ? undefined : [...new Set(request.collectives)].filter(isStorableText) };
  return { restricted: true, ...(await readableCollectives(store, request, access as Access)) };
}

/** The reads a pull's page takes from a store. */
export type PageReads = Pick<ServerStore, 'readChanges' | 'latestVersionIn'>;

/**
 * A store that may serve a pull's page elsewhere than in this thread (the SQLite store,
 * in its read workers), with the same answer {@link servePage} gives; undefined where
 * it does not (the page is then served here).
 */
export interface PullPageServer {
  servePullPage(request: PullRequest, scope: PullScope, limits: PullLimits): Promise<PullResponse> | undefined;
}

/** The limits a pull's page keeps. */
export type PullLimits = Pick<ServerLimits, 'maxPullBatchSize' | 'maxPullBytes'>;

const isPageServer = (store: ServerStore): store is ServerStore & PullPageServer => typeof (store as Partial<PullPageServer>).servePullPage === 'function';

/**
 * Serves a validated pull request for `access` (undefined: full access), at most
 * `maxPullBatchSize` changes and `maxPullBytes` of JSON (but always one change when one
 * follows the cursor). Fails `CURSOR_AHEAD` when the cursor is past anything this
 * server has written (the client synced with another data set under this server id),
 * and `CURSOR_EXPIRED` when tombstones after it have been swept (see the file comment).
 */
export async function servePull(store: ServerStore, request: PullRequest, access: Access | undefined, limits: PullLimits): Promise<PullResponse> {
  const scope = await pullScope(store, request, access);
  return (isPageServer(store) ? store.servePullPage(request, scope, limits) : undefined) ?? servePage(store, request, scope, limits);
}

/** The page {@link servePull} answers for `request` in `scope`, read through `reads`. */
export async function servePage(reads: PageReads, request: PullRequest, scope: PullScope, limits: PullLimits): Promise<PullResponse> {
  const { restricted, collectives, clampTo } = scope;
  let readableLatest = 0;
  if (restricted) {
    // Read before the page: a readable row committed in between is then in the page,
    // never skipped by a cursor taken from this figure.
    readableLatest = await reads.latestVersionIn(collectives as string[]);
  }
  const page = await reads.readChanges({
    after: request.cursor,
    limit: Math.min(request.batchSize, limits.maxPullBatchSize),
    // A restricted snapshot's answer also lists its collectives (see the end).
    maxBytes: Math.max(0, limits.maxPullBytes - PULL_ENVELOPE_BYTES - (restricted && request.cursor === 0 ? JSON.stringify(collectives).length + 16 : 0)),
    ...(request.cursor === 0 || request.cursor < (request.snapshotMark ?? 0) ? {} : { excludeSource: request.instanceId }),
    ...(collectives === undefined ? {} : { collectives }),
    ...(request.withTotal === true ? { withTotal: true } : {}),
  });
  // The page's own snapshot says how far this server has written (no second read).
  const latest = clampTo ?? page.latest;
  if (request.cursor > latest) {
    throw new SyncError(
      ErrorCode.CURSOR_AHEAD,
      restricted
        ? `The pull cursor ${request.cursor} is ahead of this server's data: the client's data comes from another server or a server whose data was reset; start over with a fresh replica`
        : `The pull cursor ${request.cursor} is ahead of this server's latest version ${latest}: the client's data comes from another server or a server whose data was reset; start over with a fresh replica`,
      { details: restricted ? { cursor: request.cursor } : { cursor: request.cursor, latest } },
    );
  }
  const floor = page.gcFloor ?? 0;
  if (request.cursor > 0 && floor > Math.max(request.cursor, request.snapshotMark ?? 0)) {
    // The floor is that of the collectives read, so saying it tells a restricted caller
    // nothing of others' collectives.
    throw new SyncError(
      ErrorCode.CURSOR_EXPIRED,
      `The pull cursor ${request.cursor} is older than this server's tombstone horizon: deletes up to version ${floor} have been removed, so the feed from this cursor would miss them. Run a client reset: pull again from cursor 0 (a fresh snapshot), keep the pending writes and push them again`,
      { details: { cursor: request.cursor, floor } },
    );
  }
  let rows = page.rows;
  let hasMore = page.hasMore;
  let newCursor = page.newCursor;
  if (clampTo !== undefined && newCursor > clampTo) {
    const kept = rows.filter((row) => row.version <= clampTo);
    if (kept.length < rows.length) hasMore = true;
    rows = kept;
    newCursor = clampTo;
    // Rows committed after the listing wait for the next pull; a page that would say
    // "more" without moving the cursor is one a client must refuse (INVALID_RESPONSE).
    if (newCursor === request.cursor) hasMore = false;
  }
  if (restricted) {
    // See the file comment: the cursor moves over readable rows only.
    const served = rows[rows.length - 1]?.version ?? request.cursor;
    newCursor = hasMore ? served : Math.max(request.cursor, served, Math.min(readableLatest, clampTo ?? readableLatest));
  }
  const response: PullResponse = { changes: rows.map((row) => toPulledChange(row, request.fields === true, request.instanceId)), hasMore, newCursor };
  const answer = page.total === undefined ? response : { ...response, total: page.total };
  if (request.cursor !== 0) return answer;
  // Where this snapshot starts: the latest version the caller may see, as a caught-up
  // cursor would be (for a restricted caller, readable collectives only, and which they
  // are: the replica must not drop what it holds in others, see `PullResponse.collectives`).
  return restricted ? { ...answer, snapshotMark: Math.min(readableLatest, clampTo ?? readableLatest), collectives: collectives as string[] } : { ...answer, snapshotMark: latest };
}
