/** The conflict log: which value won, and the engine's sentence on why. */
import { parseHlc, type ConflictInfo } from 'pulsesync/engine';
import { byId, el } from './dom.ts';
import { timeOfDay } from './format.ts';
import { titleOf } from './todos.ts';

const MAX_ENTRIES = 50;

/** Shows conflicts newest first. */
export class ConflictView {
  readonly #list = byId('conflict-log', HTMLOListElement);
  readonly #empty = byId('conflict-empty', HTMLElement);

  constructor() {
    byId('clear-conflicts', HTMLButtonElement).addEventListener('click', () => {
      this.#list.replaceChildren();
      this.#empty.hidden = false;
    });
  }

  add(conflict: ConflictInfo): void {
    const local = conflict.local.op === 'delete' ? 'a delete' : quote(titleOf(conflict.local.value));
    const remote =
      conflict.remote === null ? 'nothing' : conflict.remote.op === 'delete' ? 'a delete' : quote(titleOf(conflict.remote.value));
    const kept =
      conflict.outcome === 'local'
        ? `This device's ${local} won over the server's ${remote}.`
        : conflict.outcome === 'remote'
          ? `The server's ${remote} won over this device's ${local}.`
          : `Merged this device's ${local} with the server's ${remote}.`;
    const item = el(
      'li',
      { 'data-outcome': conflict.outcome },
      el('span', { class: 'when' }, `${timeOfDay(Date.now())} · ${conflict.collective}/${conflict.id}`),
      el('span', { class: 'tag' }, conflict.policy),
      el('div', { class: 'won' }, kept),
      el('span', { class: 'reason' }, readable(conflict.reason)),
    );
    this.#list.prepend(item);
    while (this.#list.children.length > MAX_ENTRIES) this.#list.lastElementChild?.remove();
    this.#empty.hidden = true;
  }
}

const HLC_IN_TEXT = /\b\d{15}:\d{6}:[^\s:()]+/g;

/** The engine's sentence with its clock stamps as times of day ("15:10:26.626"). */
function readable(reason: string): string {
  return reason.replace(HLC_IN_TEXT, (stamp) => {
    const parts = parseHlc(stamp);
    if (parts === undefined) return stamp;
    return `${timeOfDay(parts.wallMs)}.${String(parts.wallMs % 1000).padStart(3, '0')}`;
  });
}

function quote(title: string | undefined): string {
  return title === undefined ? 'value' : `“${title}”`;
}
