/**
 * The demo, driven the way a person uses it, in real Chromium: two devices (two browser
 * contexts, the second with `?device=phone`) add and edit todos, one goes offline with
 * the page's switch, edits, comes back and syncs; both lists agree; a conflicting edit
 * lands in the conflict log; seeding 20,000 records fills the progress bar to 100%.
 * Screenshots of both devices go to test-output/. No console errors allowed.
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium, type HeadlessChromium } from '../../tools/chromium.ts';
import { startDemo, type RunningDemo } from '../../demo/start-demo.ts';
import { waitFor } from '../support/wait.ts';

const OUTPUT = fileURLToPath(new URL('../../test-output/', import.meta.url));

interface Device {
  readonly name: string;
  readonly page: Page;
  /** Console errors and uncaught exceptions seen on the page. */
  readonly errors: string[];
  /** Page loads so far: 1 unless something reloaded the page. */
  loads(): number;
}

interface Item {
  readonly title: string;
  readonly done: boolean;
}

let demo: RunningDemo | undefined;
let chromium: HeadlessChromium | undefined;
let dataDir: string | undefined;

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'pulsesync-demo-test-'));
  [demo, chromium] = await Promise.all([startDemo({ port: 0, dataDir, watch: false }), launchChromium()]);
}, 90_000);

afterAll(async () => {
  await chromium?.close();
  await demo?.close();
  if (dataDir !== undefined) rmSync(dataDir, { recursive: true, force: true });
}, 30_000);

/** A new device: its own browser context (own IndexedDB), the demo page open and ready. */
async function openDevice(name: string, query: string): Promise<Device> {
  if (chromium === undefined || demo === undefined) throw new Error('the demo is not running');
  const context = await chromium.newContext();
  const page = await context.newPage();
  await page.setViewportSize({ width: 1180, height: 900 });
  const errors: string[] = [];
  page.on('pageerror', (error) => errors.push(`${name}: ${error.stack ?? error.message}`));
  page.on('console', (message) => {
    if (message.type() === 'error') errors.push(`${name}: console.error ${message.text()}`);
  });
  let loads = 0;
  page.on('load', () => loads++);
  await page.goto(`${demo.url}${query}`);
  await page.waitForSelector('body[data-ready="true"]', { timeout: 45_000 });
  return { name, page, errors, loads: () => loads };
}

/** The todo list as the device shows it. */
function items(device: Device): Promise<Item[]> {
  return device.page.$$eval('#todo-list .todo', (rows) =>
    rows.map((row) => ({
      title: row.querySelector('.title')?.textContent ?? '',
      done: row.querySelector<HTMLInputElement>('input[type="checkbox"]')?.checked ?? false,
    })),
  );
}

function text(device: Device, selector: string): Promise<string> {
  return device.page.locator(selector).innerText();
}

async function addTodo(device: Device, title: string): Promise<void> {
  await device.page.getByLabel('New todo').fill(title);
  await device.page.getByLabel('New todo').press('Enter');
  await waitFor(`${title} on ${device.name}`, () => items(device), (list) => list.some((i) => i.title === title));
}

async function editTodo(device: Device, from: string, to: string): Promise<void> {
  await device.page.getByRole('button', { name: `Edit “${from}”` }).click();
  const input = device.page.getByLabel(`New title for “${from}”`);
  await input.fill(to);
  await input.press('Enter');
  await waitFor(`${from} → ${to} on ${device.name}`, () => items(device), (list) => list.some((i) => i.title === to));
}

async function toggleTodo(device: Device, title: string): Promise<void> {
  await device.page.getByLabel(`Done: ${title}`).click();
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

describe('the demo page', () => {
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
    await phone.page.getByRole('button', { name: 'Delete “Temporary”' }).press('Enter');
    await waitFor('Temporary gone from the laptop', () => items(laptop), (list) => !list.some((i) => i.title === 'Temporary'));
    await editTodo(phone, 'Buy milk', 'Buy oat milk');
    await toggleTodo(laptop, 'Book flights');
    const ordered = await converged([laptop, phone], ['Buy oat milk', 'Call mom', 'Book flights']);
    // Ordered by creation through the createdAt index; counts from count() on both devices.
    expect(ordered[0]?.map((i) => i.title)).toEqual(['Buy oat milk', 'Call mom', 'Book flights']);
    for (const device of [laptop, phone]) await waitFor(`the counts on ${device.name}`, () => text(device, '#todo-count'), (c) => c === '2 open · 1 done');

    // The laptop goes offline and keeps working locally.
    await laptop.page.getByRole('switch', { name: 'Offline' }).check();
    await waitFor('laptop disconnected', () => text(laptop, '#status-pill'), (s) => s === 'disconnected');
    await addTodo(laptop, 'Plan the trip');
    await editTodo(laptop, 'Call mom', 'Call mom tonight');
    await waitFor('laptop changes pending', () => text(laptop, '#pending'), (n) => Number(n) >= 2);
    // Sync now while offline fails visibly, and sends nothing.
    await laptop.page.getByRole('button', { name: 'Sync now' }).click();
    await waitFor('the offline failure on the laptop', () => text(laptop, '#notice'), (s) => s.includes('Sync now failed') && s.includes('offline'));
    // Meanwhile the phone edits the same todo, later: its edit is the newer one.
    await editTodo(phone, 'Call mom', 'Call mom on Sunday');
    await addTodo(phone, 'Water the plants');
    expect((await items(phone)).map((i) => i.title)).not.toContain('Plan the trip');

    // Back online: Sync now, and both lists agree.
    await laptop.page.getByRole('switch', { name: 'Offline' }).uncheck();
    await laptop.page.getByRole('button', { name: 'Sync now' }).click();
    await phone.page.getByRole('button', { name: 'Sync now' }).click();
    const [lists] = await Promise.all([
      converged([laptop, phone], ['Buy oat milk', 'Call mom on Sunday', 'Book flights', 'Plan the trip', 'Water the plants']),
      waitFor('laptop back to idle with nothing pending', async () => [await text(laptop, '#status-pill'), await text(laptop, '#pending')], ([s, n]) => s === 'idle' && n === '0'),
    ]);
    expect(lists[0]?.find((i) => i.title === 'Book flights')?.done).toBe(true);
    expect(lists[0]?.map((i) => i.title)).not.toContain('Call mom tonight');

    // The laptop's offline edit lost to the phone's newer one, and the log says so.
    const conflict = await waitFor('a conflict in the laptop log', () => laptop.page.locator('#conflict-log li').allInnerTexts(), (l) => l.length > 0);
    expect(conflict.join('\n')).toContain('“Call mom on Sunday” won');
    expect(conflict.join('\n')).toContain('last-write-wins');

    // Seeding: the laptop catches up batch by batch, the bar shows real percentages.
    await laptop.page.evaluate(() => {
      const bar = document.getElementById('progress') as HTMLProgressElement;
      const seen: string[] = [];
      (window as unknown as { percents: string[] }).percents = seen;
      new MutationObserver(() => seen.push(bar.dataset['percent'] ?? '')).observe(bar, { attributeFilter: ['data-percent'] });
    });
    await laptop.page.getByRole('button', { name: 'Seed server with 20,000 records' }).click();
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
    expect(await laptop.page.locator('#archive-list li').count()).toBe(50);
    await laptop.page.getByRole('button', { name: 'Next 50' }).click();
    await waitFor('the second page', () => text(laptop, '#archive-page'), (p) => p === '51–100 of 20,000');
    expect(await laptop.page.locator('#archive-list li').first().innerText()).toMatch(/^Archived note 51 /);
    await laptop.page.getByRole('button', { name: 'Previous 50' }).click();
    await waitFor('back on the first page', () => text(laptop, '#archive-page'), (p) => p === '1–50 of 20,000');

    // Background sync off: changes wait for Sync now. Then on again.
    await laptop.page.getByRole('button', { name: 'Stop background sync' }).click();
    await waitFor('laptop stopped', () => text(laptop, '#status-pill'), (s) => s === 'stopped');
    await addTodo(laptop, 'Sent by hand');
    await waitFor('the change pending', () => text(laptop, '#pending'), (n) => n === '1');
    await laptop.page.getByRole('button', { name: 'Sync now' }).click();
    await waitFor('nothing pending after Sync now', () => text(laptop, '#pending'), (n) => n === '0');
    await laptop.page.getByRole('button', { name: 'Start background sync' }).click();
    await waitFor('laptop running again', () => text(laptop, '#status-pill'), (s) => s === 'idle');

    // Another policy makes a new client, which syncs as before.
    await phone.page.getByLabel('Server wins').check();
    await waitFor('the new client in place', () => phone.page.getByLabel('Server wins').isEnabled(), (enabled) => enabled);
    await addTodo(phone, 'Made under server-wins');
    await converged([laptop, phone], ['Sent by hand', 'Made under server-wins']);

    // The phone forgets its data and reloads: a fresh initial sync of everything.
    await phone.page.getByRole('button', { name: "Forget this device's data" }).click();
    await waitFor('the phone reloaded', () => phone.loads(), (n) => n === 2);
    await phone.page.waitForSelector('body[data-ready="true"]', { timeout: 45_000 });
    expect(await text(phone, '#progress-label')).toMatch(/^Caught up: 20,0\d\d changes in \d+ batches/);
    await converged([laptop, phone], ['Sent by hand', 'Made under server-wins', 'Buy oat milk']);
    await waitFor('the seeded records counted again on the phone', () => text(phone, '#archive-count'), (c) => c.includes('20,000 seeded records'));

    mkdirSync(OUTPUT, { recursive: true });
    await laptop.page.screenshot({ path: join(OUTPUT, 'demo-laptop.png'), fullPage: true });
    await phone.page.screenshot({ path: join(OUTPUT, 'demo-phone.png'), fullPage: true });
    await phone.page.setViewportSize({ width: 390, height: 844 });
    await phone.page.screenshot({ path: join(OUTPUT, 'demo-phone-narrow.png'), fullPage: true });

    expect([...laptop.errors, ...phone.errors]).toEqual([]);
    expect([laptop.loads(), phone.loads()]).toEqual([1, 2]);
  }, 120_000);
});
