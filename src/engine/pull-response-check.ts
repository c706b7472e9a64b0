/**
 * What a pull answer must satisfy before anything of it is applied. The wire schema
 * (`parsePullResponse`) says an answer is well formed; this says it fits the request
 * it answers. The client does not trust the server (issue 11, findings 10 and 11): a
 * cursor that goes back would pull and apply everything again over newer local state,
 * a cursor at 2^53−1 would skip every later change for good, a `hasMore` whose cursor
 * does not move asks the same page forever, and rows of a collective the client did not
 * ask for would put another feed's data in this one's cursor. Each is refused with
 * `INVALID_RESPONSE`: nothing is applied, the cursor stays, the loop backs off.
 */
import { ErrorCode, SyncError } from '../protocol/errors.ts';
import type { PullRequest, PullResponse } from '../protocol/types.ts';

/**
 * The largest cursor a client believes: 2^50. A server's cursor grows by one per
 * accepted write, so even at a million writes a second it takes 35 years to get there;
 * beyond it is a corrupt or hostile answer, not progress. It also keeps every cursor
 * the client stores far from 2^53, where `cursor + 1` stops being exact.
 */
export const MAX_PLAUSIBLE_CURSOR = 2 ** 50;

/** Which rule an answer broke, as `details.rule` names it. */
export type PullRule =
  | 'cursor-backwards'
  | 'cursor-implausible'
  | 'cursor-stalled'
  | 'too-many-changes'
  | 'version-out-of-order'
  | 'collective-not-asked';

/**
 * Throws `INVALID_RESPONSE` (with `details.rule`) unless `response` is a plausible
 * answer to `request`:
 * - the cursor does not go back, stays at most {@link MAX_PLAUSIBLE_CURSOR}, and
 *   advances when `hasMore` says there is more to pull;
 * - there are at most `batchSize` changes, in feed order (strictly increasing
 *   versions), each after the cursor asked from and at most the new cursor;
 * - with a collective filter, every change is in one of the collectives asked for.
 *
 * A cursor that jumps far ahead is not refused below the bound: the server skips rows
 * the client may not read or wrote itself, and may have written millions of those.
 */
export function checkPullResponse(request: PullRequest, response: PullResponse): void {
  const from = request.cursor;
  const to = response.newCursor;
  const refuse = (rule: PullRule, what: string): SyncError =>
    new SyncError(
      ErrorCode.INVALID_RESPONSE,
      `The answer to a pull from ${from} ${what}; nothing applied, retrying (if it persists, the server or a proxy is broken)`,
      { details: { rule, cursor: from, newCursor: to } },
    );
  if (to < from) throw refuse('cursor-backwards', `moved the cursor back from ${from} to ${to}`);
  if (to > MAX_PLAUSIBLE_CURSOR) throw refuse('cursor-implausible', `moved the cursor to ${to}, past ${MAX_PLAUSIBLE_CURSOR}`);
  if (response.hasMore && to === from) throw refuse('cursor-stalled', 'says it has more but did not move the cursor');
  if (response.changes.length > request.batchSize) {
    throw refuse('too-many-changes', `has ${response.changes.length} changes for ${request.batchSize} asked`);
  }
  const asked = request.collectives === undefined ? undefined : new Set(request.collectives);
  let previous = from;
  for (const [i, change] of response.changes.entries()) {
    if (change.version <= previous || change.version > to) {
      throw refuse('version-out-of-order', `has changes[${i}] at version ${change.version}, not in (${previous}, ${to}]`);
    }
    if (asked !== undefined && !asked.has(change.collective)) {
      throw refuse('collective-not-asked', `has changes[${i}] in collective ${JSON.stringify(change.collective)}, which this client did not ask for`);
    }
    previous = change.version;
  }
}
