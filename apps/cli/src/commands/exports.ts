import { CliError, UsageError } from '../cli-error.js';
import type { Command } from '../command.js';
import { progressBar } from '../http-stream.js';
import { printFields, printJson, printTable, printWarnings } from '../output.js';
import { parseCommandArgs, parseCount, parseTime, requireValue } from '../parse.js';
import { parseSetRef, spineOrRange } from './features.js';
import { downloadVerified, outputPath } from './models-transfer.js';

export type ExportStatus = 'queued' | 'running' | 'succeeded' | 'failed' | 'cancelled';
const FINISHED = new Set<ExportStatus>(['succeeded', 'failed', 'cancelled']);

/** Follows a durable job (export, prediction batch) until it finishes, with a progress bar on a terminal. */
export async function followJob<
  T extends { status: ExportStatus; rowsWritten: number; totalRows: number | null },
>(label: string, started: T, get: () => Promise<T>): Promise<T> {
  const bar = progressBar(label);
  let current = started;
  while (!FINISHED.has(current.status)) {
    await new Promise((resolve) => setTimeout(resolve, 500));
    current = await get();
    bar.update(current.rowsWritten, current.totalRows ?? 0);
  }
  bar.finish();
  return current;
}

/** The options every listing of jobs takes beside its own filter (exports, prediction batches). */
export const jobListOptions = {
  status: { type: 'string' },
  from: { type: 'string' },
  to: { type: 'string' },
  limit: { type: 'string' },
  cursor: { type: 'string' },
} as const;

/** Those options as the list procedures' filter fields. */
export function jobListFilter(
  values: { status?: string; from?: string; to?: string; limit?: string; cursor?: string },
  usage: string,
) {
  return {
    // The server validates the status and answers BAD_REQUEST naming it.
    ...(values.status ? { status: values.status as ExportStatus } : {}),
    ...(values.from ? { createdFrom: parseTime(values.from, '--from', usage) } : {}),
    ...(values.to ? { createdTo: parseTime(values.to, '--to', usage) } : {}),
    ...(values.limit ? { limit: parseCount(values.limit, '--limit', usage) } : {}),
    ...(values.cursor ? { cursor: values.cursor } : {}),
  };
}

/** Downloads the file of a succeeded job to `output` (a file or folder) and verifies its sha256. */
export async function downloadJobFile(
  found: {
    id: string;
    status: string;
    downloadUrl: string | null;
    sha256: string | null;
    bytes: number | null;
  },
  what: string,
  fileName: string,
  output: string | undefined,
  json: boolean,
): Promise<void> {
  if (!found.downloadUrl || !found.sha256 || found.bytes === null) {
    throw new UsageError(`${what} ${found.id} is ${found.status}; only succeeded ones can be downloaded`);
  }
  const file = await outputPath(output, fileName);
  const got = await downloadVerified(found.downloadUrl, file, {
    sha256: found.sha256,
    sizeBytes: found.bytes,
  });
  if (json) return printJson({ file, ...got, verified: true });
  process.stdout.write(`downloaded ${file} (${got.sizeBytes} bytes, sha256 ${got.sha256} verified)\n`);
}

export const featuresExportCommand: Command = {
  name: 'features export',
  usage:
    'aihub features export --set NAME[@V] --metric M (--spine FILE.csv | --start T --end T [--entities a,b]) [--labels] [--wait] [--quiet] [--json]',
  summary:
    'Start a Parquet training-set export (a spine, or entities x hours of [start, end)); --wait follows it',
  async run({ client, args, json }) {
    const { values } = parseCommandArgs(
      args,
      {
        set: { type: 'string' },
        metric: { type: 'string' },
        start: { type: 'string' },
        end: { type: 'string' },
        entities: { type: 'string' },
        spine: { type: 'string' },
        labels: { type: 'boolean' },
        wait: { type: 'boolean' },
        quiet: { type: 'boolean' },
      },
      this.usage,
    );
    const set = parseSetRef(requireValue(values.set, '--set', this.usage), this.usage);
    const metric = requireValue(values.metric, '--metric', this.usage);
    const source = await spineOrRange(values, this.usage);
    let started = await client.features.export.mutate({
      ...set,
      metric,
      ...source,
      includeLabel: values.labels ?? false,
    });
    if (!json) printWarnings(started.warnings); // with --json they are in the record, and stderr stays JSON
    if (values.wait) {
      const { id } = started;
      started = await followJob(`exporting ${id}`, started, () => client.features.exportGet.query({ id }));
    }
    if (json) return printJson(started);
    if (values.quiet) {
      // Only the id, for scripts: `id=$(aihub features export … --wait --quiet)`.
      if (started.status !== 'queued' && started.status !== 'running' && started.status !== 'succeeded')
        throw new CliError(`export ${started.id} ${started.status}: ${started.error ?? 'no reason given'}`);
      return void process.stdout.write(`${started.id}\n`);
    }
    if (!values.wait)
      return void process.stdout.write(`queued export ${started.id} (${started.totalRows} rows)\n`);
    if (started.status !== 'succeeded') {
      throw new CliError(`export ${started.id} ${started.status}: ${started.error ?? 'no reason given'}`);
    }
    process.stdout.write(
      `export ${started.id} succeeded: ${started.rowsWritten} rows, ${started.bytes} bytes, sha256 ${started.sha256}\n`,
    );
  },
};

export const exportsListCommand: Command = {
  name: 'exports list',
  usage:
    'aihub exports list [--status S] [--set NAME] [--from T] [--to T] [--limit N] [--cursor ID] [--json]',
  summary: 'Training-set exports, newest first (prints the next page cursor when there is one)',
  async run({ client, args, json }) {
    const { values } = parseCommandArgs(args, { ...jobListOptions, set: { type: 'string' } }, this.usage);
    const page = await client.features.exports.query({
      ...jobListFilter(values, this.usage),
      ...(values.set ? { featureSet: values.set } : {}),
    });
    if (json) return printJson(page);
    printTable(
      page.items.map((e) => ({
        ...e,
        set: `${e.featureSet}@${e.featureSetVersion}`,
        rows: `${e.rowsWritten}/${e.totalRows}`,
      })),
      ['id', 'status', 'set', 'metric', 'rows', 'bytes', 'createdAt'],
    );
    if (page.nextCursor) process.stdout.write(`next page: --cursor ${page.nextCursor}\n`);
  },
};

export const exportsShowCommand: Command = {
  name: 'exports show',
  usage: 'aihub exports show <export-id> [--json]',
  summary:
    'One export: status, progress, parameters, checksum, per-feature statistics and download URL when it succeeded',
  async run({ client, args, json }) {
    const { positionals } = parseCommandArgs(args, {}, this.usage);
    const found = await client.features.exportGet.query({
      id: requireValue(positionals[0], '<export-id>', this.usage),
    });
    if (json) return printJson(found);
    const { params, warnings, statistics, ...rest } = found;
    printFields({ ...rest, params: JSON.stringify(params), warnings: warnings.join('; ') || null });
    if (!statistics) return;
    process.stdout.write(`\nstatistics of ${statistics.rows} rows (quantiles: ${statistics.sketch})\n`);
    printTable(
      statistics.features.map(({ quantiles, ...s }) => ({ ...s, ...quantiles })),
      [
        'feature',
        'count',
        'nullFraction',
        'mean',
        'std',
        'min',
        'p1',
        'p5',
        'p25',
        'p50',
        'p75',
        'p95',
        'p99',
        'max',
      ],
    );
  },
};

export const exportsDownloadCommand: Command = {
  name: 'exports download',
  usage: 'aihub exports download <export-id> [--output FILE|DIR] [--json]',
  summary: 'Download a succeeded export and verify its sha256 (nothing is written on a mismatch)',
  async run({ client, args, json }) {
    const { values, positionals } = parseCommandArgs(args, { output: { type: 'string' } }, this.usage);
    const found = await client.features.exportGet.query({
      id: requireValue(positionals[0], '<export-id>', this.usage),
    });
    const name = `${found.featureSet}-v${found.featureSetVersion}-${found.id}.parquet`;
    await downloadJobFile(found, 'export', name, values.output, json);
  },
};

export const exportsCancelCommand: Command = {
  name: 'exports cancel',
  usage: 'aihub exports cancel <export-id> [--json]',
  summary: 'Stop a queued or running export; what it had uploaded is removed',
  async run({ client, args, json }) {
    const { positionals } = parseCommandArgs(args, {}, this.usage);
    const cancelled = await client.features.cancelExport.mutate({
      id: requireValue(positionals[0], '<export-id>', this.usage),
    });
    if (json) return printJson(cancelled);
    process.stdout.write(`export ${cancelled.id} is ${cancelled.status}\n`);
  },
};
