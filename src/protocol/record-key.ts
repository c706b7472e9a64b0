/**
 * The map key of a record, `(collective, id)` joined by `\u0000`: the wire refuses that
 * character in both parts, so two records never share a key. One function for the
 * replica, the engine and the server.
 */
export function recordKey(collective: string, id: string): string {
  return `${collective}\u0000${id}`;
}
