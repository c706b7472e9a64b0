/**
 * The key cursors are kept under. A cursor is only valid for the feed it was read
 * from: the server's data set (`serverId`) seen through one collective filter. A cursor
 * read with filter `[notes]` has skipped every `todos` row, so widening the filter must
 * start a new cursor instead of reusing it.
 */
export function peerKey(serverId: string, collectives: readonly string[] | undefined): string {
  const filter = collectives === undefined ? '*' : [...collectives].sort().map(encodeURIComponent).join(',');
  return `${serverId}|${filter}`;
}

/** Does a change to `collective` pass the filter (undefined: every collective)? */
export function inCollectives(collective: string, collectives: readonly string[] | undefined): boolean {
  return collectives === undefined || collectives.includes(collective);
}
