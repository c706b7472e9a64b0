/**
 * "Forget this device's data" asks first when writes are still waiting: they would be
 * lost. The SDK says so itself — `clearLocalData()` fails `PENDING_WRITES` with the
 * count — and the page asks before clearing with `{ discardPending: true }`.
 */
import { byId } from './dom.ts';
import { count } from './format.ts';

/** The confirmation dialog of index.html (`#forget-dialog`). */
export class ForgetDialog {
  readonly #dialog = byId('forget-dialog', HTMLDialogElement);
  readonly #text = byId('forget-text', HTMLElement);

  /** Asks whether to forget `pending` unsynced changes; resolves true to go ahead. */
  ask(pending: number): Promise<boolean> {
    const changes = `${count(pending)} change${pending === 1 ? '' : 's'}`;
    this.#text.textContent = `${changes} made on this device ${pending === 1 ? 'has' : 'have'} not reached the server yet. Forgetting the local data loses ${pending === 1 ? 'it' : 'them'} for good.`;
    return new Promise((resolve) => {
      this.#dialog.addEventListener('close', () => resolve(this.#dialog.returnValue === 'forget'), { once: true });
      this.#dialog.returnValue = '';
      this.#dialog.showModal();
    });
  }
}
