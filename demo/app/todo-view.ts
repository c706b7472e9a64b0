/**
 * The todo list: keyed rendering (a re-render after a sync keeps focus and an edit in
 * progress), inline editing with Enter to save and Escape to cancel, and a "synced?"
 * mark per todo (from `client.pendingIds()`).
 */
import { el } from './dom.ts';
import { timeOfDay } from './format.ts';
import type { Todo } from './todos.ts';

/** What the list asks the app to do. */
export interface TodoActions {
  toggle(todo: Todo): void;
  rename(todo: Todo, title: string): void;
  remove(todo: Todo): void;
}

interface Row {
  readonly li: HTMLLIElement;
  todo: Todo;
  editing: boolean;
  /** Has the server taken its last change? */
  synced: boolean;
}

/** Renders todos into a `<ul>`. */
export class TodoListView {
  readonly #list: HTMLUListElement;
  readonly #empty: HTMLElement;
  readonly #counter: HTMLElement;
  readonly #actions: TodoActions;
  readonly #rows = new Map<string, Row>();

  constructor(list: HTMLUListElement, empty: HTMLElement, counter: HTMLElement, actions: TodoActions) {
    this.#list = list;
    this.#empty = empty;
    this.#counter = counter;
    this.#actions = actions;
  }

  /**
   * Shows `todos` in order; rows in `arrived` flash (they came from another device);
   * rows in `pending` are marked as not synced yet.
   */
  render(todos: readonly Todo[], arrived: ReadonlySet<string> = new Set(), pending: ReadonlySet<string> = new Set()): void {
    const seen = new Set<string>();
    let previous: HTMLLIElement | undefined;
    for (const todo of todos) {
      seen.add(todo.id);
      const synced = !pending.has(todo.id);
      let row = this.#rows.get(todo.id);
      if (row === undefined) {
        row = { li: el('li', { class: 'todo', 'data-id': todo.id }), todo, editing: false, synced };
        this.#rows.set(todo.id, row);
        this.#fill(row);
      } else if (!sameTodo(row.todo, todo)) {
        row.todo = todo;
        row.synced = synced;
        if (!row.editing) this.#fill(row);
      } else if (row.synced !== synced) {
        row.synced = synced;
        if (!row.editing) this.#fill(row);
      }
      if (arrived.has(todo.id)) flash(row.li);
      // Keep DOM order = list order, moving only what is out of place.
      const expected: ChildNode | null = previous === undefined ? this.#list.firstChild : previous.nextSibling;
      if (expected !== row.li) this.#list.insertBefore(row.li, expected);
      previous = row.li;
    }
    let lostFocusAt: number | undefined;
    for (const [id, row] of this.#rows) {
      if (seen.has(id)) continue;
      if (row.li.contains(document.activeElement)) lostFocusAt = [...this.#list.children].indexOf(row.li);
      row.li.remove();
      this.#rows.delete(id);
    }
    // A deleted row had focus (its Delete button): keep the keyboard user in the list.
    if (lostFocusAt !== undefined) this.#focusNear(lostFocusAt);
    this.#empty.hidden = todos.length > 0;
  }

  /** Shows the counts (live counts of the collection, not of the rendered rows). */
  showCounts(open: number, done: number): void {
    this.#counter.textContent = open + done === 0 ? '' : `${open} open · ${done} done`;
  }

  #focusNear(index: number): void {
    const rows = this.#list.children;
    const row = rows[Math.min(index, rows.length - 1)];
    const target = row?.querySelector<HTMLElement>('button.delete') ?? document.getElementById('new-title');
    target?.focus();
  }

  #fill(row: Row): void {
    const { todo, li } = row;
    li.classList.toggle('done', todo.done);
    const checkbox = el('input', { type: 'checkbox', 'aria-label': `Done: ${todo.title}` });
    checkbox.checked = todo.done;
    checkbox.addEventListener('change', () => this.#actions.toggle(row.todo));
    const edit = el('button', { type: 'button', class: 'edit', 'aria-label': `Edit “${todo.title}”` }, 'Edit');
    edit.addEventListener('click', () => this.#startEditing(row));
    const remove = el('button', { type: 'button', class: 'delete', 'aria-label': `Delete “${todo.title}”` }, 'Delete');
    remove.addEventListener('click', () => this.#actions.remove(row.todo));
    const meta = `${todo.updatedBy}${todo.updatedAt > 0 ? ` · ${timeOfDay(todo.updatedAt)}` : ''}`;
    const mark = el(
      'span',
      { class: 'sync-mark', 'data-synced': String(row.synced), title: row.synced ? 'The server has this change' : 'Waiting to be pushed to the server' },
      row.synced ? '✓ synced' : '● not synced yet',
    );
    li.replaceChildren(
      checkbox,
      el('span', { class: 'text' }, el('span', { class: 'title' }, todo.title), el('span', { class: 'meta' }, meta, ' · ', mark)),
      el('span', { class: 'buttons' }, edit, remove),
    );
  }

  #startEditing(row: Row): void {
    row.editing = true;
    const input = el('input', { 'aria-label': `New title for “${row.todo.title}”`, maxlength: '200', required: true });
    input.value = row.todo.title;
    const form = el('form', { class: 'edit-form' }, input, el('button', { type: 'submit', class: 'primary' }, 'Save'));
    const finish = (save: boolean): void => {
      if (!row.editing) return;
      row.editing = false;
      const title = input.value.trim();
      const original = row.todo;
      this.#fill(row);
      row.li.querySelector<HTMLButtonElement>('button.edit')?.focus();
      if (save && title !== '' && title !== original.title) this.#actions.rename(original, title);
    };
    form.addEventListener('submit', (event) => {
      event.preventDefault();
      finish(true);
    });
    input.addEventListener('keydown', (event) => {
      if (event.key === 'Escape') finish(false);
    });
    const checkbox = row.li.querySelector('input[type="checkbox"]');
    row.li.replaceChildren(...(checkbox === null ? [] : [checkbox]), form);
    input.focus();
    input.select();
  }
}

function sameTodo(a: Todo, b: Todo): boolean {
  return a.title === b.title && a.done === b.done && a.updatedAt === b.updatedAt && a.updatedBy === b.updatedBy;
}

function flash(li: HTMLElement): void {
  li.classList.remove('arrived');
  // Restart the animation: reading layout between remove and add is what makes it replay.
  void li.offsetWidth;
  li.classList.add('arrived');
}
