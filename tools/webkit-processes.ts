/**
 * The processes WebKit's automation needs, started for tools/webkit.ts: an X display
 * (Xvfb: WebKitGTK 2.50's MiniBrowser has no headless mode) and a WebKitWebDriver on a
 * free port (it holds one session at a time, so one per device). Both are tracked by
 * tools/children.ts, so they die with the test run however it ends.
 */
import type { ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { spawnTracked } from './children.ts';

/** WebKitWebDriver, from Debian's webkit2gtk-driver; override with WEBKIT_DRIVER_PATH. */
export const WEBKIT_DRIVER_PATH = process.env['WEBKIT_DRIVER_PATH'] ?? '/usr/bin/WebKitWebDriver';

/** Starts Xvfb on a display it picks itself (`-displayfd`); resolves to `:N` and the process. */
export async function startXvfb(): Promise<{ display: string; process: ChildProcess }> {
  const child = spawnTracked('Xvfb', ['-displayfd', '3', '-screen', '0', '1280x1024x24', '-nolisten', 'tcp'], {
    stdio: ['ignore', 'ignore', 'pipe', 'pipe'],
  });
  const display = await new Promise<string>((resolve, reject) => {
    let stderr = '';
    let out = '';
    const timer = setTimeout(() => reject(new Error(`Xvfb did not start within 15 s: ${stderr.slice(-400)}`)), 15_000);
    child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(new Error(`Xvfb could not start (install xvfb): ${error.message}`));
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`Xvfb exited with ${code}: ${stderr.slice(-400)}`));
    });
    (child.stdio[3] as NodeJS.ReadableStream).on('data', (chunk: Buffer) => {
      out += chunk.toString();
      if (out.includes('\n')) {
        clearTimeout(timer);
        resolve(`:${out.trim()}`);
      }
    });
  });
  return { display, process: child };
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === 'string') throw new Error('no free port');
  return address.port;
}

/** Starts a WebKitWebDriver on `display` and waits until it answers `/status`. */
export async function startDriver(display: string): Promise<{ port: number; process: ChildProcess }> {
  const port = await freePort();
  // Its output (and its MiniBrowser's GTK warnings) is read as it comes, keeping the tail
  // for an error message: an unread pipe fills and stalls the browser.
  const child = spawnTracked(WEBKIT_DRIVER_PATH, [`--port=${port}`, '--host=127.0.0.1'], { env: { ...process.env, DISPLAY: display } });
  let output = '';
  const keep = (chunk: Buffer): void => {
    output = (output + chunk.toString()).slice(-2_000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  let exited: string | undefined;
  child.once('error', (error) => (exited = `could not start ${WEBKIT_DRIVER_PATH} (install webkit2gtk-driver): ${error.message}`));
  child.once('exit', (code) => (exited ??= `exited with ${code}: ${output.slice(-500)}`));
  const deadline = Date.now() + 15_000;
  while (Date.now() < deadline) {
    if (exited !== undefined) throw new Error(`WebKitWebDriver ${exited}`);
    const ready = await fetch(`http://127.0.0.1:${port}/status`).then(
      (response) => response.ok,
      () => false,
    );
    if (ready) return { port, process: child };
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  child.kill('SIGKILL');
  throw new Error('WebKitWebDriver did not answer within 15 s');
}
