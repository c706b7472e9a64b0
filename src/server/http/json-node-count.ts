/**
 * Counts the nodes of a JSON text as its bytes stream in, without parsing it, so a
 * body that would be costly to parse is refused before `JSON.parse` sees it (issue 11,
 * finding 3). `JSON.parse` cannot be interrupted, and its time grows with nodes rather
 * than bytes: 14 MB of `[0,0,…]` takes hundreds of milliseconds, of `[{},{},…]` seconds.
 *
 * Nodes are weighted by what V8 takes to parse them, measured: a list element (`,` or
 * `[` outside strings) counts 1, an object (`{`) 2, and an object key (`:`) 16, since
 * a key builds a property and, when keys differ, a new hidden class (300,000 distinct
 * keys took 150 to 500 ms, as long as 50 times as many numbers). Bytes of a multi-byte
 * UTF-8 character are all 0x80 or above, so they never look like structure; a string's
 * end is found by its `"`, skipping escapes. The state carries over between chunks.
 */

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;
const COLON = 0x3a;
const OPEN_BRACKET = 0x5b;
const OPEN_BRACE = 0x7b;

/** The weight of each structural byte (see the file comment); 0 for every other byte. */
const WEIGHT = new Uint8Array(256);
WEIGHT[COMMA] = 1;
WEIGHT[OPEN_BRACKET] = 1;
WEIGHT[OPEN_BRACE] = 2;
WEIGHT[COLON] = 16;

/** A running count over the chunks of one body. */
export interface JsonNodeCounter {
  /** Adds `chunk`; returns the (weighted) nodes counted so far, stopping early once past `limit`. */
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
        } else {
          nodes += WEIGHT[byte] as number;
        }
      }
      return nodes;
    },
  };
}
