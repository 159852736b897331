import { CliError } from '../cli-error.js';
import type { Command } from '../command.js';
import { printFields, printJson, printTable, printWarnings } from '../output.js';
import { parseCommandArgs, requireValue } from '../parse.js';
import { downloadJobFile, followJob, jobListFilter, jobListOptions } from './exports.js';
import { spineOrRange } from './features.js';

/*
 * Batch predictions: `aihub predict batch` starts one (as `aihub features export` starts an
 * export), `aihub batches list|show|download|cancel` follow them (as `aihub exports …` do).
 */

export const predictBatchCommand: Command = {
  name: 'predict batch',
  usage:
    'aihub predict batch <id|name@version|name@stage|name@alias> (--spine FILE.csv | --start T --end T [--entities a,b]) [--features] [--wait] [--quiet] [--json]',
  summary:
    'Start a batch prediction over a spine or entities x hours (point-in-time features) into Parquet; --wait follows it',
  async run({ client, args, json }) {
    const { values, positionals } = parseCommandArgs(
      args,
      {
        start: { type: 'string' },
        end: { type: 'string' },
        entities: { type: 'string' },
        spine: { type: 'string' },
        features: { type: 'boolean' },
        wait: { type: 'boolean' },
        quiet: { type: 'boolean' },
      },
      this.usage,
    );
    const model = requireValue(positionals[0], '<model>', this.usage);
    const source = await spineOrRange(values, this.usage);
    let batch = await client.predictions.batch.mutate({
      model,
      ...source,
      includeFeatures: values.features === true,
    });
    if (!json) printWarnings(batch.warnings);
    if (values.wait) {
      const { id } = batch;
      batch = await followJob(`predicting ${id}`, batch, () => client.predictions.batchGet.query({ id }));
    }
    if (json) return printJson(batch);
    const failed = batch.status === 'failed' || batch.status === 'cancelled';
    if (failed)
      throw new CliError(`prediction batch ${batch.id} ${batch.status}: ${batch.error ?? 'no reason given'}`);
    if (values.quiet) return void process.stdout.write(`${batch.id}\n`);
    const what = `${batch.model.name} v${batch.model.version}`;
    if (!values.wait)
      return void process.stdout.write(
        `queued prediction batch ${batch.id} of ${what} (${batch.totalRows} rows)\n`,
      );
    process.stdout.write(
      `prediction batch ${batch.id} of ${what} succeeded: ${batch.rowsWritten} rows, ${batch.bytes} bytes, sha256 ${batch.sha256}\n`,
    );
  },
};

export const batchesListCommand: Command = {
  name: 'batches list',
  usage:
    'aihub batches list [--status S] [--model NAME] [--from T] [--to T] [--limit N] [--cursor ID] [--json]',
  summary: 'Prediction batches, newest first (prints the next page cursor when there is one)',
  async run({ client, args, json }) {
    const { values } = parseCommandArgs(args, { ...jobListOptions, model: { type: 'string' } }, this.usage);
    const page = await client.predictions.batches.query({
      ...jobListFilter(values, this.usage),
      ...(values.model ? { model: values.model } : {}),
    });
    if (json) return printJson(page);
    printTable(
      page.items.map((b) => ({
        ...b,
        model: `${b.model.name}@${b.model.version}`,
        rows: `${b.rowsWritten}/${b.totalRows}`,
      })),
      ['id', 'status', 'model', 'rows', 'bytes', 'createdAt'],
    );
    if (page.nextCursor) process.stdout.write(`next page: --cursor ${page.nextCursor}\n`);
  },
};

export const batchesShowCommand: Command = {
  name: 'batches show',
  usage: 'aihub batches show <batch-id> [--json]',
  summary: 'One prediction batch: status, progress, model version, parameters, checksum and download URL',
  async run({ client, args, json }) {
    const { positionals } = parseCommandArgs(args, {}, this.usage);
    const found = await client.predictions.batchGet.query({
      id: requireValue(positionals[0], '<batch-id>', this.usage),
    });
    if (json) return printJson(found);
    const { model, params, warnings, ...rest } = found;
    printFields({
      ...rest,
      model: `${model.name} v${model.version} (${model.id})`,
      params: JSON.stringify(params),
      warnings: warnings.join('; ') || null,
    });
  },
};

export const batchesDownloadCommand: Command = {
  name: 'batches download',
  usage: 'aihub batches download <batch-id> [--output FILE|DIR] [--json]',
  summary: 'Download the Parquet file of a succeeded prediction batch and verify its sha256',
  async run({ client, args, json }) {
    const { values, positionals } = parseCommandArgs(args, { output: { type: 'string' } }, this.usage);
    const found = await client.predictions.batchGet.query({
      id: requireValue(positionals[0], '<batch-id>', this.usage),
    });
    const name = `predictions-${found.model.name}-v${found.model.version}-${found.id}.parquet`;
    await downloadJobFile(found, 'prediction batch', name, values.output, json);
  },
};

export const batchesCancelCommand: Command = {
  name: 'batches cancel',
  usage: 'aihub batches cancel <batch-id> [--json]',
  summary: 'Stop a queued or running prediction batch; what it had uploaded is removed',
  async run({ client, args, json }) {
    const { positionals } = parseCommandArgs(args, {}, this.usage);
    const cancelled = await client.predictions.cancelBatch.mutate({
      id: requireValue(positionals[0], '<batch-id>', this.usage),
    });
    if (json) return printJson(cancelled);
    process.stdout.write(`prediction batch ${cancelled.id} is ${cancelled.status}\n`);
  },
};
