/** The sync card: status pill and detail, last sync, pending count and cursors (all from the status). */
import type { SyncDirection, SyncStatus } from 'pulsesync';
import { byId } from './dom.ts';
import { ago, count, duration, timeOfDay } from './format.ts';

/** How long a notice stays. */
const NOTICE_MS = 10_000;

/** Shows a {@link SyncStatus} and the cursors. */
export class SyncView {
  readonly #pill = byId('status-pill', HTMLElement);
  readonly #detail = byId('status-detail', HTMLElement);
  readonly #noticeLine = byId('notice', HTMLElement);
  #noticeTimer: ReturnType<typeof setTimeout> | undefined;
  readonly #lastSync = byId('last-sync', HTMLElement);
  readonly #pending = byId('pending', HTMLElement);
  readonly #pullCursor = byId('pull-cursor', HTMLElement);
  readonly #pushCursor = byId('push-cursor', HTMLElement);
  readonly #background = byId('toggle-background', HTMLButtonElement);
  #status: SyncStatus | undefined;
  #offline = false;
  #direction: SyncDirection = 'bidirectional';

  constructor() {
    // "12 s ago" keeps moving without a new status.
    setInterval(() => this.#renderLastSync(), 1000);
  }

  /** The latest status. */
  get status(): SyncStatus | undefined {
    return this.#status;
  }

  showStatus(status: SyncStatus): void {
    this.#status = status;
    this.#render();
  }

  /** The Offline switch's position (the detail line says so). */
  showOffline(offline: boolean): void {
    this.#offline = offline;
    this.#render();
  }

  /** The configured direction (a pull-only device keeps its changes). */
  showDirection(direction: SyncDirection): void {
    this.#direction = direction;
    this.#render();
  }

  /** A one-off message under the status (an action failed…), shown for a while. */
  showNotice(text: string, bad = false): void {
    this.#noticeLine.textContent = text;
    this.#noticeLine.dataset['tone'] = bad ? 'bad' : '';
    this.#noticeLine.hidden = false;
    clearTimeout(this.#noticeTimer);
    this.#noticeTimer = setTimeout(() => {
      this.#noticeLine.hidden = true;
    }, NOTICE_MS);
  }

  #render(): void {
    const s = this.#status;
    if (s === undefined) return;
    this.#pullCursor.textContent = s.cursors === undefined ? '–' : count(s.cursors.pull);
    this.#pushCursor.textContent = s.cursors === undefined ? '–' : count(s.cursors.push);
    const state = !s.running && s.state === 'idle' ? 'stopped' : s.state;
    this.#pill.dataset['state'] = state;
    this.#pill.textContent = state;
    this.#pending.textContent = count(s.pending);
    this.#background.setAttribute('aria-pressed', String(s.running));
    this.#background.textContent = s.running ? 'Stop background sync' : 'Start background sync';
    this.#renderLastSync();
    this.#detail.textContent = describe(s, this.#offline, this.#direction);
    this.#detail.dataset['tone'] = s.state === 'error' ? 'bad' : '';
  }

  #renderLastSync(): void {
    const at = this.#status?.lastSyncedAt;
    this.#lastSync.textContent = at === null || at === undefined ? 'never' : `${timeOfDay(at)} (${ago(at)})`;
  }
}

/** One sentence on where sync stands. */
function describe(s: SyncStatus, offline: boolean, direction: SyncDirection): string {
  const retry =
    s.retry === undefined
      ? ''
      : ` Retry ${s.retry.attempt} in ${duration(s.retry.nextDelayMs)}${s.retry.exhausted ? ' (at the longest delay)' : ''}.`;
  const changes = `${count(s.pending)} local change${s.pending === 1 ? '' : 's'}`;
  const waiting =
    s.pending === 0 ? '' : direction === 'pull-only' ? ` Pull only: ${changes} ${s.pending === 1 ? 'stays' : 'stay'} on this device.` : ` ${changes} waiting.`;
  if (s.state === 'error') return `${s.error?.code ?? 'ERROR'}: ${clause(s.error?.message ?? 'sync failed')}.${retry}`;
  if (s.state === 'disconnected') {
    const why = offline ? 'Offline switch is on' : clause(s.error?.message ?? 'the server cannot be reached');
    return `Disconnected: ${why}.${retry}${waiting}`;
  }
  if (offline) return `Offline switch is on: edits stay on this device.${waiting}`;
  if (s.state === 'syncing') return 'Talking to the server…';
  if (!s.running) return `Background sync is off: use Sync now.${waiting}`;
  return s.pending > 0 ? `Background sync on.${waiting}` : 'Background sync on: up to date.';
}

/** A message as a clause: without its closing full stop (the sentence adds one). */
function clause(message: string): string {
  return message.replace(/[.\s]+$/, '');
}
