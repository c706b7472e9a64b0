/**
 * react.html: a todo list in React over `pulsesync/react`, as an app would write it
 * (createElement rather than JSX, to keep the test build plain), behind
 * `window.reactApp` (react-api.ts) for the Node test.
 */
import { createElement, type ReactElement } from 'react';
import { createRoot, type Root } from 'react-dom/client';
import * as v from 'valibot';
import { createSyncClient, defineCollections, type SyncClient } from '../../../src/client/index.ts';
import type { Collection } from '../../../src/client/collection-types.ts';
import { useCount, useQuery, useRecord, useSyncStatus } from '../../../src/react/index.ts';
import type { ReactAppApi, ReactAppOptions, ReactAppView } from './react-api.ts';
import './page-api.ts';

const Todo = v.object({
  title: v.pipe(v.string(), v.minLength(1)),
  done: v.boolean(),
  createdAt: v.number(),
  priority: v.optional(v.picklist(['low', 'normal', 'high'])),
});
type Todo = v.InferOutput<typeof Todo>;

let client: SyncClient | undefined;
let todos: Collection<Todo> | undefined;
let root: Root | undefined;
let renders = 0;
const errors: string[] = [];

function App(props: { readonly client: SyncClient; readonly todos: Collection<Todo> }): ReactElement {
  renders++;
  const list = useQuery(props.todos, { orderBy: 'createdAt' });
  const open = useCount(props.todos, { done: false });
  const first = useRecord(props.todos, 't1');
  const status = useSyncStatus(props.client);
  return createElement(
    'main',
    null,
    createElement(
      'ul',
      { id: 'todos' },
      list.data?.records.map((r) => createElement('li', { key: r.id }, r.value.priority === undefined ? r.value.title : `${r.value.title} (${r.value.priority})`)),
    ),
    createElement('p', { id: 'open' }, open.data === undefined ? '' : String(open.data)),
    createElement('p', { id: 'first' }, first.data?.title ?? '(none)'),
    createElement('p', { id: 'status' }, status.state),
  );
}

function text(selector: string): string {
  return document.querySelector(selector)?.textContent ?? '';
}

function mounted(): { client: SyncClient; todos: Collection<Todo> } {
  if (client === undefined || todos === undefined) throw new Error('mount() first');
  return { client, todos };
}

const api: ReactAppApi = {
  async mount(options: ReactAppOptions) {
    const declaration = options.version2 === true
      ? { schema: Todo, indexes: options.indexes ?? ['createdAt'], version: 2, migrate: (value: unknown) => ({ ...(value as Todo), priority: 'normal' as const }) }
      : { schema: Todo, indexes: options.indexes ?? ['createdAt'] };
    // The page's default worker: with collections declared, pulsesync's collections worker.
    const made = createSyncClient({ name: options.name, url: options.url, token: options.token, collections: defineCollections({ todos: declaration }) });
    client = made;
    made.on('error', (error) => errors.push(error.code));
    await made.ready;
    todos = made.collection('todos') as unknown as Collection<Todo>;
    root = createRoot(document.getElementById('root') as HTMLElement);
    root.render(createElement(App, { client, todos }));
  },
  add: async (id, title, createdAt, done = false) => {
    await mounted().todos.put(id, { title, done, createdAt });
  },
  view: (): ReactAppView => ({
    todos: [...document.querySelectorAll('#todos li')].map((li) => li.textContent ?? ''),
    open: text('#open'),
    first: text('#first'),
    status: text('#status'),
    renders,
  }),
  errors: () => errors,
  start: () => mounted().client.start(),
  syncOnce: () => mounted().client.syncOnce(),
  async unmount() {
    root?.unmount();
    await client?.close();
    client = undefined;
    todos = undefined;
  },
};

window.reactApp = api;
window.testPageReady = true;
