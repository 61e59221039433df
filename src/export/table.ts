// Tables out of Gridline for people's spreadsheets: CSV (UTF-8 with a BOM, so Excel reads Chinese headers
// right) and xlsx (exceljs's streaming writer: rows go out as they are added, nothing is held whole). Both
// write one header row, the rows, and an optional totals row. A text cell that a spreadsheet would run as a
// formula (= + - @ at its start, or a tab or CR) is written with a leading apostrophe: an exported name can
// never become a formula (CSV injection).

import type { Writable } from 'node:stream';
import ExcelJS from 'exceljs';

export interface Column<Row> {
  header: string;
  value: (row: Row) => string | number | null;
  /** Column width in characters (xlsx). */
  width?: number;
}

const FORMULA_START = /^[=+\-@\t\r]/;

/** Text as a spreadsheet must show it, never run it. */
export const safeText = (s: string): string => (FORMULA_START.test(s) ? `'${s}` : s);

function csvField(value: string | number | null): string {
  if (value === null) return '';
  if (typeof value === 'number') return String(value);
  const text = safeText(value);
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** Write a CSV: BOM, header, rows, totals (CRLF line ends, as RFC 4180 and Excel have them). Waits when the stream is full. */
export async function writeCsv<Row>(out: Writable, columns: Column<Row>[], rows: Iterable<Row>, totals?: (string | number | null)[]): Promise<void> {
  const write = (line: string) => (out.write(line) ? Promise.resolve() : new Promise<void>((resolve) => out.once('drain', resolve)));
  await write(`\uFEFF${columns.map((c) => csvField(c.header)).join(',')}\r\n`);
  for (const row of rows) await write(`${columns.map((c) => csvField(c.value(row))).join(',')}\r\n`);
  if (totals) await write(`${totals.map(csvField).join(',')}\r\n`);
  out.end();
}

/** One sheet of a workbook: its name, columns, rows and optional totals row. */
export interface Sheet<Row> {
  name: string;
  columns: Column<Row>[];
  rows: Iterable<Row>;
  totals?: (string | number | null)[];
}

/** A sheet of rows of any type, for a workbook of sheets of different rows. */
export type AnySheet = Sheet<unknown>;
export const sheet = <Row>(s: Sheet<Row>): AnySheet => s as unknown as AnySheet;

/** Write an xlsx of one sheet with the streaming writer: bold header, frozen first row, a bold totals row. */
export function writeXlsx<Row>(out: Writable, sheetName: string, columns: Column<Row>[], rows: Iterable<Row>, totals?: (string | number | null)[]): Promise<void> {
  return writeWorkbook(out, [sheet({ name: sheetName, columns, rows, ...(totals ? { totals } : {}) })]);
}

/** Write an xlsx of several sheets, one after another, each as writeXlsx writes its one. */
export async function writeWorkbook(out: Writable, sheets: AnySheet[]): Promise<void> {
  const workbook = new ExcelJS.stream.xlsx.WorkbookWriter({ stream: out, useStyles: true, useSharedStrings: false });
  workbook.creator = 'Gridline';
  const cell = (v: string | number | null) => (typeof v === 'string' ? safeText(v) : v);
  for (const s of sheets) {
    // Excel's limits on a sheet's name: 31 characters, none of : \ / ? * [ ].
    const ws = workbook.addWorksheet(s.name.replace(/[:\\/?*[\]]/g, ' ').slice(0, 31), { views: [{ state: 'frozen', ySplit: 1 }] });
    ws.columns = s.columns.map((c) => ({ header: c.header, width: c.width ?? Math.max(10, c.header.length * 2 + 2) }));
    ws.getRow(1).font = { bold: true };
    ws.getRow(1).commit();
    for (const row of s.rows) ws.addRow(s.columns.map((c) => cell(c.value(row)))).commit();
    if (s.totals) {
      const last = ws.addRow(s.totals.map(cell));
      last.font = { bold: true };
      last.commit();
    }
    ws.commit();
  }
  await workbook.commit();
}
