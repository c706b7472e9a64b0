/**
 * Headless Chromium with a real profile on disk. Why not playwright's `launch()` +
 * `newContext()` (tools/chromium.ts): those contexts are off the record, and Chromium
 * keeps an off-the-record profile's IndexedDB in memory — every write would be measured
 * against RAM, not the disk an app's users have (and a million records hit the
 * in-memory quota). `launchPersistentContext` has a disk profile but no browser-level
 * CDP session, which the worker needs. So we start /usr/bin/chromium ourselves with a
 * fresh user-data dir and a DevTools port, and connect playwright-core over CDP: the
 * default context is the on-disk profile. The bench measures with it; the crash test
 * kills it (`crash()`, every process at once) and starts it again on the same profile.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type BrowserContext, type CDPSession } from 'playwright-core';
import { spawnTracked } from './children.ts';
import { CHROMIUM_PATH } from './chromium.ts';

/** The flags of the bench's Chromium; the last three keep background work out of the figures. */
const FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

/** A running Chromium with its profile on disk. */
export interface DiskChromium {
  readonly browser: Browser;
  /** The default context: the on-disk profile. */
  readonly context: BrowserContext;
  readonly userDataDir: string;
  /** A browser-level CDP session (for worker targets). */
  cdp(): Promise<CDPSession>;
  /** Disconnects, ends the process and deletes the profile (unless it was given). */
  close(): Promise<void>;
  /**
   * Kills the browser and all its processes with SIGKILL, as a power cut or the OS's
   * OOM killer would: no shutdown, no flush. The profile stays for a relaunch.
   */
  crash(): Promise<void>;
}

/** Options of {@link launchOnDisk}. */
export interface OnDiskOptions {
  /** The profile to run on (kept afterwards); default a fresh one, deleted by `close()`. */
  readonly userDataDir?: string;
}

/** Starts Chromium on a fresh user-data dir and connects to it. */
export async function launchOnDisk(options: OnDiskOptions = {}): Promise<DiskChromium> {
  const userDataDir = options.userDataDir ?? mkdtempSync(join(tmpdir(), 'pulsesync-bench-chromium-'));
  const ownProfile = options.userDataDir === undefined;
  // A crashed run leaves its port file behind; the new run writes its own.
  rmSync(join(userDataDir, 'DevToolsActivePort'), { force: true });
  // Its own process group, so crash() reaches the renderers and utility processes too.
  const child = spawnTracked(CHROMIUM_PATH, [...FLAGS, `--user-data-dir=${userDataDir}`, '--remote-debugging-port=0', 'about:blank'], { detached: true });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  // Keep draining output so a chatty browser never blocks on a full pipe.
  child.stdout?.resume();
  child.stderr?.resume();
  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
        child.once('exit', () => {
          clearTimeout(timer);
          resolve();
        });
        child.kill('SIGTERM');
      });
    }
    if (!ownProfile) return;
    // A helper process of Chromium (its own group) may still be writing the profile as
    // the browser exits (ENOTEMPTY): end the group, retry, and never fail a finished run on it.
    try {
      if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
    } catch {
      // The group is gone already.
    }
    try {
      rmSync(userDataDir, { recursive: true, force: true, maxRetries: 10, retryDelay: 200 });
    } catch (error) {
      console.error(`could not remove the Chromium profile ${userDataDir}: ${String(error)}`);
    }
  };
  try {
    // Chromium writes the port it chose, and the browser target's path, to DevToolsActivePort.
    const portFile = join(userDataDir, 'DevToolsActivePort');
    const deadline = Date.now() + 30_000;
    while (!existsSync(portFile) || readFileSync(portFile, 'utf8').split('\n').length < 2) {
      if (child.exitCode !== null) throw new Error(`${CHROMIUM_PATH} exited with ${child.exitCode} before opening its DevTools port`);
      if (Date.now() > deadline) throw new Error(`${CHROMIUM_PATH} opened no DevTools port within 30 s`);
      await new Promise((r) => setTimeout(r, 100));
    }
    const [port, path] = readFileSync(portFile, 'utf8').split('\n');
    const browser = await chromium.connectOverCDP(`ws://127.0.0.1:${port}${path}`);
    const context = browser.contexts()[0];
    if (context === undefined) throw new Error('Chromium over CDP has no default context');
    let session: CDPSession | undefined;
    return {
      browser,
      context,
      userDataDir,
      async cdp() {
        session ??= await browser.newBrowserCDPSession();
        return session;
      },
      async close() {
        await browser.close().catch(() => undefined);
        await stop();
      },
      async crash() {
        if (child.pid !== undefined && child.exitCode === null && child.signalCode === null) process.kill(-child.pid, 'SIGKILL');
        await exited;
        // The group's other processes die with the signal too; give the kernel a moment to reap them.
        await new Promise((r) => setTimeout(r, 200));
      },
    };
  } catch (error) {
    await stop();
    throw error;
  }
}
