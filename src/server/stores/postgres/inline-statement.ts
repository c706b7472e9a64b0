/**
 * A parameterised statement with its parameters written into its text, so that it can
 * share one round trip with other statements. `pg` sends a statement with parameters
 * alone (one Parse/Bind/Execute/Sync, then it waits), and a push transaction's
 * statements were four round trips under the push lock: BEGIN, its reads, its writes,
 * COMMIT. Sent as one simple query each, BEGIN goes with the reads and the writes with
 * COMMIT: two.
 *
 * How a parameter is written: NULL; a number as its digits (safe integers only); a text
 * dollar-quoted with a tag that occurs in no text of the statement, so nothing in a text
 * can end its quote (Postgres reads a dollar-quoted text as it is: no escapes, whatever
 * `standard_conforming_strings` says); an array as the text form `pg` sends for an array
 * parameter (`{"a","b",NULL}`, `"` and `\` escaped), dollar-quoted in turn, which the
 * statement's own `$n::type[]` cast reads as one value (an `ARRAY[...]` of thousands of
 * constants cost Postgres many times the parse). No text of ours
 * holds a NUL (values are JSON texts, whose writer escapes it; keys, clocks and ids that
 * hold one are refused before they reach a store), so Postgres takes any text as it is.
 */
import { ErrorCode, SyncError } from '../../../protocol/errors.ts';

/** A parameter as `pg` takes it here: a text, a number, null, or an array of those. */
export type InlineParam = string | number | null | readonly (string | number | null)[];

/**
 * A dollar-quote tag that closes none of `texts` early: found neither in a text nor
 * across its end (a text ending in `$p0` followed by the tag `$p0$` reads `$p0$` there,
 * which would close the quote three characters early).
 */
function freeTag(texts: readonly string[]): string {
  for (let n = 0; ; n++) {
    const tag = `$p${n}$`;
    if (!texts.some((text) => (text + tag).indexOf(tag) < text.length)) return tag;
  }
}

function wholeNumber(value: number): string {
  if (!Number.isSafeInteger(value)) throw new SyncError(ErrorCode.INTERNAL, `A Postgres statement was given ${String(value)} where it takes a whole number`);
  return String(value);
}

/** An element of an array's text form: NULL, digits, or a text in double quotes with `"` and `\` escaped. */
function element(value: string | number | null): string {
  if (value === null) return 'NULL';
  if (typeof value === 'number') return wholeNumber(value);
  return `"${value.replace(/["\\]/g, '\\$&')}"`;
}

/**
 * `statement` (parameters `$1`…`$n`, each used with a cast) with `params` written into
 * it. Throws INTERNAL for a number that is not a safe integer (no statement here takes
 * another kind).
 */
export function inlineStatement(statement: string, params: readonly InlineParam[]): string {
  // Each parameter as text (an array in its text form, `{...}`, as `pg` sends one), or a bare NULL or number.
  const written = params.map((param): { readonly text: string } | { readonly bare: string } => {
    if (param === null) return { bare: 'NULL' };
    if (typeof param === 'number') return { bare: wholeNumber(param) };
    if (typeof param === 'string') return { text: param };
    return { text: `{${(param as readonly (string | number | null)[]).map(element).join(',')}}` };
  });
  const tag = freeTag(written.flatMap((w) => ('text' in w ? [w.text] : [])));
  // The callback's results are not scanned again, so `$` in a text stays as it is.
  return statement.replace(/\$(\d+)/g, (_, n: string) => {
    const w = written[Number(n) - 1];
    if (w === undefined) throw new SyncError(ErrorCode.INTERNAL, `A Postgres statement names parameter $${n}, which it was not given`);
    return 'text' in w ? `${tag}${w.text}${tag}` : w.bare;
  });
}
