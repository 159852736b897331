import type { Readable } from 'node:stream';
import {
  checkHeader,
  createRecordValidator,
  DomainError,
  type IngestBatch,
  type IngestFormat,
  type IngestKind,
  type IngestProblem,
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

type Item = { line: number; raw: RawRecord } | IngestProblem;

const TOO_LONG = `longer than ${MAX_INGEST_LINE_LENGTH.toLocaleString('en-US')} characters`;

async function* ndjsonRecords(input: Readable): AsyncGenerator<Item> {
  let line = 0;
  for await (const text of readLines(input)) {
    line += 1;
    if (text === null) {
      yield { line, reason: TOO_LONG };
      continue;
    }
    if (text.trim() === '') continue;
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (error) {
      yield { line, reason: `not valid JSON (${(error as Error).message})` };
      continue;
    }
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      yield { line, reason: 'must be a JSON object' };
      continue;
    }
    yield { line, raw: value as RawRecord };
  }
}

/** trim() allocates a new string; most fields have nothing to trim. */
function trimmed(field: string): string {
  const first = field.charCodeAt(0);
  const last = field.charCodeAt(field.length - 1);
  return first <= 32 || last <= 32 ? field.trim() : field;
}

async function* csvRecords(kind: IngestKind, input: Readable): AsyncGenerator<Item> {
  let header: string[] | undefined;
  let line = 0;
  for await (const raw of readLines(input)) {
    line += 1;
    if (raw === null) {
      if (!header) throw DomainError.badRequest(`line ${line}: ${TOO_LONG}`, { header: [TOO_LONG] });
      yield { line, reason: TOO_LONG };
      continue;
    }
    // A byte-order mark may open the file; blank lines are skipped.
    const text = line === 1 ? raw.replace(/^\uFEFF/, '') : raw;
    if (text.trim() === '') continue;
    const fields = splitCsvLine(text);
    if (!Array.isArray(fields)) {
      if (!header) throw DomainError.badRequest(`line ${line}: ${fields.error}`, { header: [fields.error] });
      yield { line, reason: fields.error };
      continue;
    }
    if (!header) {
      header = fields.map((field) => field.trim());
      const problem = checkHeader(kind, header);
      if (problem) throw DomainError.badRequest(`line ${line}: ${problem}`, { header: [problem] });
      continue;
    }
    if (fields.length !== header.length) {
      yield { line, reason: `expected ${header.length} fields, got ${fields.length}` };
      continue;
    }
    const record: RawRecord = {};
    for (let i = 0; i < header.length; i++) record[header[i] as string] = trimmed(fields[i] as string);
    yield { line, raw: record };
  }
  if (!header)
    throw DomainError.badRequest('the file is empty: expected a header line', { header: ['missing'] });
}

export async function* parseIngestStream<K extends IngestKind>(
  kind: K,
  format: IngestFormat,
  input: Readable,
  batchRows = INGEST_BATCH_ROWS,
): AsyncGenerator<IngestBatch<K>> {
  let batch: IngestBatch<K> = { rows: [], problems: [] };
  const items = format === 'csv' ? csvRecords(kind, input) : ndjsonRecords(input);
  // CSV columns were checked once, on the header.
  const validate = createRecordValidator(kind, format, { columnsChecked: format === 'csv' });
  for await (const item of items) {
    if ('reason' in item) {
      batch.problems.push(item);
    } else {
      const result = validate(item.raw);
      if (result.ok) batch.rows.push({ line: item.line, record: result.record as IngestRecord<K> });
      else batch.problems.push({ line: item.line, reason: result.reason });
    }
    if (batch.rows.length + batch.problems.length >= batchRows) {
      yield batch;
      batch = { rows: [], problems: [] };
    }
  }
  if (batch.rows.length > 0 || batch.problems.length > 0) yield batch;
}
