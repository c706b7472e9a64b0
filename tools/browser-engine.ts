/**
 * The seam between the browser tests and the browser automation under them: the few
 * calls a test makes of a page (evaluate, wait for a condition, reload, close, a little
 * real input for the demo) and of a device (open a tab, go offline). Chromium is
 * driven with playwright-core (tools/chromium.ts), Firefox with puppeteer-core over
 * WebDriver BiDi (tools/firefox.ts), WebKit with webdriverio through WebKitGTK's
 * WebKitWebDriver (tools/webkit.ts); each test file runs unchanged in every engine.
 */

/** The engines the browser suites run in. */
export const ENGINE_NAMES = ['chromium', 'firefox', 'webkit'] as const;

/** One of {@link ENGINE_NAMES}. */
export type EngineName = (typeof ENGINE_NAMES)[number];

/** One tab. */
export interface EnginePage {
  /** The URL last navigated to. */
  url(): string;
  /** Navigates and waits for the document's load. */
  goto(url: string): Promise<void>;
  /**
   * Runs `fn(arg)` in the page and returns its (awaited) result. `fn` is sent as source,
   * so it may use only its argument and the page's globals; a throw or rejection in the
   * page rejects with an Error carrying the page's message.
   */
  evaluate<R, A = undefined>(fn: (arg: A) => R | Promise<R>, arg?: A): Promise<Awaited<R>>;
  /** Waits until `fn(arg)` is truthy in the page; rejects after `timeoutMs`. */
  waitForFunction<A>(fn: (arg: A) => unknown, arg: A, timeoutMs: number): Promise<void>;
  /** Reloads the document (its workers die with it) and waits for its load. */
  reload(): Promise<void>;
  /** Closes the tab. */
  close(): Promise<void>;
  /**
   * Uncaught errors and `console.error`s seen in the page so far. Chromium and Firefox
   * report them from the start (workers' console too); WebKit has no event channel over
   * WebDriver classic, so they are caught in the page from just after each load on.
   */
  errors(): Promise<readonly string[]>;
  /** Clicks the element matching `selector` (CSS) as a user would. */
  click(selector: string): Promise<void>;
  /** Replaces the text of the input matching `selector`, typing it. */
  fill(selector: string, text: string): Promise<void>;
  /** Presses Enter in the element matching `selector`. */
  pressEnter(selector: string): Promise<void>;
  /** Resizes the viewport (WebKit: the window). */
  setViewport(width: number, height: number): Promise<void>;
  /** Saves a PNG of the viewport at `path`. */
  screenshot(path: string): Promise<void>;
}

/** A device: its own storage (IndexedDB, locks, channels), with one or more tabs. */
export interface EngineDevice {
  /** Opens a blank tab of this device. */
  newPage(): Promise<EnginePage>;
  /**
   * The browser's own offline switch, where the engine has one (requests fail and
   * `navigator.onLine` turns false); undefined where it has none (WebKit over WebDriver
   * classic), and the harness cuts the device's link to the server instead.
   */
  readonly setOffline: ((offline: boolean) => Promise<void>) | undefined;
  /** Closes every tab and the device's storage with it. */
  close(): Promise<void>;
}

/** A running browser engine. */
export interface BrowserEngine {
  readonly name: EngineName;
  /** A new device with its own storage partition. */
  newDevice(): Promise<EngineDevice>;
  /** Ends the browser and everything it started. */
  close(): Promise<void>;
}
