/**
 * The API of react.html (`window.reactApp`): a small React app of todos over
 * `pulsesync/react` (useQuery, useCount, useRecord, useSyncStatus), mounted with the
 * declaration the test asks for, so a test can drive it and read what it renders.
 * Types only, so the Node side type-checks without the page bundle.
 */

/** How the app's client is made. */
export interface ReactAppOptions {
  readonly name: string;
  readonly url: string;
  readonly token: string;
  /** Indexes of `todos`. Default ['createdAt']. */
  readonly indexes?: readonly (string | readonly string[])[];
  /** App-data version 2: todos have a priority, older ones read as 'normal'. */
  readonly version2?: boolean;
}

/** What the app shows. */
export interface ReactAppView {
  /** The todos, in createdAt order: `title` (version 2: `title (priority)`). */
  readonly todos: readonly string[];
  /** The open todos' count, as rendered. */
  readonly open: string;
  /** The title of todo `t1`, or `(none)`. */
  readonly first: string;
  /** The sync state shown. */
  readonly status: string;
  /** Renders so far (to see that a change re-renders). */
  readonly renders: number;
}

/** `window.reactApp`. */
export interface ReactAppApi {
  mount(options: ReactAppOptions): Promise<void>;
  /** Writes a todo through the collection (its schema checks it). */
  add(id: string, title: string, createdAt: number, done?: boolean): Promise<void>;
  view(): ReactAppView;
  /** Codes of the client's `error` events so far. */
  errors(): readonly string[];
  start(): Promise<void>;
  syncOnce(): Promise<void>;
  /** Unmounts the app and closes its client. */
  unmount(): Promise<void>;
}

declare global {
  interface Window {
    reactApp: ReactAppApi;
  }
}
