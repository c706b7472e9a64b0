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
import type { Hlc } from '../clock/hlc.ts';
import type { InstanceId, JsonValue, PullResponse } from '../protocol/types.ts';
import { answerText } from './pull-answer-text.ts';
import { PLAIN } from './stores/change-page.ts';

/** Defines `value` on each {@link StoredPut}: one accessor for all, so they share one shape. */
const VALUE: PropertyDescriptor = {
  get(this: StoredPut) {
    return StoredPut.parse(this);
  },
  enumerable: true,
};

/**
 * A put whose value is the JSON text a SQL store keeps, parsed when `value` is first
 * read. `value` is an own enumerable property (a getter), so spreading, comparing,
 * cloning and `JSON.stringify` see the value; the text is private. Its fields are those
 * of a `ServerRecord` and of a `PulledChange` alike, in their order, so one serves as
 * the other. (A class with one shared accessor: object literals with a getter of their
 * own each, or a WeakMap of texts, cost a pull several times as much.)
 */
export class StoredPut {
  readonly collective: string;
  readonly id: string;
  readonly hlc: Hlc;
  readonly source: InstanceId;
  readonly version: number;
  readonly op = 'put';
  declare readonly value: JsonValue;
  readonly #text: string;
  #parsed: { readonly value: JsonValue } | undefined;

  constructor(collective: string, id: string, hlc: Hlc, source: InstanceId, version: number, text: string) {
    this.collective = collective;
    this.id = id;
    this.hlc = hlc;
    this.source = source;
    this.version = version;
    this.#text = text;
    Object.defineProperty(this, 'value', VALUE);
  }

  /** The parsed value of `put`. */
  static parse(put: StoredPut): JsonValue {
    put.#parsed ??= { value: JSON.parse(put.#text) as JsonValue };
    return put.#parsed.value;
  }

  /** The stored JSON text of `record`'s value, when it is a {@link StoredPut}. */
  static textOf(record: object): string | undefined {
    return #text in record ? (record as StoredPut).#text : undefined;
  }
}

/** `JSON.stringify(text)`, without the call for a plain text (ids, clocks, collectives mostly are). */
function quoted(text: string): string {
  return PLAIN.test(text) ? `"${text}"` : JSON.stringify(text);
}

/**
 * The JSON of a pull answer, as `JSON.stringify` writes it, with each stored value's
 * text spliced in instead of parsed and written again.
 */
export function pullAnswerJson(answer: PullResponse): string {
  const written = answerText(answer);
  if (written !== undefined) return written;
  const { changes, ...rest } = answer;
  let json = '{"changes":[';
  for (const [i, change] of changes.entries()) {
    const text = StoredPut.textOf(change);
    if (i > 0) json += ',';
    json +=
      text === undefined
        ? JSON.stringify(change)
        : `{"collective":${quoted(change.collective)},"id":${quoted(change.id)},"hlc":${quoted(change.hlc)},"source":${quoted(change.source)},"version":${change.version},"op":"put","value":${text}}`;
  }
  return `${json}],${JSON.stringify(rest).slice(1)}`;
}
