/**
 * Pull answers whose JSON was written before they reach the fetch handler: the SQLite
 * store's read workers write a page's JSON in their own thread (`stores/sqlite/
 * read-worker.ts`), so the server's thread neither builds the page nor writes it. Such
 * an answer is a {@link PullResponse} like any other (its `changes` are parsed from the
 * text when first read, by a caller in-process), and `pullAnswerJson` (stored-json.ts)
 * hands back its text as it came.
 */
import type { PullResponse } from '../protocol/types.ts';

const TEXTS = new WeakMap<PullResponse, string>();

/**
 * The answer written as `text` (what `pullAnswerJson` writes of it), with its fields
 * besides the changes as `envelope` (in the answer's order); `changes` makes its changes
 * from the text when they are first read.
 */
export function answerOfText(envelope: Omit<PullResponse, 'changes'>, text: string, changes: (text: string) => PullResponse['changes']): PullResponse {
  let made: PullResponse['changes'] | undefined;
  const answer = { changes: [] as PullResponse['changes'], ...envelope };
  // An own enumerable field, first as in every answer, so spreading and comparing see it.
  Object.defineProperty(answer, 'changes', { get: () => (made ??= changes(text)), enumerable: true });
  TEXTS.set(answer, text);
  return answer;
}

/** The JSON text of an answer made by {@link answerOfText}; undefined for any other. */
export function answerText(answer: PullResponse): string | undefined {
  return TEXTS.get(answer);
}
