/**
 * Serving a pull: one page of the change feed after the client's cursor, limited to
 * the collectives it asked for and may read, without its own changes (echo
 * prevention) while its cursor still moves past them.
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
 * `{"changes":[],"hasMore":false,"newCursor":9007199254740991,"total":9007199254740991}`
 * is 84 bytes. The page's changes get `maxPullBytes` less this.
 */
export const PULL_ENVELOPE_BYTES = 128;

/**
 * Serves a validated pull request for `access` (undefined: full access), at most
 * `maxPullBatchSize` changes and `maxPullBytes` of JSON (but always one change when one
 * follows the cursor). Fails `CURSOR_AHEAD` when the cursor is past anything this
 * server has written (the client synced with another data set under this server id).
 */
export async function servePull(
  store: ServerStore,
  request: PullRequest,
  access: Access | undefined,
  limits: Pick<ServerLimits, 'maxPullBatchSize' | 'maxPullBytes'>,
): Promise<PullResponse> {
  // A name no store can keep holds no rows, and must not reach a query (see storable-text.ts).
  let collectives = request.collectives === undefined ? undefined : [...new Set(request.collectives)].filter(isStorableText);
  // When the caller's rights are narrower than "everything" and it asked for every
  // collective, its readable collectives are listed first. A collective created after
  // that listing is not in it, so the page must not move the cursor past the latest
  // version read before the listing: rows above it are served by the next pull instead.
  let clampTo: number | undefined;
  if (!isFullAccess(access)) {
    const canRead = (collective: string) => (access as Access).canRead(collective);
    if (collectives === undefined) {
      clampTo = await store.latestVersion();
      collectives = (await store.listCollectives()).filter(canRead);
    } else {
      collectives = collectives.filter(canRead);
    }
  }
  const page = await store.readChanges({
    after: request.cursor,
    limit: Math.min(request.batchSize, limits.maxPullBatchSize),
    maxBytes: Math.max(0, limits.maxPullBytes - PULL_ENVELOPE_BYTES),
    excludeSource: request.instanceId,
    ...(collectives === undefined ? {} : { collectives }),
    ...(request.withTotal === true ? { withTotal: true } : {}),
  });
  // The page's own snapshot says how far this server has written (no second read).
  const latest = clampTo ?? page.latest;
  if (request.cursor > latest) {
    throw new SyncError(
      ErrorCode.CURSOR_AHEAD,
      `The pull cursor ${request.cursor} is ahead of this server's latest version ${latest}: the client's data comes from another server or a server whose data was reset; start over with a fresh replica`,
      { details: { cursor: request.cursor, latest } },
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
  const response = { changes: rows.map(toPulledChange), hasMore, newCursor };
  return page.total === undefined ? response : { ...response, total: page.total };
}
