/**
 * The conflict log: which value won, and the engine's sentence on why. Field by field
 * (`field-last-write-wins`), each field this device lost, and a "Why?" that asks the
 * replica to explain the record: who wrote each field, when, and which concurrent edit
 * each write overruled.
 */
import { parseHlc, type ConflictInfo } from 'pulsesync/engine';
import type { HistoryEntry, JsonValue, RecordExplanation } from 'pulsesync';
import { byId, el } from './dom.ts';
import { timeOfDay } from './format.ts';
import { titleOf } from './todos.ts';

const MAX_ENTRIES = 50;

/** Asks the current client why a record holds its value, and who this device is. */
export type Explain = (collective: string, id: string) => Promise<{ explained: RecordExplanation; me: string | undefined }>;

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

  add(conflict: ConflictInfo, explain: Explain): void {
    const item = el(
      'li',
      { 'data-outcome': conflict.outcome },
      el('span', { class: 'when' }, `${timeOfDay(Date.now())} · ${conflict.collective}/${conflict.id}`),
      el('span', { class: 'tag' }, conflict.policy),
      ...(conflict.fields === undefined ? [el('div', { class: 'won' }, wholeOutcome(conflict))] : conflict.fields.map((loss) => el('div', { class: 'won' }, fieldOutcome(loss)))),
      el('span', { class: 'reason' }, readable(conflict.reason)),
    );
    if (conflict.policy === 'field-last-write-wins') item.append(whyButton(conflict, explain));
    this.#list.prepend(item);
    while (this.#list.children.length > MAX_ENTRIES) this.#list.lastElementChild?.remove();
    this.#empty.hidden = true;
  }
}

/** What won, for a record decided whole. */
function wholeOutcome(conflict: ConflictInfo): string {
  const local = conflict.local.op === 'delete' ? 'a delete' : quote(titleOf(conflict.local.value));
  const remote = conflict.remote === null ? 'nothing' : conflict.remote.op === 'delete' ? 'a delete' : quote(titleOf(conflict.remote.value));
  if (conflict.outcome === 'local') return `This device's ${local} won over the server's ${remote}.`;
  if (conflict.outcome === 'remote') return `The server's ${remote} won over this device's ${local}.`;
  return `Merged this device's ${local} with the server's ${remote}.`;
}

/** What won, for one field this device lost. */
function fieldOutcome(loss: NonNullable<ConflictInfo['fields']>[number]): string {
  const field = loss.path.length === 0 ? 'the whole todo' : loss.path.join('.');
  const had = 'value' in loss.had ? show(loss.had.value) : 'a delete';
  const won = loss.won.path.length < loss.path.length ? (loss.won.value === undefined ? 'a delete of the todo' : 'a write of the whole todo') : 'value' in loss.won ? show(loss.won.value) : 'a delete';
  return `${field}: ${won} won over this device's ${had}${loss.pending ? ' (not yet sent)' : ''}.`;
}

/** A button that explains the record below the entry, once. */
function whyButton(conflict: ConflictInfo, explain: Explain): HTMLButtonElement {
  const button = el('button', { type: 'button', class: 'quiet why' }, 'Why?');
  button.addEventListener('click', () => {
    button.disabled = true;
    explain(conflict.collective, conflict.id).then(
      ({ explained, me }) => button.replaceWith(story(explained, me)),
      (error: unknown) => button.replaceWith(el('p', { class: 'reason' }, `Could not explain: ${error instanceof Error ? error.message : String(error)}`)),
    );
  });
  return button;
}

/** The record's history as this device knows it, oldest first, one line per field written. */
function story(explained: RecordExplanation, me: string | undefined): HTMLElement {
  const who = (source: string): string => (source === me ? 'this device' : 'another device');
  const line = (entry: HistoryEntry): HTMLElement =>
    el(
      'li',
      { 'data-via': entry.via },
      `${entry.path.length === 0 ? 'whole todo' : entry.path.join('.')} = ${'value' in entry ? show(entry.value) : 'deleted'} · ${who(entry.source)} at ${readable(entry.hlc)}`,
      entry.version === undefined ? ' · not yet on the server' : ` · server v${entry.version}`,
      ...(entry.overruled ?? []).map((over) =>
        el('div', { class: 'overruled' }, `overruled ${who(over.source)}'s ${'value' in over ? show(over.value) : 'edit'} of ${readable(over.hlc)} (${entry.rule ?? ''})`),
      ),
    );
  return el(
    'div',
    { class: 'story' },
    el('p', { class: 'reason' }, explained.exists ? `Now: ${show(explained.value)}` : 'Now: deleted'),
    el('ol', { class: 'history' }, ...explained.history.map(line)),
  );
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

/** A value as the log shows it: a title quoted, anything else as JSON. */
function show(value: JsonValue | undefined): string {
  return typeof value === 'string' ? `“${value}”` : (titleOf(value) === undefined ? JSON.stringify(value) : quote(titleOf(value)));
}
