/**
 * How fast plain IndexedDB takes a big initial sync on this machine, with no SDK, no
 * network and no worker: the floor under the million-record target (issue 15, item 3).
 * Each batch size runs in a fresh on-disk Chromium profile (a profile that already holds
 * data is slower; the bench's million section runs after the others in one profile),
 * writing the replica's row shape under its key path with relaxed durability and a
 * cursor put per transaction, as the SDK's pulls commit.
 *
 *   npx tsx bench/idb-floor-cli.ts                       # 1,000,000 rows at 2,000, 5,000 and 10,000 a transaction
 *   COUNT=100000 BATCHES=500,2000 npx tsx bench/idb-floor-cli.ts
 *
 * The row values are made in the page before each transaction and not timed.
 */
import { createServer } from 'node:http';
import { launchOnDisk } from '../tools/chromium-on-disk.ts';
import { benchValue } from '../tools/records.ts';
import { listenOnLoopback } from '../test/support/loopback.ts';
import { RECORD_BYTES } from './lib/section.ts';

const COUNT = Number(process.env['COUNT'] ?? 1_000_000);
const BATCHES = (process.env['BATCHES'] ?? '2000,5000,10000').split(',').map(Number);
/** Distinct values handed to the page once; rows cycle through them. */
const SAMPLE = 1_000;

const server = createServer((_, res) => {
  res.writeHead(200, { 'content-type': 'text/html' });
  res.end('<!doctype html><title>idb floor</title>');
});
const url = await listenOnLoopback(server);
const sample = Array.from({ length: SAMPLE }, (_, i) => benchValue(i, RECORD_BYTES));
try {
  for (const batch of BATCHES) {
    const chromium = await launchOnDisk();
    try {
      const page = await chromium.context.newPage();
      await page.goto(url);
      const ms = await page.evaluate(
        async ({ count, batch, values }) => {
          const db = await new Promise<IDBDatabase>((resolve, reject) => {
            const open = indexedDB.open('floor', 1);
            open.onupgradeneeded = () => {
              open.result.createObjectStore('records', { keyPath: ['collective', 'id'] });
              open.result.createObjectStore('cursors');
            };
            open.onsuccess = () => resolve(open.result);
            open.onerror = () => reject(open.error);
          });
          let writing = 0;
          for (let first = 0; first < count; first += batch) {
            const rows: object[] = [];
            for (let i = first; i < Math.min(count, first + batch); i++) {
              const id = `r${String(i).padStart(7, '0')}`;
              rows.push({ collective: 'million', id, hlc: '0001234567890:0000:abcdef', origin: 'floor', version: i + 1, value: values[i % values.length], deleted: false, live: 1 });
            }
            const started = performance.now();
            await new Promise<void>((resolve, reject) => {
              const tx = db.transaction(['records', 'cursors'], 'readwrite', { durability: 'relaxed' });
              const records = tx.objectStore('records');
              for (const row of rows) records.put(row);
              tx.objectStore('cursors').put(first + rows.length, 'pull');
              tx.oncomplete = () => resolve();
              tx.onabort = () => reject(tx.error);
              tx.commit();
            });
            writing += performance.now() - started;
          }
          db.close();
          return writing;
        },
        { count: COUNT, batch, values: sample },
      );
      console.log(`${COUNT.toLocaleString('en-US')} rows, ${batch.toLocaleString('en-US')} a transaction, fresh profile: ${(ms / 1000).toFixed(1)} s in IndexedDB, ${Math.round(COUNT / (ms / 1000)).toLocaleString('en-US')} rows/s`);
    } finally {
      await chromium.close();
    }
  }
} finally {
  server.close();
}
