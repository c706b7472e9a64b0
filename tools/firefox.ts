/**
 * Drives Debian's Firefox ESR headless with puppeteer-core over WebDriver BiDi: the
 * Firefox driver of the browser tests. Playwright cannot drive it (it needs its own
 * patched Firefox), and geckodriver is not in Debian (its npm package downloads a
 * binary at install). A device is a BiDi user context (`createBrowserContext()`), with
 * its own storage; the offline switch is `page.setOfflineMode`, set on every tab of the
 * device, which cuts its workers' fetches too.
 */
import puppeteer, { type Browser, type BrowserContext, type ElementHandle, type Page } from 'puppeteer-core';
import type { BrowserEngine, EngineDevice, EnginePage } from './browser-engine.ts';

/** Where Debian puts Firefox ESR; override with FIREFOX_PATH. */
export const FIREFOX_PATH = process.env['FIREFOX_PATH'] ?? '/usr/bin/firefox-esr';

async function element(page: Page, selector: string): Promise<ElementHandle> {
  const found = await page.waitForSelector(selector, { timeout: 15_000 });
  if (found === null) throw new Error(`no element ${selector}`);
  return found;
}

function enginePage(page: Page): EnginePage {
  const errors: string[] = [];
  page.on('pageerror', (error) => errors.push(error instanceof Error ? (error.stack ?? error.message) : String(error)));
  page.on('console', (message) => {
    if (message.type() === 'error') errors.push(`console.error: ${message.text()} (${message.location().url ?? ''})`);
  });
  return {
    url: () => page.url(),
    goto: async (url) => {
      await page.goto(url, { waitUntil: 'load' });
    },
    // puppeteer types the argument by the function's parameters; ours is plain JSON.
    evaluate: (fn, arg) => (page.evaluate as (f: typeof fn, a: typeof arg) => Promise<never>)(fn, arg),
    waitForFunction: async (fn, arg, timeoutMs) => {
      await (page.waitForFunction as (f: typeof fn, o: { timeout: number; polling: number }, a: typeof arg) => Promise<unknown>)(
        fn,
        { timeout: timeoutMs, polling: 50 },
        arg,
      );
    },
    reload: async () => {
      await page.reload({ waitUntil: 'load' });
    },
    close: () => page.close(),
    errors: async () => errors,
    // Input goes to the tab in front: Firefox runs no animation frames in a device's tab
    // that is not (a locator waits for a stable box over two frames).
    click: async (selector) => {
      await page.bringToFront();
      await page.locator(selector).click();
    },
    fill: async (selector, text) => {
      await page.bringToFront();
      await page.locator(selector).fill(text);
    },
    pressEnter: async (selector) => {
      await page.bringToFront();
      await (await element(page, selector)).press('Enter');
    },
    setViewport: (width, height) => page.setViewport({ width, height }),
    screenshot: async (path) => {
      await page.screenshot({ path, fullPage: true });
    },
  };
}

function engineDevice(context: BrowserContext): EngineDevice {
  const pages = new Set<Page>();
  let offline = false;
  return {
    async newPage() {
      const page = await context.newPage();
      pages.add(page);
      page.once('close', () => pages.delete(page));
      if (offline) await page.setOfflineMode(true);
      return enginePage(page);
    },
    async setOffline(value) {
      offline = value;
      for (const page of pages) await page.setOfflineMode(value);
    },
    close: () => context.close().catch(() => undefined),
  };
}

/** Options of {@link firefoxEngine}. */
export interface FirefoxOptions {
  /**
   * Every window private (`browser.privatebrowsing.autostart`): IndexedDB kept in
   * memory for the session, as in a private window.
   */
  readonly privateBrowsing?: boolean;
}

/** Launches headless Firefox as a {@link BrowserEngine} (a fresh temporary profile). */
export async function firefoxEngine(options: FirefoxOptions = {}): Promise<BrowserEngine> {
  const browser: Browser = await puppeteer.launch({
    browser: 'firefox',
    executablePath: FIREFOX_PATH,
    headless: true,
    protocol: 'webDriverBiDi',
    // The test servers are on 127.0.0.1: no proxy lookups, no first-run pages.
    extraPrefsFirefox: {
      'network.proxy.type': 0,
      'browser.shell.checkDefaultBrowser': false,
      // navigator.storage.persist() asks the user, and headless nobody answers: Firefox's
      // testing prefs answer "no", as a user who declines would (Chromium's heuristics say no too).
      'dom.storageManager.prompt.testing': true,
      'dom.storageManager.prompt.testing.allow': false,
      ...(options.privateBrowsing === true ? { 'browser.privatebrowsing.autostart': true } : {}),
    },
  });
  return {
    name: 'firefox',
    newDevice: async () => engineDevice(await browser.createBrowserContext()),
    close: () => browser.close().catch(() => undefined),
  };
}
