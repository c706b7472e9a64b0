/**
 * The demo page: one "device" with a todo list stored in pulsesync, and the controls to
 * watch and steer its sync. `?device=NAME` makes the page another device (its own
 * local database), so two windows can sync with each other through the server.
 */
import { createSyncClient, isSyncError, type ConflictPolicy, type PageChangeEvent, type RecordExplanation, type SyncDirection, type SyncErrorData, type WriteReceipt } from 'pulsesync';
import { ArchiveView } from './archive-view.ts';
import { ARCHIVE, demoCollections } from './collections.ts';
import { ConflictView } from './conflict-view.ts';
import { loadDemoConfig, replaceServerData, seedServer, type DemoConfig } from './demo-api.ts';
import { databaseName, deviceFromUrl, loadSettings, otherDeviceUrl, saveSettings, type DeviceSettings } from './device.ts';
import { byId } from './dom.ts';
import { ForgetDialog } from './forget-dialog.ts';
import { count, duration } from './format.ts';
import { encodeWorkerName, offlineChannelName, type OfflineMessage } from './offline-switch.ts';
import { OutboxView } from './outbox-view.ts';
import { ProgressView } from './progress-view.ts';
import { ResetView } from './reset-view.ts';
import { coalesced } from './schedule.ts';
import { SyncSession, type ClientFactory, type DemoClient } from './session.ts';
import { SyncView } from './sync-view.ts';
import { TodoListView } from './todo-view.ts';
import { newTodoId, todoFromRecord, todoValue, TODOS, type Todo } from './todos.ts';

const { name: device, invalid } = deviceFromUrl(location.search);
const dbName = databaseName(device);

const syncView = new SyncView();
const progressView = new ProgressView();
const conflictView = new ConflictView();
/** The current client's instance id: who "this device" is in the Conflicts card. */
let me: string | undefined;
const outboxView = new OutboxView();
const resetView = new ResetView();
const forgetDialog = new ForgetDialog();
const offlineBox = byId('offline', HTMLInputElement);
const syncNowButton = byId('sync-now', HTMLButtonElement);
const backgroundButton = byId('toggle-background', HTMLButtonElement);
const seedButton = byId('seed', HTMLButtonElement);
const forgetButton = byId('forget', HTMLButtonElement);
const replaceButton = byId('replace-server', HTMLButtonElement);
const directionSelect = byId('direction', HTMLSelectElement);
const policyRadios = [...document.querySelectorAll<HTMLInputElement>('input[name="policy"]')];

byId('device-name', HTMLElement).textContent = device;
byId('db-name', HTMLElement).textContent = dbName;
const otherLink = byId('other-device', HTMLAnchorElement);
otherLink.href = otherDeviceUrl(device);
otherLink.textContent = otherLink.href.includes('device=') ? 'Open a second device' : 'Open the first device';
document.title = `${device} · pulsesync demo`;

/** A failure as a person reads it. */
function describeError(error: unknown): string {
  if (typeof error === 'object' && error !== null && 'code' in error && 'message' in error) {
    const e = error as SyncErrorData;
    return `${e.code}: ${e.message}`;
  }
  return error instanceof Error ? error.message : String(error);
}

/** Runs a user action; a failure is shown on the page, never thrown at the console. */
async function act(what: string, run: () => Promise<unknown>): Promise<void> {
  try {
    await run();
  } catch (error) {
    syncView.showNotice(`${what} failed: ${describeError(error)}`, true);
  }
}

async function main(config: DemoConfig): Promise<void> {
  byId('server-url', HTMLElement).textContent = config.serverUrl;
  let offline = false;
  const offlineChannel = new BroadcastChannel(offlineChannelName(device));

  const factory: ClientFactory = (options) =>
    createSyncClient({
      ...options,
      collections: demoCollections,
      worker: new Worker(new URL('./demo-worker.ts', import.meta.url), {
        type: 'module',
        name: encodeWorkerName({ device, offline }),
      }),
    });

  // ---- todos ----
  const todoView = new TodoListView(byId('todo-list', HTMLUListElement), byId('todo-empty', HTMLElement), byId('todo-count', HTMLElement), {
    toggle: (todo) => void act('Saving', () => saveTodo({ ...todo, done: !todo.done }, { done: !todo.done })),
    rename: (todo, title) => void act('Saving', () => saveTodo({ ...todo, title }, { title })),
    remove: (todo) => void act('Deleting', async () => (await session.current()).collection('todos').delete(todo.id)),
  });

  /**
   * Saves an edit: the whole todo, or, field by field, only the field edited (`patch`),
   * so an edit of another field on another device stays beside it. (Not `updatedBy`:
   * every edit writing it would make every two concurrent edits fight over it; the
   * Conflicts card's "Why?" tells who wrote each field.)
   */
  async function saveTodo(todo: Todo, edited: Partial<Pick<Todo, 'title' | 'done'>>): Promise<WriteReceipt> {
    const client = await session.current();
    if (session.settings.policy === 'field-last-write-wins') return client.patch(TODOS, todo.id, edited);
    return client.collection('todos').put(todo.id, todoValue({ ...todo, updatedBy: device, updatedAt: Date.now() }));
  }

  /** Todos that arrived from another device since the list last rendered (they flash). */
  const arrived = new Set<string>();
  const archiveView = new ArchiveView(ARCHIVE, (error) => syncView.showNotice(`Reading the archive failed: ${describeError(error)}`, true));
  /** The todos as the live query last gave them, and which of them have a write waiting. */
  let shown: readonly Todo[] = [];
  let waiting: ReadonlySet<string> = new Set();

  /**
   * The views follow live queries of the current client: the todos in createdAt order
   * (an index), the open and done counts (count(), no list read), the archive a page
   * at a time. A settings change makes a new client: its views are watched anew.
   */
  function watchViews(client: DemoClient): () => void {
    const todos = client.collection('todos');
    const counts = { open: 0, done: 0 };
    const failed = (error: unknown): void => syncView.showNotice(`Reading todos failed: ${describeError(error)}`, true);
    const stops = [
      todos.watch({ orderBy: 'createdAt' }, (page) => {
        const flash = new Set(arrived);
        arrived.clear();
        shown = page.records.map(todoFromRecord);
        todoView.render(shown, flash, waiting);
      }, failed),
      ...(['open', 'done'] as const).map((which) =>
        todos.watchCount({ done: which === 'done' }, (n) => {
          counts[which] = n;
          todoView.showCounts(counts.open, counts.done);
        }, failed),
      ),
      archiveView.attach(client.collection(ARCHIVE)),
    ];
    return () => stops.forEach((stop) => stop());
  }
  let stopViews = (): void => undefined;

  /**
   * The "synced?" marks (which todos have a write still waiting: one log read in the
   * worker) and the outbox (what waits for the server, with values to show titles):
   * after a local write, an ack and a reset.
   */
  const refreshWaiting = coalesced(async () => {
    try {
      const client = await session.current();
      const [ids, pending] = await Promise.all([client.pendingIds(TODOS), client.pending({ values: true })]);
      waiting = new Set(ids);
      todoView.render(shown, new Set(), waiting);
      outboxView.show(pending);
    } catch (error) {
      syncView.showNotice(`Reading the outbox failed: ${describeError(error)}`, true);
    }
  });

  /** Marks todos that arrived from another device (the next render flashes them); views update by live queries. */
  function onChange(event: PageChangeEvent): void {
    for (const change of event.changes) {
      if (change.collective === TODOS && event.source === 'remote' && change.op === 'put') arrived.add(change.id);
    }
    if (event.source === 'local') refreshWaiting();
  }

  const session = new SyncSession(factory, { name: dbName, url: config.serverUrl, token: config.token }, loadSettings(device), {
    status: (status) => syncView.showStatus(status),
    progress: (progress) => progressView.show(progress),
    change: onChange,
    conflict: (conflict) => conflictView.add(conflict, (collective, id) => explainOn(collective, id)),
    error: (error) => syncView.showNotice(describeError(error), true),
    // The server dealt with writes: their marks and the outbox change.
    ack: () => refreshWaiting(),
    // Local data cleared (here, or in another tab of this device), or a client reset
    // (the server refused this device's cursor): the live queries answer again by
    // themselves; the marks and outbox are read anew.
    reset: (event) => {
      if (event.cause === 'local-data-cleared') progressView.reset('Local data forgotten: this device starts again from the server.');
      else resetView.show(event);
      refreshWaiting();
    },
    ready: () => {
      session.current().then(async (client) => (me = await client.instanceId()), () => undefined);
      stopViews();
      session.current().then((client) => {
        stopViews = watchViews(client);
      }, () => undefined); // closed meanwhile: nothing to watch
      refreshWaiting();
    },
  });

  /** A record's explanation on the current client, with who this device is. */
  async function explainOn(collective: string, id: string): Promise<{ explained: RecordExplanation; me: string | undefined }> {
    return { explained: await (await session.current()).explain(collective, id), me };
  }

  // ---- controls ----
  showSettings(session.settings);

  byId('add-form', HTMLFormElement).addEventListener('submit', (event) => {
    event.preventDefault();
    const input = byId('new-title', HTMLInputElement);
    const title = input.value.trim();
    if (title === '') return;
    const now = Date.now();
    input.value = '';
    input.focus();
    void act('Adding', async () =>
      (await session.current()).collection('todos').put(newTodoId(), todoValue({ title, done: false, createdAt: now, updatedBy: device, updatedAt: now })),
    );
  });

  syncNowButton.addEventListener('click', () => {
    syncNowButton.disabled = true;
    void act('Sync now', () => session.syncOnce()).finally(() => {
      syncNowButton.disabled = false;
    });
  });

  backgroundButton.addEventListener('click', () => {
    const on = !(syncView.status?.running ?? session.settings.background);
    backgroundButton.disabled = true;
    void act(on ? 'Starting background sync' : 'Stopping background sync', () => session.setBackground(on)).finally(() => {
      saveSettings(device, session.settings);
      backgroundButton.disabled = false;
    });
  });

  const setOffline = (value: boolean): void => {
    if (offline === value) return;
    offline = value;
    offlineBox.checked = value;
    syncView.showOffline(value);
  };
  offlineBox.addEventListener('change', () => {
    setOffline(offlineBox.checked);
    const message: OfflineMessage = { offline: offlineBox.checked };
    // Tells this device's worker (and its other tabs).
    offlineChannel.postMessage(message);
  });
  offlineChannel.onmessage = (event: MessageEvent<OfflineMessage>) => setOffline(event.data.offline);

  for (const radio of policyRadios) {
    radio.addEventListener('change', () => {
      if (radio.checked) void changeSettings(policyOf(radio.value), session.settings.direction);
    });
  }
  directionSelect.addEventListener('change', () => {
    const value = directionSelect.value;
    const direction = value === 'push-only' || value === 'pull-only' ? value : 'bidirectional';
    void changeSettings(session.settings.policy, direction);
  });

  function showSettings(settings: DeviceSettings): void {
    syncView.showDirection(settings.direction);
    for (const radio of policyRadios) radio.checked = radio.value === settings.policy;
    directionSelect.value = settings.direction;
  }

  async function changeSettings(policy: ConflictPolicy, direction: SyncDirection): Promise<void> {
    const controls = [backgroundButton, directionSelect, ...policyRadios];
    for (const control of controls) control.disabled = true;
    await act('Applying settings', () => session.configure(policy, direction));
    saveSettings(device, session.settings);
    showSettings(session.settings);
    for (const control of controls) control.disabled = false;
  }

  seedButton.addEventListener('click', () => {
    seedButton.disabled = true;
    progressView.reset(`Seeding the server with ${count(config.seedCount)} records…`);
    void act('Seeding', async () => {
      await session.catchUp(async () => {
        const result = await seedServer();
        progressView.reset(`The server took ${count(result.seeded)} records in ${duration(result.ms)}. Catching up…`);
      });
    }).finally(() => {
      seedButton.disabled = false;
    });
  });

  // Forget: the SDK clears the replica in every tab of this device (each gets `reset`
  // and, syncing, catches up again). It refuses while changes wait: then ask first.
  forgetButton.addEventListener('click', () => {
    forgetButton.disabled = true;
    void act('Forgetting local data', async () => {
      const client = await session.current();
      try {
        await client.clearLocalData();
      } catch (error) {
        if (!isSyncError(error, 'PENDING_WRITES')) throw error;
        const pending = Number(error.details?.['pending'] ?? 0);
        if (!(await forgetDialog.ask(pending))) {
          syncView.showNotice('Kept this device’s data and its unsynced changes.');
          return;
        }
        await client.clearLocalData({ discardPending: true });
      }
    }).finally(() => {
      forgetButton.disabled = false;
    });
  });

  // The server's data replaced: every device finds out at its next pull (CURSOR_AHEAD).
  replaceButton.addEventListener('click', () => {
    replaceButton.disabled = true;
    void act('Replacing the server’s data', async () => {
      const { ms } = await replaceServerData();
      syncView.showNotice(`The server restarted on its backup from the start of the demo (${duration(ms)}).`);
    }).finally(() => {
      replaceButton.disabled = false;
    });
  });

  addEventListener('pagehide', () => {
    stopViews();
    void session.close();
  });

  // ---- go ----
  await act('Starting sync', () => session.open());
  document.body.dataset['ready'] = 'true';
}

/** The policy a radio's value names. */
function policyOf(value: string): ConflictPolicy {
  return value === 'server-wins' || value === 'field-last-write-wins' ? value : 'last-write-wins';
}

if (invalid !== undefined) syncView.showNotice(`“${invalid}” is not a device name (letters, digits, - and _): using ${device}.`, true);
loadDemoConfig().then(main, (error: unknown) => {
  syncView.showNotice(describeError(error), true);
  progressView.note('The demo server is not answering: start it with npm run demo.');
});
