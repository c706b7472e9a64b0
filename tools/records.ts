/**
 * Deterministic benchmark records, shared by Node (server seeding) and the bench page:
 * the same index gives the same JSON everywhere, so every path writes identical data.
 */

/** A record value of the benchmark: a note-like JSON object. */
export interface BenchValue {
  [key: string]: string | number | boolean | string[];
  title: string;
  body: string;
  done: boolean;
  tags: string[];
  n: number;
}

/** One benchmark record: where it lives and its value. */
export interface BenchRecord {
  readonly collective: string;
  readonly id: string;
  readonly value: BenchValue;
}

const WORDS = ['sync', 'replica', 'cursor', 'batch', 'worker', 'offline', 'delta', 'merge', 'clock', 'index', 'value', 'page'];

/** Small deterministic PRNG (mulberry32), so records do not depend on Math.random. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * The value of record `i`, about `targetBytes` long as JSON (±10 bytes): the body is
 * filled with words until the serialised value reaches the target.
 */
export function benchValue(i: number, targetBytes: number): BenchValue {
  const next = rng(i * 7919 + 17);
  const pick = (): string => WORDS[Math.floor(next() * WORDS.length)] as string;
  const value: BenchValue = { title: `Note ${i}`, body: '', done: next() < 0.5, tags: [pick(), pick()], n: i };
  const base = JSON.stringify(value).length;
  let body = '';
  while (base + body.length < targetBytes - 4) body += (body === '' ? '' : ' ') + pick();
  value.body = body;
  return value;
}

/** The record id of index `i`: zero-padded so ids sort like indexes. */
export function benchId(i: number): string {
  return `r${String(i).padStart(7, '0')}`;
}

/** Records `from … from+count-1` of `collective`, each about `targetBytes` of JSON. */
export function benchRecords(count: number, targetBytes: number, collective = 'notes', from = 0): BenchRecord[] {
  const out: BenchRecord[] = [];
  for (let i = from; i < from + count; i++) out.push({ collective, id: benchId(i), value: benchValue(i, targetBytes) });
  return out;
}
