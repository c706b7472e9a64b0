/**
 * Text every store keeps exactly as given. Postgres refuses NUL in text, and encoding
 * to UTF-8 turns a lone UTF-16 surrogate into U+FFFD, i.e. into another string: a
 * record id or collective name must not change on its way into a store, nor match
 * another one in a query.
 */

const UNSTORABLE = /\u0000|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** Can every store keep `text` exactly (no NUL, no lone surrogate)? */
export function isStorableText(text: string): boolean {
  return !UNSTORABLE.test(text);
}
