/**
 * The outbox card: the writes of this device still waiting for the server, oldest
 * first, as `client.pending()` lists them (no IndexedDB reads of the page's own).
 */
import type { PendingWrite } from 'pulsesync';
import { byId, el } from './dom.ts';
import { ago, count } from './format.ts';
import { titleOf, TODOS } from './todos.ts';

/** At most this many rows; the count says the rest. */
const MAX_ROWS = 12;

/** Shows the outbox. */
export class OutboxView {
  readonly #list = byId('outbox-list', HTMLOListElement);
  readonly #empty = byId('outbox-empty', HTMLElement);
  readonly #count = byId('outbox-count', HTMLElement);

  show(writes: readonly PendingWrite[]): void {
    const rows = writes.slice(0, MAX_ROWS).map((write) => {
      const what = write.collective === TODOS ? (titleOf(write.value) ?? write.id) : `${write.collective}/${write.id}`;
      return el(
        'li',
        { 'data-op': write.op },
        el('span', { class: 'op' }, write.op === 'delete' ? 'delete' : 'save'),
        el('span', { class: 'what' }, write.op === 'delete' && write.collective === TODOS ? `todo ${write.id}` : `“${what}”`),
        el('span', { class: 'age', title: `seq ${write.seq}` }, ago(write.writtenAt)),
      );
    });
    if (writes.length > MAX_ROWS) rows.push(el('li', { class: 'more' }, `and ${count(writes.length - MAX_ROWS)} more`));
    this.#list.replaceChildren(...rows);
    this.#empty.hidden = writes.length > 0;
    this.#count.textContent = writes.length === 0 ? '' : `${count(writes.length)} waiting`;
  }
}
