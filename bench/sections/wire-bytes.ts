/**
 * Section 11: bytes on the wire (issue 15, item 4), against the real `pulsesync-server`
 * on SQLite. A pull page of the bench's records (~250 B of JSON each) as the server
 * sends it to a client that accepts gzip, against the same page to a client that
 * accepts nothing (`identity`), counted as they crossed the socket; and the live
 * channel's poke after a push of that whole page, which must carry no data: its size
 * does not depend on what was pushed.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServerProcess, type ServerProcess } from '../../tools/server-process.ts';
import { comparisonNotes, comparisonRows, figureRow, type SectionReport } from '../lib/report.ts';
import { runRounds, type Comparison } from '../lib/rounds.ts';
import { RECORD_BYTES, type Section, type SectionContext } from '../lib/section.ts';
import type { ServerTarget } from '../../tools/wire-client.ts';
import { pullWireBytes } from '../lib/server-load.ts';

/** Records in the pulled page, as in the server sections. */
const PAGE = 500;
/** A poke's frame is `event: poke` and an empty object; anything near the page's size would be data. */
const POKE_BYTES_AT_MOST = 64;

/** Bytes per record of one pull page pulled with `acceptEncoding`; the chosen encoding in `info`. */
async function pagePerRecord(target: ServerTarget, acceptEncoding: string): Promise<{ value: number; info: string }> {
  const page = await pullWireBytes(target, { records: PAGE, bytes: RECORD_BYTES, acceptEncoding });
  return { value: page.bytesPerRecord, info: `Accept-Encoding ${acceptEncoding}: ${page.encoding}, ${page.bodyBytes} B for ${page.records} records` };
}

/**
 * Opens the live channel, pushes a page of records from another client, and returns the
 * first poke frame exactly as it came (heartbeat comments skipped).
 */
async function firstPoke(target: ServerTarget): Promise<string> {
  return new Promise<string>((resolve, reject) => {
    const url = new URL('/sync/live', target.url);
    const req = request(url, { headers: { authorization: `Bearer ${target.token}`, accept: 'text/event-stream' } }, (res) => {
      if (res.statusCode !== 200) return reject(new Error(`live channel: HTTP ${res.statusCode}`));
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        text += chunk;
        const frame = text.split('\n\n').find((f) => f.startsWith('event: poke'));
        if (frame === undefined) return;
        resolve(`${frame}\n\n`);
        req.destroy();
      });
      // The stream is open: a push of a whole page now commits and pokes it.
      pullWireBytes(target, { records: PAGE, bytes: RECORD_BYTES, acceptEncoding: 'identity' }).catch(reject);
    });
    // A whole-run bound: the stream's heartbeats would keep an idle-socket timeout from firing.
    const timer = setTimeout(() => req.destroy(new Error('no poke within 30 s of opening the live channel')), 30_000);
    req.on('close', () => clearTimeout(timer));
    req.on('error', reject);
    req.end();
  });
}

async function runWireBytes(ctx: SectionContext): Promise<SectionReport[]> {
  const dir = mkdtempSync(join(tmpdir(), 'pulsesync-bench-wire-'));
  let server: ServerProcess | undefined;
  try {
    server = await startServerProcess(ctx.root, ['--db', join(dir, 'wire.db')]);
    const target: ServerTarget = { url: server.url, token: server.token };
    const comparison: Comparison = {
      label: `pull page of ${PAGE} records of ~${RECORD_BYTES} B, gzip accepted: bytes per record on the wire`,
      unit: 'B',
      better: 'lower',
      subject: { label: `pull page, Accept-Encoding gzip, deflate (as browsers and Node's fetch send)`, run: () => pagePerRecord(target, 'gzip, deflate') },
      references: [{ label: 'the same page, Accept-Encoding identity (uncompressed)', role: 'part', target: 1.01, run: () => pagePerRecord(target, 'identity') }],
      note: 'target: fewer bytes than the uncompressed page (ratio above 1)',
    };
    // Bytes do not wait on the machine: no settling between runs.
    const outcome = await runRounds({ section: 'wire bytes', rounds: ctx.rounds, comparisons: [comparison], budget: ctx.budget, log: ctx.log, settle: async () => undefined });
    const poke = await firstPoke(target);
    const data = /^data: (.*)$/m.exec(poke)?.[1];
    return [
      {
        title: `11 Bytes on the wire: a pull page plain and gzipped, and a live poke (real server, SQLite)`,
        rows: [
          ...outcome.results.flatMap(comparisonRows),
          // A poke with data is no figure to judge by size: the row says so instead.
          figureRow(`live poke after a push of ${PAGE} records (${PAGE * RECORD_BYTES} B of values): the whole SSE frame`, data === '{}' ? Buffer.byteLength(poke) : `NOT empty: data ${data ?? '(none)'}`, 'B', { atMost: POKE_BYTES_AT_MOST }),
        ],
        notes: [
          'bytes: the answer body as it crossed the socket, before decoding; the decoded page is checked to hold every record',
          `the poke frame: ${JSON.stringify(poke)}; its data ${data === '{}' ? 'is an empty object: no change travels on the live channel' : `is ${JSON.stringify(data)}: NOT empty`}`,
          ...outcome.results.flatMap(comparisonNotes),
        ],
        rounds: { run: outcome.roundsRun, asked: outcome.roundsAsked },
        results: outcome.results,
      },
    ];
  } finally {
    await server?.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Section 11. */
export const wireBytesSection: Section = { key: 'wire', title: '11 Bytes on the wire', minutes: 2, run: runWireBytes };
