/**
 * The reset line of the sync card: what the last client reset did. The server refused
 * this device's pull cursor (its data was replaced, or its tombstones outlived), so the
 * device pulled a fresh snapshot, kept its unsynced changes and dropped what the server
 * no longer holds. Told by the SDK's `reset` events (started, then done or failed).
 */
import type { SnapshotResetEvent } from 'pulsesync';
import { byId } from './dom.ts';
import { count } from './format.ts';

/** Why, as a person reads it. */
const CAUSES: Record<SnapshotResetEvent['cause'], string> = {
  'cursor-ahead': 'the server’s data was replaced (its versions are behind this device’s cursor)',
  'cursor-expired': 'this device was away longer than the server keeps deletes',
};

/** Shows the latest client reset. */
export class ResetView {
  readonly #line = byId('reset-line', HTMLElement);

  show(event: SnapshotResetEvent): void {
    const why = CAUSES[event.cause];
    this.#line.hidden = false;
    this.#line.dataset['phase'] = event.phase;
    this.#line.dataset['cause'] = event.cause;
    this.#line.textContent =
      event.phase === 'started'
        ? `Reset: ${why}. Pulling a fresh snapshot; unsynced changes are kept…`
        : event.phase === 'done'
          ? `Reset done (${event.cause}): fresh snapshot in, ${count(event.dropped ?? 0)} record${event.dropped === 1 ? '' : 's'} the server no longer holds dropped, unsynced changes kept.`
          : `Reset failed (${event.cause}): the server refused the fresh snapshot too; sync retries later.`;
  }
}
