/**
 * The demo, driven the way a person uses it, in every engine: two devices (the second
 * with `?device=phone`) add and edit todos with real clicks and keys, one goes offline
 * with the page's switch, edits (its outbox and "synced?" marks show what waits), comes
 * back and syncs; both lists agree; a conflicting edit lands in the conflict log;
 * seeding 20,000 records fills the progress bar to 100%; Forget asks first while a
 * change waits, then clears the phone in both of its tabs, which catch up again without
 * a reload; the server's data is replaced by its backup from the start, and every tab
 * runs a client reset (its reset line says so), the laptop's offline change kept and
 * delivered. Screenshots of both devices go to test-output/. No console errors allowed
 * (WebKit: from just after each load, the page's own catch, as its driver has no event
 * channel).
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BrowserEngine, EngineDevice, EngineName, EnginePage } from '../../tools/browser-engine.ts';
import { startDemo, type RunningDemo } from '../../demo/start-demo.ts';
import { engines, launchEngine } from '../support/engines.ts';
import { waitFor } from '../support/wait.ts';

const OUTPUT = fileURLToPath(new URL('../../test-output/', import.meta.url));

interface Device {
  readonly name: string;
  readonly page: EnginePage;
  /** The browser device the tab belongs to (its storage); another tab opens there. */
  readonly storage: EngineDevice;
}

interface Item {
  readonly title: string;
  readonly done: boolean;
  /** Its "synced?" mark. */
  readonly synced: boolean;
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
      synced: row.querySelector<HTMLElement>('.sync-mark')?.dataset['synced'] === 'true',
    })),
  );
}

/** What the outbox card lists. */
function outbox(device: Device): Promise<string[]> {
  return texts(device, '#outbox-list li');
}

/** Is the Forget dialog open? */
function dialogOpen(device: Device): Promise<boolean> {
  return device.page.evaluate(() => document.querySelector<HTMLDialogElement>('#forget-dialog')?.open === true);
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
    if (browser === undefined) throw new Error('the demo is not running');
    return openTab(name, await browser.newDevice(), query);
  }

  /** A tab of `storage` (a new device's first, or another of the same device), the demo page open and ready. */
  async function openTab(name: string, storage: EngineDevice, query: string): Promise<Device> {
    if (demo === undefined) throw new Error('the demo is not running');
    const page = await storage.newPage();
    await page.setViewport(1180, 900);
    await page.goto(`${demo.url}${query}`);
    await page.waitForFunction(() => document.body.dataset['ready'] === 'true', undefined, 45_000);
    await page.evaluate(() => {
      window.firstDocument = true;
    });
    return { name, page, storage };
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
    // The outbox lists them, and their todos are marked as not synced; the others are.
    const waiting = await waitFor('the outbox to list the offline edits', () => outbox(laptop), (rows) => rows.length >= 2);
    expect(waiting.join('\n')).toContain('Plan the trip');
    const marks = await waitFor('the marks', () => items(laptop), (list) => list.some((i) => i.title === 'Plan the trip' && !i.synced));
    expect(marks.find((i) => i.title === 'Buy oat milk')?.synced).toBe(true);
    mkdirSync(OUTPUT, { recursive: true });
    await laptop.page.screenshot(join(OUTPUT, `demo-laptop-offline-outbox-${engine}.png`));
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
    await waitFor('every laptop todo synced, its outbox empty', async () => [await items(laptop), await outbox(laptop)] as const, ([list, rows]) =>
      list.every((i) => i.synced) && rows.length === 0,
    );
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

    // Forget on the phone, with a second tab of it open. A change waits: it asks first.
    const phoneTab = await openTab('phone (2nd tab)', phone.storage, '?device=phone');
    await phone.page.click('#offline');
    await addTodo(phone, 'Not synced on the phone');
    await phone.page.click('#forget');
    await waitFor('the Forget dialog', () => dialogOpen(phone), (open) => open);
    expect(await text(phone, '#forget-title')).toBe('Forget unsynced changes?');
    expect(await text(phone, '#forget-text')).toContain('1 change made on this device has not reached the server yet');
    await phone.page.screenshot(join(OUTPUT, `demo-phone-forget-asks-${engine}.png`));
    await phone.page.click('#forget-dialog button[value="keep"]');
    await waitFor('the notice that it kept them', () => text(phone, '#notice'), (n) => n.includes('Kept'));
    expect((await items(phone)).map((i) => i.title)).toContain('Not synced on the phone');

    // Online again, nothing waits: Forget clears at once, in both tabs, and they catch up again (no reload).
    await phone.page.click('#offline');
    await waitFor('the phone’s change pushed', () => text(phone, '#pending'), (n) => n === '0', { timeoutMs: 20_000 });
    await phone.page.click('#forget');
    for (const device of [phone, phoneTab]) {
      await waitFor(`${device.name} caught up again`, () => text(device, '#progress-label'), (l) => /^Caught up: 20,0\d\d changes in \d+ batches/.test(l), {
        timeoutMs: 45_000,
        everyMs: 200,
      });
    }
    expect(await dialogOpen(phone)).toBe(false);
    await converged([laptop, phone, phoneTab], ['Sent by hand', 'Made under server-wins', 'Buy oat milk', 'Not synced on the phone']);
    await waitFor('the seeded records counted again on the phone', () => text(phone, '#archive-count'), (c) => c.includes('20,000 seeded records'));

    // The server's data replaced by its backup from the start (as after a restore): every
    // device is ahead of it and runs a client reset, which drops what the server no longer
    // holds; the laptop's offline change is kept and reaches the restored server.
    await laptop.page.click('#offline');
    await addTodo(laptop, 'Kept through the reset');
    await laptop.page.click('#replace-server');
    await waitFor('the server back on its backup', () => text(laptop, '#notice'), (n) => n.includes('restarted on its backup'), { timeoutMs: 30_000 });
    await laptop.page.click('#offline');
    for (const device of [laptop, phone, phoneTab]) {
      await waitFor(`${device.name}: a reset after the cursor was ahead`, () => text(device, '#reset-line'), (l) => l.startsWith('Reset done (cursor-ahead)'), {
        timeoutMs: 45_000,
        everyMs: 250,
      });
    }
    const afterReset = await converged([laptop, phone, phoneTab], ['Kept through the reset']);
    expect(afterReset[0]?.map((i) => i.title)).toEqual(['Kept through the reset']);
    await waitFor('the seeded records gone from the phone', () => text(phone, '#archive-count'), (c) => c === '');
    await phone.page.screenshot(join(OUTPUT, `demo-phone-after-reset-${engine}.png`));

    mkdirSync(OUTPUT, { recursive: true });
    await laptop.page.screenshot(join(OUTPUT, `demo-laptop-${engine}.png`));
    await phone.page.screenshot(join(OUTPUT, `demo-phone-${engine}.png`));
    await phone.page.setViewport(390, 844);
    await phone.page.screenshot(join(OUTPUT, `demo-phone-narrow-${engine}.png`));

    expect([...(await laptop.page.errors()), ...(await phone.page.errors()), ...(await phoneTab.page.errors())]).toEqual([]);
    // No tab reloaded, not even the phone's when it forgot its data.
    for (const device of [laptop, phone, phoneTab]) expect(await device.page.evaluate(() => window.firstDocument)).toBe(true);
  }, 180_000);
});
