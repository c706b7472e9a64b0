/**
 * Values served as the JSON text the SQL stores keep. A SQL store holds each value as
 * the text `JSON.stringify` made of it when it was pushed; a pull used to parse that
 * text into a value and the answer stringified it again (~5 ms of CPU per page of 500,
 * and the garbage of both). Now a stored row's value is parsed only if something reads
 * it, and a pull answer splices the stored text in as it is ({@link pullAnswerJson}).
 *
 * The text is what `JSON.stringify` gives for the parsed value (it was made by it, and
 * parsing then stringifying such a text gives it back unchanged), so the answer's bytes
 * are those the feed's byte cap counted (`feedRowBytes` counts the stored text).
 */
import type { JsonValue, PullResponse } from '../protocol/types.ts';

/** The stored text of a value, by the row or change that carries it. */
const texts = new WeakMap<object, string>();

/**
 * `fields` as a put whose value is the JSON `text`: parsed when `value` is first read
 * (an own enumerable getter, so spreading, comparing and cloning see the value).
 */
export function storedPut<F extends object>(fields: F, text: string): F & { readonly op: 'put'; readonly value: JsonValue } {
  let parsed: { value: JsonValue } | undefined;
  const put = {
    ...fields,
    op: 'put' as const,
    get value(): JsonValue {
      parsed ??= { value: JSON.parse(text) as JsonValue };
      return parsed.value;
    },
  };
  texts.set(put, text);
  return put;
}

/** The stored JSON text of the value of `record`, when it came from a SQL store. */
export function storedJson(record: object): string | undefined {
  return texts.get(record);
}

/**
 * The JSON of a pull answer, as `JSON.stringify` would write it (field order aside),
 * with each stored value's text spliced in instead of parsed and written again.
 */
export function pullAnswerJson(answer: PullResponse): string {
  const { changes, ...rest } = answer;
  const parts: string[] = [];
  for (const change of changes) {
    const text = change.op === 'put' ? storedJson(change) : undefined;
    parts.push(
      text === undefined
        ? JSON.stringify(change)
        : `{"collective":${JSON.stringify(change.collective)},"id":${JSON.stringify(change.id)},"hlc":${JSON.stringify(change.hlc)},"source":${JSON.stringify(change.source)},"version":${change.version},"op":"put","value":${text}}`,
    );
  }
  return `{"changes":[${parts.join(',')}],${JSON.stringify(rest).slice(1)}`;
}
