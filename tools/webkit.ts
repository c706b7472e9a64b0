/**
 * Drives WebKit (Debian's WebKitGTK: its MiniBrowser through `WebKitWebDriver`) with
 * webdriverio over WebDriver classic: the WebKit driver of the browser tests.
 *
 * What this engine's automation lacks, and how the driver makes do:
 * - MiniBrowser has no headless mode (WebKitGTK 2.50): the engine starts its own Xvfb
 *   (tools/webkit-processes.ts).
 * - WebKitWebDriver holds one session at a time: each device is its own driver process
 *   and session (its own MiniBrowser, its own in-memory website data); a device's tabs
 *   are windows of that session, and every command first switches to its window.
 * - No BiDi: page errors are caught in the page, from just after each load on; an
 *   evaluation is started in the page and its outcome polled, so a long call in one
 *   tab does not hold the session while another tab is driven.
 * - No network emulation: `setOffline` is undefined; the harness cuts the device's link.
 */
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { remote } from 'webdriverio';
import type { BrowserEngine, EngineDevice, EnginePage } from './browser-engine.ts';
import { startDriver, startXvfb, WEBKIT_DRIVER_PATH } from './webkit-processes.ts';

export { WEBKIT_DRIVER_PATH } from './webkit-processes.ts';

type Session = Awaited<ReturnType<typeof remote>>;

/** The MiniBrowser of libwebkit2gtk-4.1 (under /usr/lib/<multiarch>/); override with WEBKIT_MINIBROWSER_PATH. */
export function miniBrowserPath(): string {
  const override = process.env['WEBKIT_MINIBROWSER_PATH'];
  if (override !== undefined) return override;
  for (const dir of readdirSync('/usr/lib')) {
    const candidate = join('/usr/lib', dir, 'webkit2gtk-4.1', 'MiniBrowser');
    if (existsSync(candidate)) return candidate;
  }
  throw new Error('WebKit: no MiniBrowser under /usr/lib/*/webkit2gtk-4.1/ (install webkit2gtk-driver, which brings libwebkit2gtk-4.1)');
}

/** How often a pending evaluation is polled, and how long the first answer is awaited in the page. */
const POLL_MS = 20;
const FIRST_WAIT_MS = 250;

/** Runs one call at a time: the session has one current window. */
function serial(): <T>(call: () => Promise<T>) => Promise<T> {
  let tail: Promise<unknown> = Promise.resolve();
  return (call) => {
    const run = tail.then(call, call);
    tail = run.catch(() => undefined);
    return run;
  };
}

/** Catches uncaught errors and console.error in the page from now on (no BiDi to hear them). */
const CAPTURE_ERRORS = `
  if (!window.__engineErrors) {
    const seen = (window.__engineErrors = []);
    window.addEventListener('error', (e) => seen.push(String((e.error && e.error.stack) || e.message)));
    window.addEventListener('unhandledrejection', (e) => seen.push('unhandled rejection: ' + String((e.reason && e.reason.stack) || e.reason)));
    const original = console.error;
    console.error = function (...args) {
      seen.push('console.error: ' + args.map(String).join(' '));
      return original.apply(this, args);
    };
  }
  return true;`;

/** Starts `fn(arg)` in the page; answers with its outcome if it settles within the first wait. */
function startSource(fn: (arg: never) => unknown): string {
  return `
  const [arg, id, firstWaitMs, done] = arguments;
  const calls = (window.__engineCalls = window.__engineCalls || {});
  calls[id] = { done: false };
  let answered = false;
  const answer = () => {
    if (answered) return;
    answered = true;
    const call = calls[id];
    if (call.done) delete calls[id];
    done(call);
  };
  Promise.resolve()
    .then(() => (${fn.toString()})(arg === null ? undefined : arg))
    .then(
      (value) => (calls[id] = { done: true, ok: true, json: value === undefined ? undefined : JSON.stringify(value) }),
      (error) => (calls[id] = { done: true, ok: false, message: String(error && error.message !== undefined ? error.message : error), stack: String((error && error.stack) || '') }),
    )
    .then(answer);
  setTimeout(answer, firstWaitMs);`;
}

const POLL_SOURCE = `
  const calls = window.__engineCalls;
  const call = calls && calls[arguments[0]];
  if (call === undefined) return { lost: true };
  if (call.done) delete calls[arguments[0]];
  return call;`;

interface CallState {
  readonly lost?: boolean;
  readonly done?: boolean;
  readonly ok?: boolean;
  readonly json?: string;
  readonly message?: string;
  readonly stack?: string;
}

let nextCall = 0;

class WebKitPage implements EnginePage {
  #url = 'about:blank';
  /** Errors read from documents this tab has left (a reload loses the page's own list). */
  readonly #earlier: string[] = [];

  constructor(
    readonly session: Session,
    readonly handle: string,
    readonly inWindow: <T>(handle: string, call: () => Promise<T>) => Promise<T>,
  ) {}

  url(): string {
    return this.#url;
  }

  async goto(url: string): Promise<void> {
    await this.#keepErrors();
    await this.inWindow(this.handle, async () => {
      await this.session.url(url);
      await this.session.execute(CAPTURE_ERRORS);
    });
    this.#url = url;
  }

  async evaluate<R, A = undefined>(fn: (arg: A) => R | Promise<R>, arg?: A): Promise<Awaited<R>> {
    const id = `c${++nextCall}`;
    let state = await this.inWindow(this.handle, () =>
      this.session.executeAsync(startSource(fn as (arg: never) => unknown), arg ?? null, id, FIRST_WAIT_MS) as Promise<CallState>,
    );
    while (state.done !== true) {
      if (state.lost === true) throw new Error(`evaluate: the page of ${this.#url} went away (reloaded or closed) before the call ended`);
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
      state = await this.inWindow(this.handle, () => this.session.execute(POLL_SOURCE, id) as Promise<CallState>);
    }
    if (state.ok !== true) {
      const error = new Error(state.message ?? 'evaluation failed in the page');
      error.stack = `Error: ${state.message ?? ''}\n    (in WebKit)\n${state.stack ?? ''}`;
      throw error;
    }
    return (state.json === undefined ? undefined : JSON.parse(state.json)) as Awaited<R>;
  }

  async waitForFunction<A>(fn: (arg: A) => unknown, arg: A, timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    let last: unknown;
    while (Date.now() < deadline) {
      try {
        // `fn` goes to the page as source, alone: wrapping it in a closure here would lose it.
        if (Boolean(await this.evaluate(fn, arg))) return;
      } catch (error) {
        last = error; // not there yet (a document still loading): try again
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    throw new Error(`waitForFunction: not true within ${timeoutMs} ms${last === undefined ? '' : ` (last error: ${String(last)})`}`);
  }

  async reload(): Promise<void> {
    await this.#keepErrors();
    await this.inWindow(this.handle, async () => {
      await this.session.refresh();
      await this.session.execute(CAPTURE_ERRORS);
    });
  }

  async close(): Promise<void> {
    await this.inWindow(this.handle, () => this.session.closeWindow());
  }

  async errors(): Promise<readonly string[]> {
    return [...this.#earlier, ...(await this.#pageErrors())];
  }

  click(selector: string): Promise<void> {
    return this.inWindow(this.handle, async () => {
      await (await this.session.$(selector)).click();
    });
  }

  fill(selector: string, text: string): Promise<void> {
    return this.inWindow(this.handle, async () => {
      await (await this.session.$(selector)).setValue(text);
    });
  }

  pressEnter(selector: string): Promise<void> {
    return this.inWindow(this.handle, async () => {
      await (await this.session.$(selector)).addValue('\uE007');
    });
  }

  setViewport(width: number, height: number): Promise<void> {
    return this.inWindow(this.handle, () => this.session.setWindowSize(width, height));
  }

  screenshot(path: string): Promise<void> {
    return this.inWindow(this.handle, async () => {
      await this.session.saveScreenshot(path);
    });
  }

  async #pageErrors(): Promise<string[]> {
    return this.inWindow(this.handle, () => this.session.execute('return window.__engineErrors || [];') as Promise<string[]>).catch(() => []);
  }

  async #keepErrors(): Promise<void> {
    this.#earlier.push(...(await this.#pageErrors()));
  }
}

/** A device: one WebKitWebDriver, one session (one MiniBrowser), its windows as tabs. */
async function openDevice(display: string): Promise<EngineDevice> {
  const driver = await startDriver(display);
  let session: Session;
  try {
    session = await remote({
      hostname: '127.0.0.1',
      port: driver.port,
      path: '/',
      logLevel: 'silent',
      connectionRetryCount: 0,
      capabilities: {
        browserName: 'MiniBrowser',
        'wdio:enforceWebDriverClassic': true,
        // WebKitGTK's own capability (webdriverio types only the ones it knows).
        ...({ 'webkitgtk:browserOptions': { binary: miniBrowserPath(), args: ['--automation'] } } as Record<string, unknown>),
      },
    });
  } catch (error) {
    driver.process.kill('SIGKILL');
    throw error;
  }
  const run = serial();
  let current = await session.getWindowHandle();
  let firstUnused: string | undefined = current;
  const inWindow = <T>(handle: string, call: () => Promise<T>): Promise<T> =>
    run(async () => {
      if (current !== handle) {
        await session.switchToWindow(handle);
        current = handle;
      }
      return call();
    });
  return {
    async newPage() {
      let handle = firstUnused;
      firstUnused = undefined;
      handle ??= await run(async () => (await session.createWindow('tab')).handle);
      return new WebKitPage(session, handle, inWindow);
    },
    setOffline: undefined,
    async close() {
      await session.deleteSession().catch(() => undefined);
      driver.process.kill('SIGTERM');
    },
  };
}

/** Starts Xvfb and returns WebKit as a {@link BrowserEngine}; each device starts its own driver. */
export async function webkitEngine(): Promise<BrowserEngine> {
  miniBrowserPath(); // fail now, with the install hint, rather than at the first device
  if (!existsSync(WEBKIT_DRIVER_PATH)) throw new Error(`WebKit: no ${WEBKIT_DRIVER_PATH} (install webkit2gtk-driver)`);
  const xvfb = await startXvfb();
  const devices = new Set<EngineDevice>();
  return {
    name: 'webkit',
    async newDevice() {
      const device = await openDevice(xvfb.display);
      devices.add(device);
      return {
        newPage: () => device.newPage(),
        setOffline: undefined,
        async close() {
          devices.delete(device);
          await device.close();
        },
      };
    },
    async close() {
      for (const device of devices) await device.close();
      devices.clear();
      xvfb.process.kill('SIGTERM');
    },
  };
}
