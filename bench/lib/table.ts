/** The one results table bench/run.ts prints, and its row type (also the JSON shape). */

/** One line of the results table. Numbers are medians over the runs unless said. */
export interface ResultRow {
  /** Section number and name, e.g. `1 Local writes`. */
  readonly section: string;
  readonly figure: string;
  /** The measured figure, or a reason it is missing (`not available yet: …`). */
  readonly value: number | string;
  readonly unit: string;
  /** The per-record IndexedDB limit measured in the same run, same unit. */
  readonly limit?: number;
  /** The packed IndexedDB limit measured in the same run, same unit. */
  readonly packed?: number;
  /** The target, as text (`≥ 80% of limit`, `< 50 ms`). */
  readonly target?: string;
  /** Whether the target is met; undefined when there is none or no figure. */
  readonly met?: boolean;
  /** Every sample behind the median. */
  readonly samples?: readonly number[];
  readonly note?: string;
}

function fmt(value: number, unit: string): string {
  if (Number.isNaN(value)) return 'n/a';
  if (unit === 'KB') return value.toFixed(1);
  if (unit === 'ms') return value < 10 ? value.toFixed(2) : value < 100 ? value.toFixed(1) : Math.round(value).toLocaleString('en-US');
  if (unit === 'MB') return value.toFixed(1);
  if (unit === 'x') return `${value.toFixed(1)}×`;
  return Math.round(value).toLocaleString('en-US');
}

function ratio(value: number | string, of: number | undefined): string {
  if (typeof value !== 'number' || of === undefined || !(of > 0) || Number.isNaN(value)) return '';
  const r = value / of;
  if (r >= 2) return `${r.toFixed(r >= 10 ? 0 : 1)}×`;
  return r >= 0.1 ? `${(r * 100).toFixed(0)}%` : `${(r * 100).toFixed(1)}%`;
}

/** Renders the rows as one fixed-width text table. */
export function renderTable(rows: readonly ResultRow[]): string {
  const header = ['figure', 'pulsesync', 'unit', 'IDB limit', 'ratio', 'packed limit', 'ratio', 'target', 'met'];
  const body: string[][] = [];
  let section = '';
  for (const row of rows) {
    if (row.section !== section) {
      section = row.section;
      body.push([`— ${section}`, '', '', '', '', '', '', '', '']);
    }
    body.push([
      `  ${row.figure}`,
      typeof row.value === 'number' ? fmt(row.value, row.unit) : row.value,
      typeof row.value === 'number' ? row.unit : '',
      row.limit === undefined ? '' : fmt(row.limit, row.unit),
      ratio(row.value, row.limit),
      row.packed === undefined ? '' : fmt(row.packed, row.unit),
      ratio(row.value, row.packed),
      row.target ?? '',
      row.met === undefined ? '' : row.met ? 'yes' : 'NO',
    ]);
  }
  const widths = header.map((h, i) => Math.max(h.length, ...body.filter((r) => !(r[0] as string).startsWith('—')).map((r) => (r[i] as string).length)));
  const line = (cells: readonly string[]): string =>
    cells.map((c, i) => (i === 0 ? c.padEnd(widths[i] as number) : c.padStart(widths[i] as number))).join('  ').trimEnd();
  const out = [line(header), widths.map((w) => '-'.repeat(w)).join('  ')];
  for (const r of body) out.push((r[0] as string).startsWith('—') ? (r[0] as string) : line(r));
  const notes = rows.filter((r) => r.note !== undefined);
  if (notes.length > 0) {
    out.push('', 'notes:');
    for (const r of notes) out.push(`  [${r.section} / ${r.figure}] ${r.note as string}`);
  }
  return out.join('\n');
}
