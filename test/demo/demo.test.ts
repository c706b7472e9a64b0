/**
 * The demo, driven the way a person uses it, in every engine: two devices (the second
 * with `?device=phone`) add and edit todos with real clicks and keys, one goes offline
 * with the page's switch, edits, comes back and syncs; both lists agree; a conflicting
 * edit lands in the conflict log; seeding 20,000 records fills the progress bar to 100%.
 * Screenshots of both devices go to test-output/. No console errors allowed (WebKit:
 * from just after each load, the page's own catch, as its driver has no event channel).
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BrowserEngine, EngineName, EnginePage } from '../../tools/browser-engine.ts';
import { startDemo, type RunningDemo } from '../../demo/start-demo.ts';
import { engines, launchEngine } from '../support/engines.ts';
import { waitFor } from '../support/wait.ts';

const OUTPUT = fileURLToPath(new URL('../../test-output/', import.meta.url));

interface Device {
  readonly name: string;
  readonly page: EnginePage;
}

interface Item {
  readonly title: string;
  readonly done: boolean;
}

/** The page still shows the document it first loaded: a marker set then is still there. */
declare global {
  interface Window {
    firstDocument?: boolean;
  }
}

/** The todo list as the device shows it. */
function items(device: Device): Promise<Item[]> {
  return device.page.evaluate(() =>
    [...document.querySelectorAll('#todo-list .todo')].map((row) => ({
      title: row.querySelector('.title')?.textContent ?? '',
      done: row.querySelector<HTMLInputElement>('input[type="checkbox"]')?.checked ?? false,
    })),
  );
}

function text(device: Device, selector: string): Promise<string> {
  return device.page.evaluate((s) => (document.querySelector(s) as HTMLElement | null)?.innerText ?? `(no ${s})`, selector);
}

function texts(device: Device, selector: string): Promise<string[]> {
  return device.page.evaluate((s) => [...document.querySelectorAll<HTMLElement>(s)].map((e) => e.innerText), selector);
}

/** A CSS attribute selector for an accessible name given with `aria-label`. */
function labelled(tag: string, label: string): string {
  return `${tag}[aria-label=${JSON.stringify(label)}]`;
}

async function addTodo(device: Device, title: string): Promise<void> {
  await device.page.fill('#new-title', title);
  await device.page.pressEnter('#new-title');
  await waitFor(`${title} on ${device.name}`, () => items(device), (list) => list.some((i) => i.title === title));
}

async function editTodo(device: Device, from: string, to: string): Promise<void> {
  await device.page.click(labelled('button', `Edit “${from}”`));
  const input = labelled('input', `New title for “${from}”`);
  await device.page.fill(input, to);
  await device.page.pressEnter(input);
  await waitFor(`${from} → ${to} on ${device.name}`, () => items(device), (list) => list.some((i) => i.title === to));
}

async function toggleTodo(device: Device, title: string): Promise<void> {
  await device.page.click(labelled('input', `Done: ${title}`));
}

/** Waits until every device shows the same list, containing `titles`; returns it. */
function converged(devices: readonly Device[], titles: readonly string[]): Promise<Item[][]> {
  return waitFor(
    `both lists to agree and hold ${titles.join(', ')}`,
    () => Promise.all(devices.map(items)),
    (lists) => {
      const first = JSON.stringify(lists[0]);
      return lists.every((l) => JSON.stringify(l) === first) && titles.every((t) => lists[0]?.some((i) => i.title === t));
    },
    { timeoutMs: 20_000 },
  );
}

/** Is the page on a new document (it reloaded itself) that is ready? Errors while it loads count as no. */
async function reloadedAndReady(device: Device): Promise<boolean> {
  return device.page.evaluate(() => window.firstDocument === undefined && document.body?.dataset['ready'] === 'true').catch(() => false);
}

describe.each(engines)('the demo page in %s', (engine: EngineName) => {
  let demo: RunningDemo | undefined;
  let browser: BrowserEngine | undefined;
  let dataDir: string | undefined;

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'pulsesync-demo-test-'));
    [demo, browser] = await Promise.all([startDemo({ port: 0, dataDir, watch: false }), launchEngine(engine)]);
  }, 90_000);

  afterAll(async () => {
    await browser?.close();
    await demo?.close();
    if (dataDir !== undefined) rmSync(dataDir, { recursive: true, force: true });
  }, 30_000);

  /** A new device: its own storage, the demo page open and ready. */
  async function openDevice(name: string, query: string): Promise<Device> {
    if (browser === undefined || demo === undefined) throw new Error('the demo is not running');
    const page = await (await browser.newDevice()).newPage();
    await page.setViewport(1180, 900);
    await page.goto(`${demo.url}${query}`);
    await page.waitForFunction(() => document.body.dataset['ready'] === 'true', undefined, 45_000);
    await page.evaluate(() => {
      window.firstDocument = true;
    });
    return { name, page };
  }

  it('syncs two devices by hand: edits, offline and back, a conflict, a 20,000-record catch-up', async () => {
    const laptop = await openDevice('laptop', '');
    const phone = await openDevice('phone', '?device=phone');
    expect(await text(laptop, '#device-name')).toBe('laptop');
    expect(await text(phone, '#device-name')).toBe('phone');

    // Both online: what one adds or edits shows on the other.
    await addTodo(laptop, 'Buy milk');
    await addTodo(laptop, 'Call mom');
    await addTodo(phone, 'Book flights');
    await converged([laptop, phone], ['Buy milk', 'Call mom', 'Book flights']);
    await addTodo(laptop, 'Temporary');
    await converged([laptop, phone], ['Temporary']);
    await phone.page.pressEnter(labelled('button', 'Delete “Temporary”'));
    await waitFor('Temporary gone from the laptop', () => items(laptop), (list) => !list.some((i) => i.title === 'Temporary'));
    await editTodo(phone, 'Buy milk', 'Buy oat milk');
    await toggleTodo(laptop, 'Book flights');
    const ordered = await converged([laptop, phone], ['Buy oat milk', 'Call mom', 'Book flights']);
    // Ordered by creation through the createdAt index; counts from count() on both devices.
    expect(ordered[0]?.map((i) => i.title)).toEqual(['Buy oat milk', 'Call mom', 'Book flights']);
    for (const device of [laptop, phone]) await waitFor(`the counts on ${device.name}`, () => text(device, '#todo-count'), (c) => c === '2 open · 1 done');

    // The laptop goes offline and keeps working locally.
    await laptop.page.click('#offline');
    await waitFor('laptop disconnected', () => text(laptop, '#status-pill'), (s) => s === 'disconnected');
    await addTodo(laptop, 'Plan the trip');
    await editTodo(laptop, 'Call mom', 'Call mom tonight');
    await waitFor('laptop changes pending', () => text(laptop, '#pending'), (n) => Number(n) >= 2);
    // Sync now while offline fails visibly, and sends nothing.
    await laptop.page.click('#sync-now');
    await waitFor('the offline failure on the laptop', () => text(laptop, '#notice'), (s) => s.includes('Sync now failed') && s.includes('offline'));
    // Meanwhile the phone edits the same todo, later: its edit is the newer one.
    await editTodo(phone, 'Call mom', 'Call mom on Sunday');
    await addTodo(phone, 'Water the plants');
    expect((await items(phone)).map((i) => i.title)).not.toContain('Plan the trip');

    // Back online: Sync now, and both lists agree.
    await laptop.page.click('#offline');
    await laptop.page.click('#sync-now');
    await phone.page.click('#sync-now');
    const [lists] = await Promise.all([
      converged([laptop, phone], ['Buy oat milk', 'Call mom on Sunday', 'Book flights', 'Plan the trip', 'Water the plants']),
      waitFor('laptop back to idle with nothing pending', async () => [await text(laptop, '#status-pill'), await text(laptop, '#pending')], ([s, n]) => s === 'idle' && n === '0'),
    ]);
    expect(lists[0]?.find((i) => i.title === 'Book flights')?.done).toBe(true);
    expect(lists[0]?.map((i) => i.title)).not.toContain('Call mom tonight');

    // The laptop's offline edit lost to the phone's newer one, and the log says so.
    const conflict = await waitFor('a conflict in the laptop log', () => texts(laptop, '#conflict-log li'), (l) => l.length > 0);
    expect(conflict.join('\n')).toContain('“Call mom on Sunday” won');
    expect(conflict.join('\n')).toContain('last-write-wins');

    // Seeding: the laptop catches up batch by batch, the bar shows real percentages.
    await laptop.page.evaluate(() => {
      const bar = document.getElementById('progress') as HTMLProgressElement;
      const seen: string[] = [];
      (window as unknown as { percents: string[] }).percents = seen;
      new MutationObserver(() => seen.push(bar.dataset['percent'] ?? '')).observe(bar, { attributeFilter: ['data-percent'] });
    });
    expect(await text(laptop, '#seed')).toBe('Seed server with 20,000 records');
    await laptop.page.click('#seed');
    const label = await waitFor('the catch-up to finish', () => text(laptop, '#progress-label'), (s) => s.startsWith('Caught up'), {
      timeoutMs: 45_000,
      everyMs: 200,
    });
    expect(label).toContain('20,000 changes');
    const percents = (await laptop.page.evaluate(() => (window as unknown as { percents: string[] }).percents)).map(Number);
    expect(percents.at(-1)).toBe(100);
    expect(percents.some((p) => p > 0 && p < 100)).toBe(true);
    await waitFor('the seeded records counted on both devices', () => Promise.all([text(laptop, '#archive-count'), text(phone, '#archive-count')]), (counts) =>
      counts.every((c) => c.includes('20,000 seeded records')),
      { timeoutMs: 45_000, everyMs: 250 },
    );
    // The archive pages 50 at a time through a live query of the collection.
    await waitFor('the first page of the archive', () => text(laptop, '#archive-page'), (p) => p === '1–50 of 20,000');
    expect(await texts(laptop, '#archive-list li')).toHaveLength(50);
    await laptop.page.click('#archive-next');
    await waitFor('the second page', () => text(laptop, '#archive-page'), (p) => p === '51–100 of 20,000');
    expect((await texts(laptop, '#archive-list li'))[0]).toMatch(/^Archived note 51 /);
    await laptop.page.click('#archive-prev');
    await waitFor('back on the first page', () => text(laptop, '#archive-page'), (p) => p === '1–50 of 20,000');

    // Background sync off: changes wait for Sync now. Then on again.
    expect(await text(laptop, '#toggle-background')).toBe('Stop background sync');
    await laptop.page.click('#toggle-background');
    await waitFor('laptop stopped', () => text(laptop, '#status-pill'), (s) => s === 'stopped');
    await addTodo(laptop, 'Sent by hand');
    await waitFor('the change pending', () => text(laptop, '#pending'), (n) => n === '1');
    await laptop.page.click('#sync-now');
    await waitFor('nothing pending after Sync now', () => text(laptop, '#pending'), (n) => n === '0');
    expect(await text(laptop, '#toggle-background')).toBe('Start background sync');
    await laptop.page.click('#toggle-background');
    await waitFor('laptop running again', () => text(laptop, '#status-pill'), (s) => s === 'idle');

    // Another policy makes a new client, which syncs as before.
    await phone.page.click('input[name="policy"][value="server-wins"]');
    await waitFor(
      'the new client in place',
      () => phone.page.evaluate(() => document.querySelector<HTMLInputElement>('input[name="policy"][value="server-wins"]')?.disabled === false),
      (enabled) => enabled,
    );
    await addTodo(phone, 'Made under server-wins');
    await converged([laptop, phone], ['Sent by hand', 'Made under server-wins']);

    // The phone forgets its data and reloads: a fresh initial sync of everything.
    await phone.page.click('#forget');
    await waitFor('the phone reloaded and ready', () => reloadedAndReady(phone), (yes) => yes, { timeoutMs: 45_000, everyMs: 200 });
    expect(await text(phone, '#progress-label')).toMatch(/^Caught up: 20,0\d\d changes in \d+ batches/);
    await converged([laptop, phone], ['Sent by hand', 'Made under server-wins', 'Buy oat milk']);
    await waitFor('the seeded records counted again on the phone', () => text(phone, '#archive-count'), (c) => c.includes('20,000 seeded records'));

    mkdirSync(OUTPUT, { recursive: true });
    await laptop.page.screenshot(join(OUTPUT, `demo-laptop-${engine}.png`));
    await phone.page.screenshot(join(OUTPUT, `demo-phone-${engine}.png`));
    await phone.page.setViewport(390, 844);
    await phone.page.screenshot(join(OUTPUT, `demo-phone-narrow-${engine}.png`));

    expect([...(await laptop.page.errors()), ...(await phone.page.errors())]).toEqual([]);
    // The laptop never reloaded; the phone did, once, when it forgot its data.
    expect(await laptop.page.evaluate(() => window.firstDocument)).toBe(true);
  }, 180_000);
});
