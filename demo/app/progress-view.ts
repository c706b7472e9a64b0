/** The initial-sync card: a progress bar with the real percentage of a catch-up. */
import type { SyncProgress } from 'pulsesync';
import { byId } from './dom.ts';
import { count, duration } from './format.ts';

/** Shows progress events of one catch-up after another. */
export class ProgressView {
  readonly #bar = byId('progress', HTMLProgressElement);
  readonly #label = byId('progress-label', HTMLElement);
  #startedAt: number | undefined;

  /** A progress event: batch by batch, `total` known from the first. */
  show(progress: SyncProgress): void {
    if (progress.batch === 1 || this.#startedAt === undefined) this.#startedAt = performance.now();
    const percent = progress.total === 0 ? 100 : Math.min(100, Math.floor((progress.totalPulled / progress.total) * 100));
    const done = !progress.hasMore;
    this.#set(done ? 100 : percent);
    if (done) {
      const took = duration(performance.now() - this.#startedAt);
      this.#label.textContent =
        progress.totalPulled === 0
          ? 'Up to date: nothing new on the server.'
          : `Caught up: ${count(progress.totalPulled)} changes in ${progress.batch} batch${progress.batch === 1 ? '' : 'es'} (${took}).`;
      this.#startedAt = undefined;
    } else {
      this.#label.textContent = `Catching up: ${count(progress.totalPulled)} of ${count(progress.total)} (${percent}%), batch ${progress.batch}`;
    }
  }

  /** A line of text instead of a figure (seeding, an error). */
  note(text: string): void {
    this.#label.textContent = text;
  }

  /** Back to an empty bar (a catch-up is about to start). */
  reset(text: string): void {
    this.#set(0);
    this.#label.textContent = text;
  }

  #set(percent: number): void {
    this.#bar.value = percent;
    this.#bar.dataset['percent'] = String(percent);
    this.#bar.setAttribute('aria-valuetext', `${percent}%`);
  }
}
