/**
 * The archived notes, 50 at a time: a live query of one page (in id order, resumed from
 * the previous page's cursor) and a live count of them all. The page and the count
 * update by themselves as a catch-up brings notes in; Previous and Next move the page.
 */
import type { Collection, QueryCursor } from 'pulsesync';
import type { NoteValue } from './collections.ts';
import { byId, el } from './dom.ts';
import { count } from './format.ts';

/** Notes per page. */
export const PAGE_SIZE = 50;

/** Renders the archive card's foot: its count, one page of notes, and the pager. */
export class ArchiveView {
  readonly #label: string;
  readonly #count = byId('archive-count', HTMLElement);
  readonly #box = byId('archive', HTMLElement);
  readonly #list = byId('archive-list', HTMLOListElement);
  readonly #prev = byId('archive-prev', HTMLButtonElement);
  readonly #next = byId('archive-next', HTMLButtonElement);
  readonly #position = byId('archive-page', HTMLElement);
  #collection: Collection<NoteValue> | undefined;
  /** Where each page up to the current one starts (the first: at the beginning). */
  #starts: (QueryCursor | undefined)[] = [undefined];
  #nextStart: QueryCursor | undefined;
  #total = 0;
  #stopPage: (() => void) | undefined;
  readonly #onError: (error: unknown) => void;

  constructor(label: string, onError: (error: unknown) => void) {
    this.#label = label;
    this.#onError = onError;
    this.#prev.addEventListener('click', () => this.#move(-1));
    this.#next.addEventListener('click', () => this.#move(1));
  }

  /** Shows `collection` (a new client's); returns what stops its live queries. */
  attach(collection: Collection<NoteValue>): () => void {
    this.#collection = collection;
    const stopCount = collection.watchCount(undefined, (total) => this.#showTotal(total), this.#onError);
    this.#watchPage();
    return () => {
      stopCount();
      this.#stopPage?.();
      this.#stopPage = undefined;
    };
  }

  #move(step: -1 | 1): void {
    if (step === 1 && this.#nextStart !== undefined) this.#starts.push(this.#nextStart);
    if (step === -1 && this.#starts.length > 1) this.#starts.pop();
    this.#watchPage();
  }

  #watchPage(): void {
    this.#stopPage?.();
    const collection = this.#collection;
    if (collection === undefined) return;
    const after = this.#starts[this.#starts.length - 1];
    this.#stopPage = collection.watch({ limit: PAGE_SIZE, after }, (page) => {
      this.#nextStart = page.next;
      this.#list.replaceChildren(...page.records.map((note) => el('li', {}, el('span', { class: 'title' }, note.value.title), ` ${note.value.body}`)));
      this.#showPager();
    }, this.#onError);
  }

  #showTotal(total: number): void {
    this.#total = total;
    this.#count.textContent = total === 0 ? '' : `Also on this device: ${count(total)} seeded records in “${this.#label}”.`;
    this.#box.hidden = total === 0;
    this.#showPager();
  }

  #showPager(): void {
    const first = (this.#starts.length - 1) * PAGE_SIZE;
    const shown = this.#list.children.length;
    this.#position.textContent = shown === 0 ? '' : `${count(first + 1)}–${count(first + shown)} of ${count(this.#total)}`;
    this.#prev.disabled = this.#starts.length === 1;
    this.#next.disabled = this.#nextStart === undefined;
  }
}
