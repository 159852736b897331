import type { Readable } from 'node:stream';
import {
  checkHeader,
  createRecordValidator,
  DomainError,
  type IngestBatch,
  type IngestFormat,
  type IngestKind,
  type IngestRecord,
  MAX_INGEST_LINE_LENGTH,
  type RawRecord,
} from '@aihub/core';
import { splitCsvLine } from './csv-line.js';
import { readLines } from './lines.js';

/*
 * Turns an uploaded file (a byte stream) into batches of validated records, never holding more
 * than one batch in memory. A wrong CSV header fails the whole file before anything is written.
 */

export const INGEST_BATCH_ROWS = 50_000;

/** A line that is not a record, and why. */
class LineProblem {
  constructor(readonly reason: string) {}
}

/** One line's record, a problem, or undefined for a line that holds neither (blank, the header). */
type LineReader = (text: string | null, line: number) => RawRecord | LineProblem | undefined;

const TOO_LONG = `longer than ${MAX_INGEST_LINE_LENGTH.toLocaleString('en-US')} characters`;

function ndjsonLine(text: string | null): RawRecord | LineProblem | undefined {
  if (text === null) return new LineProblem(TOO_LONG);
  if (text.trim() === '') return undefined;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    return new LineProblem(`not valid JSON (${(error as Error).message})`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    return new LineProblem('must be a JSON object');
  return value as RawRecord;
}

/** trim() allocates a new string; most fields have nothing to trim. */
function trimmed(field: string): string {
  const first = field.charCodeAt(0);
  const last = field.charCodeAt(field.length - 1);
  return first <= 32 || last <= 32 ? field.trim() : field;
}

/** Reads CSV lines: the first non-blank one is the header; `finish` fails a file without one. */
function csvReader(kind: IngestKind): { read: LineReader; finish: () => void } {
  let header: string[] | undefined;
  const read: LineReader = (raw, line) => {
    if (raw === null) {
      if (!header) throw DomainError.badRequest(`line ${line}: ${TOO_LONG}`, { header: [TOO_LONG] });
      return new LineProblem(TOO_LONG);
    }
    // A byte-order mark may open the file; blank lines are skipped.
    const text = line === 1 ? raw.replace(/^\uFEFF/, '') : raw;
    if (text.trim() === '') return undefined;
    const fields = splitCsvLine(text);
    if (!Array.isArray(fields)) {
      if (!header) throw DomainError.badRequest(`line ${line}: ${fields.error}`, { header: [fields.error] });
      return new LineProblem(fields.error);
    }
    if (!header) {
      header = fields.map((field) => field.trim());
      const problem = checkHeader(kind, header);
      if (problem) throw DomainError.badRequest(`line ${line}: ${problem}`, { header: [problem] });
      return undefined;
    }
    if (fields.length !== header.length)
      return new LineProblem(`expected ${header.length} fields, got ${fields.length}`);
    const record: RawRecord = {};
    for (let i = 0; i < header.length; i++) record[header[i] as string] = trimmed(fields[i] as string);
    return record;
  };
  const finish = () => {
    if (!header)
      throw DomainError.badRequest('the file is empty: expected a header line', { header: ['missing'] });
  };
  return { read, finish };
}

export async function* parseIngestStream<K extends IngestKind>(
  kind: K,
  format: IngestFormat,
  input: Readable,
  batchRows = INGEST_BATCH_ROWS,
): AsyncGenerator<IngestBatch<K>> {
  let batch: IngestBatch<K> = { rows: [], problems: [] };
  const reader = format === 'csv' ? csvReader(kind) : { read: ndjsonLine, finish: () => {} };
  // CSV columns were checked once, on the header.
  const validate = createRecordValidator(kind, format, { columnsChecked: format === 'csv' });
  let line = 0;
  for await (const lines of readLines(input)) {
    for (const text of lines) {
      line += 1;
      const item = reader.read(text, line);
      if (item === undefined) continue;
      if (item instanceof LineProblem) {
        batch.problems.push({ line, reason: item.reason });
      } else {
        const result = validate(item);
        if (result.ok) batch.rows.push({ line, record: result.record as IngestRecord<K> });
        else batch.problems.push({ line, reason: result.reason });
      }
      if (batch.rows.length + batch.problems.length >= batchRows) {
        yield batch;
        batch = { rows: [], problems: [] };
      }
    }
  }
  reader.finish();
  if (batch.rows.length > 0 || batch.problems.length > 0) yield batch;
}
