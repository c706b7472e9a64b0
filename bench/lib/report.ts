/**
 * The one table `npm run bench` prints, and the JSON summary beside it. Every section
 * hands in a {@link SectionReport}; comparisons become rows through {@link comparisonRows},
 * so a ratio is always printed next to the reference it was taken against, with its
 * per-round range and its target.
 */
import type { ComparisonResult, Role } from './rounds.ts';
import type { Summary } from './stats.ts';
import { describeTarget, meets, type Target } from './targets.ts';

/** One line of the table. */
export interface ReportRow {
  readonly label: string;
  /** 0: a subject or a standalone figure; 1: a reference or a side figure under it. */
  readonly depth: 0 | 1;
  /** The median, or why there is none (`failed: …`). */
  readonly value: number | string;
  readonly range?: readonly [number, number];
  readonly unit: string;
  /** Per-round ratios of the subject to this reference (speed; above 1 is faster). */
  readonly ratio?: Summary;
  readonly target?: string;
  readonly met?: boolean;
}

/** A section of the report: its rows, notes and, for round-based sections, how many rounds ran. */
export interface SectionReport {
  readonly title: string;
  readonly rows: readonly ReportRow[];
  readonly notes: readonly string[];
  readonly rounds?: { readonly run: number; readonly asked: number };
  /** Every sample behind the rows, for the JSON summary. */
  readonly results?: readonly ComparisonResult[];
  /** Lines printed after the table (the CPU profile's top list). */
  readonly appendix?: readonly string[];
  /** Anything else for the JSON summary (the CPU profile's entries). */
  readonly data?: unknown;
}

const ROLE_PREFIX: Record<Role, string> = { limit: 'vs limit: ', peer: 'vs peer:  ', part: 'vs part:  ' };

/** A standalone figure (no rounds, or no reference), with its target if any. */
export function figureRow(label: string, value: number | string, unit: string, target?: Target): ReportRow {
  const met = typeof value === 'number' ? meets(target, value) : undefined;
  return { label, depth: 0, value, unit, ...(target === undefined ? {} : { target: describeTarget(target, unit) }), ...(met === undefined ? {} : { met }) };
}

function failed(errors: readonly string[]): string {
  return `failed: ${(errors[0] ?? 'no sample').replace(/^round \d+: /, '')}`;
}

/** The rows of one comparison: the subject, its side figures, then each reference with its ratio. */
export function comparisonRows(result: ComparisonResult): ReportRow[] {
  const rows: ReportRow[] = [];
  const { subject } = result;
  rows.push({
    label: subject.label,
    depth: 0,
    value: subject.summary.n === 0 ? failed(subject.errors) : subject.summary.median,
    range: [subject.summary.min, subject.summary.max],
    unit: result.unit,
    ...(subject.target === undefined ? {} : { target: describeTarget(subject.target, result.unit) }),
    ...(subject.met === undefined ? {} : { met: subject.met }),
  });
  for (const side of result.side) {
    rows.push({
      label: `· ${side.label}`,
      depth: 1,
      value: side.summary.n === 0 ? 'n/a' : side.summary.median,
      range: [side.summary.min, side.summary.max],
      unit: side.unit,
      ...(side.target === undefined ? {} : { target: describeTarget(side.target, side.unit) }),
      ...(side.met === undefined ? {} : { met: side.met }),
    });
  }
  for (const ref of result.references) {
    rows.push({
      label: `${ROLE_PREFIX[ref.role]}${ref.label}`,
      depth: 1,
      value: ref.summary.n === 0 ? failed(ref.errors) : ref.summary.median,
      range: [ref.summary.min, ref.summary.max],
      unit: result.unit,
      ratio: ref.ratio,
      ...(ref.target === undefined ? {} : { target: describeTarget({ ratioAtLeast: ref.target }, '') }),
      ...(ref.met === undefined ? {} : { met: ref.met }),
    });
  }
  return rows;
}

/** Notes a comparison carries: its own, what its runs said, and any failed rounds. */
export function comparisonNotes(result: ComparisonResult): string[] {
  const notes: string[] = [];
  if (result.note !== undefined) notes.push(`${result.label}: ${result.note}`);
  for (const s of [result.subject, ...result.references]) {
    for (const info of s.infos) notes.push(`${s.label}: ${info}`);
    if (s.errors.length > 0 && s.summary.n > 0) notes.push(`${s.label}: ${s.errors.length} failed run(s): ${s.errors.join('; ')}`);
    else if (s.errors.length > 1) notes.push(`${s.label}: ${s.errors.join('; ')}`);
  }
  return notes;
}

/** A number in its unit's usual precision. */
export function formatValue(value: number, unit: string): string {
  if (!Number.isFinite(value)) return 'n/a';
  if (unit === 'ms') return value < 10 ? value.toFixed(2) : value < 1000 ? value.toFixed(1) : Math.round(value).toLocaleString('en-US');
  if (unit === 'MB' || unit === 'KB' || unit === 's') return value.toFixed(1);
  if (unit === '×') return `${value.toFixed(2)}×`;
  return Math.round(value).toLocaleString('en-US');
}

const ratioText = (r: number): string => (Number.isFinite(r) ? `${r.toFixed(2)}×` : 'n/a');

function cells(row: ReportRow): string[] {
  const value = typeof row.value === 'number' ? formatValue(row.value, row.unit) : row.value;
  const range =
    row.range === undefined || typeof row.value !== 'number' || !Number.isFinite(row.range[0]) || row.range[0] === row.range[1]
      ? ''
      : `${formatValue(row.range[0], row.unit)}–${formatValue(row.range[1], row.unit)}`;
  const ratio = row.ratio === undefined ? '' : ratioText(row.ratio.median);
  const ratioRange = row.ratio === undefined || row.ratio.n < 2 ? '' : `${ratioText(row.ratio.min)}–${ratioText(row.ratio.max)}`;
  const met = row.met === undefined ? '' : row.met ? 'met' : 'NOT MET';
  return [`${row.depth === 1 ? '    ' : '  '}${row.label}`, value, range, typeof row.value === 'number' ? row.unit : '', ratio, ratioRange, row.target ?? '', met];
}

const HEADER = ['figure', 'median', 'range (rounds)', 'unit', 'ratio', 'ratio range', 'target', 'met?'];

/** Renders every section as one fixed-width table with the notes after it. */
export function renderReport(sections: readonly SectionReport[]): string {
  const body = sections.flatMap((s) => s.rows.map(cells));
  const widths = HEADER.map((h, i) => Math.max(h.length, ...body.map((r) => (r[i] as string).length)));
  const line = (c: readonly string[]): string => c.map((x, i) => (i === 0 ? x.padEnd(widths[i] as number) : x.padStart(widths[i] as number))).join('  ').trimEnd();
  const out = [line(HEADER), widths.map((w) => '-'.repeat(w)).join('  ')];
  for (const s of sections) {
    const rounds = s.rounds === undefined ? '' : s.rounds.run === s.rounds.asked ? ` [${s.rounds.run} rounds]` : ` [${s.rounds.run} of ${s.rounds.asked} rounds: time budget]`;
    out.push(`— ${s.title}${rounds}`);
    for (const row of s.rows) out.push(line(cells(row)));
  }
  const notes = sections.flatMap((s) => s.notes.map((n) => `  [${s.title.split(':')[0]}] ${n}`));
  if (notes.length > 0) out.push('', 'notes:', ...notes);
  for (const s of sections) if (s.appendix !== undefined) out.push('', ...s.appendix);
  out.push(
    '',
    'ratio = pulsesync ÷ reference as a speed (above 1: pulsesync faster), taken per round between figures measured in that round;',
    'median and range over the rounds. Order alternates each round (pulsesync first, then last). Targets are judged on the median.',
  );
  return out.join('\n');
}
