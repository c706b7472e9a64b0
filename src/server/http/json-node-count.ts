/**
 * Counts the nodes of a JSON text as its bytes stream in, without parsing it, so a
 * body that would be costly to parse is refused before `JSON.parse` sees it (issue 11,
 * finding 3). `JSON.parse` cannot be interrupted, and its time grows with nodes rather
 * than bytes: 14 MB of `[0,0,…]` takes hundreds of milliseconds, of `[{},{},…]` seconds.
 *
 * A node is counted at each `{`, `[`, `,` and `:` outside strings: about one per value
 * and one per key. Bytes of a multi-byte UTF-8 character are all 0x80 or above, so
 * they never look like structure; a string's end is found by its `"`, skipping escapes.
 * The state carries over from one chunk to the next.
 */

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;
const COLON = 0x3a;
const OPEN_BRACKET = 0x5b;
const OPEN_BRACE = 0x7b;

/** A running count over the chunks of one body. */
export interface JsonNodeCounter {
  /** Adds `chunk`; returns the nodes counted so far, stopping early once past `limit`. */
  add(chunk: Uint8Array, limit: number): number;
}

/** A fresh counter for one body. */
export function jsonNodeCounter(): JsonNodeCounter {
  let nodes = 0;
  let inString = false;
  let escaped = false;
  return {
    add(chunk, limit) {
      for (let i = 0; i < chunk.length && nodes <= limit; i++) {
        const byte = chunk[i] as number;
        if (inString) {
          if (escaped) escaped = false;
          else if (byte === BACKSLASH) escaped = true;
          else if (byte === QUOTE) inString = false;
        } else if (byte === QUOTE) {
          inString = true;
        } else if (byte === COMMA || byte === COLON || byte === OPEN_BRACKET || byte === OPEN_BRACE) {
          nodes++;
        }
      }
      return nodes;
    },
  };
}
