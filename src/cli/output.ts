// Printing for people (tables) and for programs (JSON, YAML), chosen with -o.
// js-yaml, the manifest parser's library, also prints: it quotes YAML 1.1 words (`yes`, `n`)
// that kubectl's decoder would otherwise read as booleans.
import { dump } from 'js-yaml';

export type OutputFormat = 'table' | 'json' | 'yaml';

/** Parses an `-o` value; throws for an unknown one. */
export function outputFormat(v: string | undefined, fallback: OutputFormat = 'table'): OutputFormat {
  const f = v ?? fallback;
  if (f !== 'table' && f !== 'json' && f !== 'yaml') throw new Error(`unknown output format "${f}": use table, json or yaml`);
  return f;
}

/** A column: heading and how to get the cell from a row. */
export interface Column<T> {
  readonly heading: string;
  readonly get: (row: T) => unknown;
}

function cell(v: unknown): string {
  if (v === undefined || v === null || v === '') return '-';
  if (Array.isArray(v)) return v.join(',') || '-';
  return typeof v === 'object' ? JSON.stringify(v) : String(v);
}

/** Renders rows as an aligned text table. */
export function table<T>(rows: readonly T[], columns: readonly Column<T>[]): string {
  const cells = [columns.map((c) => c.heading), ...rows.map((r) => columns.map((c) => cell(c.get(r))))];
  const widths = columns.map((_, i) => Math.max(...cells.map((row) => row[i].length)));
  return `${cells.map((row) => row.map((v, i) => (i === row.length - 1 ? v : v.padEnd(widths[i]))).join('   ')).join('\n')}\n`;
}

/** Prints `value` in the chosen format; tables use `columns` over `rows`. */
export function print<T>(format: OutputFormat, value: unknown, rows: readonly T[], columns: readonly Column<T>[]): void {
  if (format === 'json') process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
  else if (format === 'yaml') process.stdout.write(dump(value));
  else process.stdout.write(table(rows, columns));
}
