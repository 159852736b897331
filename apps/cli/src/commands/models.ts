import { basename } from 'node:path';
import { UsageError } from '../cli-error.js';
import type { Command } from '../command.js';
import { progressBar, uploadFile } from '../http-stream.js';
import { printFields, printJson, printTable } from '../output.js';
import { parseCommandArgs, parseCount, parseTime, requireValue } from '../parse.js';
import { parsePairs, parseRef } from './models-ref.js';
import { downloadVerified, outputPath, sha256OfFile } from './models-transfer.js';

const formats = ['onnx', 'joblib', 'pickle', 'json', 'safetensors', 'other'] as const;
type Format = (typeof formats)[number];

function formatOf(file: string, explicit: string | undefined, usage: string): Format {
  const value = explicit ?? (file.split('.').pop() === 'pkl' ? 'pickle' : file.split('.').pop());
  if ((formats as readonly (string | undefined)[]).includes(value)) return value as Format;
  if (explicit)
    throw new UsageError(
      `--format must be one of ${formats.join(', ')} (got '${explicit}')\nusage: ${usage}`,
    );
  return 'other';
}

function featureSetOf(value: string | undefined, usage: string) {
  if (value === undefined) return {};
  const match = /^([^@]+)@v?(\d+)$/.exec(value);
  if (!match) throw new UsageError(`--feature-set must be name@version (got '${value}')\nusage: ${usage}`);
  return { featureSet: match[1] as string, featureSetVersion: Number(match[2]) };
}

const summaryColumns = [
  'modelName',
  'version',
  'stage',
  'status',
  'aliases',
  'sizeBytes',
  'metrics',
  'createdAt',
] as const;

export const modelsRegisterCommand: Command = {
  name: 'models register',
  usage:
    'aihub models register --name N --file F [--format onnx|joblib|pickle|json|safetensors|other] [--metrics file.json|k=v,...] ' +
    '[--params file.json|k=v,...] [--tag k=v]... [--metadata file.json|k=v,...] [--feature-set S@v] [--metric M] [--export E] ' +
    '[--train-from T --train-to T] [--description D] [--comment C] [--json]',
  summary: 'Register a new model version and upload its artifact (streamed, sha256 checked)',
  async run({ client, connection, args, json }) {
    const multiple = { type: 'string', multiple: true } as const;
    const string = { type: 'string' } as const;
    const { values } = parseCommandArgs(
      args,
      {
        name: string,
        file: string,
        format: string,
        metrics: multiple,
        params: multiple,
        tag: multiple,
        metadata: multiple,
        'feature-set': string,
        metric: string,
        export: string,
        'train-from': string,
        'train-to': string,
        description: string,
        comment: string,
      },
      this.usage,
    );
    const name = requireValue(values.name, '--name', this.usage);
    const file = requireValue(values.file, '--file', this.usage);
    const { sha256, sizeBytes } = await sha256OfFile(file);
    const { version, upload } = await client.models.register.mutate({
      name,
      format: formatOf(file, values.format, this.usage),
      sizeBytes,
      sha256,
      metrics: (await parsePairs(values.metrics, '--metrics', 'numbers')) as Record<string, number>,
      params: await parsePairs(values.params, '--params', 'mixed'),
      metadata: await parsePairs(values.metadata, '--metadata', 'mixed'),
      ...(values.tag
        ? { tags: (await parsePairs(values.tag, '--tag', 'strings')) as Record<string, string> }
        : {}),
      lineage: {
        ...featureSetOf(values['feature-set'], this.usage),
        ...(values.metric ? { targetMetric: values.metric } : {}),
        ...(values.export ? { exportId: values.export } : {}),
        ...(values['train-from']
          ? { trainingFrom: parseTime(values['train-from'], '--train-from', this.usage) }
          : {}),
        ...(values['train-to']
          ? { trainingTo: parseTime(values['train-to'], '--train-to', this.usage) }
          : {}),
      },
      ...(values.description ? { description: values.description } : {}),
      ...(values.comment ? { comment: values.comment } : {}),
    });
    const bar = progressBar(`uploading ${basename(file)}`);
    await uploadFile(connection, upload.path, file, {
      contentType: 'application/octet-stream',
      onProgress: bar.update,
    }).finally(() => bar.finish());
    const ready = await client.models.get.query({ id: version.id });
    if (json) return printJson(ready);
    process.stdout.write(
      `registered ${ready.modelName} v${ready.version} (${ready.status}, ${ready.sizeBytes} bytes, sha256 ${ready.sha256})\n`,
    );
  },
};

export const modelsListCommand: Command = {
  name: 'models list',
  usage:
    'aihub models list [--name TEXT] [--stage S] [--status S] [--alias A] [--tag K[=V]] [--where "mape < 0.1"]... ' +
    '[--sort createdAt|name|version|metric] [--sort-metric M] [--order asc|desc] [--limit N] [--cursor C] [--json]',
  summary: 'Model versions, filtered by name, stage, alias, tag and metric comparisons',
  async run({ client, args, json }) {
    const string = { type: 'string' } as const;
    const { values } = parseCommandArgs(
      args,
      {
        name: string,
        stage: string,
        status: string,
        alias: string,
        tag: string,
        where: { type: 'string', multiple: true },
        sort: string,
        'sort-metric': string,
        order: string,
        limit: string,
        cursor: string,
      },
      this.usage,
    );
    const pick = <T extends string>(v: string | undefined) => (v === undefined ? undefined : (v as T));
    const page = await client.models.list.query({
      metrics: values.where ?? [],
      ...(values.name ? { nameContains: values.name } : {}),
      ...(values.stage ? { stage: pick<'staging'>(values.stage) } : {}),
      ...(values.status ? { status: pick<'ready'>(values.status) } : {}),
      ...(values.alias ? { alias: values.alias } : {}),
      ...(values.tag ? { tag: values.tag } : {}),
      ...(values.sort ? { sort: pick<'createdAt'>(values.sort) } : {}),
      ...(values['sort-metric'] ? { sortMetric: values['sort-metric'] } : {}),
      ...(values.order ? { order: pick<'asc'>(values.order) } : {}),
      ...(values.limit ? { limit: parseCount(values.limit, '--limit', this.usage) } : {}),
      ...(values.cursor ? { cursor: values.cursor } : {}),
    });
    if (json) return printJson(page);
    printTable(page.items, [...summaryColumns]);
    if (page.nextCursor) process.stdout.write(`more: --cursor ${page.nextCursor}\n`);
  },
};

export const modelsShowCommand: Command = {
  name: 'models show',
  usage: 'aihub models show <id|name@version|name@stage|name@alias> [--json]',
  summary: 'One model version: status, stage, aliases, metrics, lineage, checksum',
  async run({ client, args, json }) {
    const { positionals } = parseCommandArgs(args, {}, this.usage);
    const v = await client.models.get.query(parseRef(positionals[0], this.usage));
    if (json) return printJson(v);
    const { metrics, params, metadata, lineage, ...rest } = v;
    // The training export's statistics are long: `aihub exports show <export-id>` prints them.
    const { statistics, ...links } = lineage;
    const trainingStatistics = statistics
      ? `${statistics.features.length} features over ${statistics.rows} rows (export ${statistics.exportId})`
      : null;
    printFields({ ...rest, metrics, params, metadata, lineage: links, trainingStatistics });
  },
};

export const modelsHistoryCommand: Command = {
  name: 'models history',
  usage: 'aihub models history <name> [--version N] [--json]',
  summary: 'Audit trail of a model (or one version): who changed what, when, from and to',
  async run({ client, args, json }) {
    const { values, positionals } = parseCommandArgs(args, { version: { type: 'string' } }, this.usage);
    const name = requireValue(positionals[0], '<name>', this.usage);
    const events = await client.models.history.query({
      name,
      ...(values.version ? { version: parseCount(values.version, '--version', this.usage) } : {}),
    });
    if (json) return printJson(events);
    printTable(events, ['at', 'version', 'action', 'actor', 'from', 'to', 'comment']);
  },
};

export const modelsDownloadCommand: Command = {
  name: 'models download',
  usage: 'aihub models download <id|name@version|name@stage|name@alias> [--output FILE|DIR] [--json]',
  summary: 'Download an artifact and verify its sha256 (nothing is written on a mismatch)',
  async run({ client, args, json }) {
    const { values, positionals } = parseCommandArgs(args, { output: { type: 'string' } }, this.usage);
    const link = await client.models.download.query(parseRef(positionals[0], this.usage));
    const output = await outputPath(values.output, link.fileName);
    const got = await downloadVerified(link.url, output, link);
    if (json) return printJson({ file: output, ...got, verified: true });
    process.stdout.write(`downloaded ${output} (${got.sizeBytes} bytes, sha256 ${got.sha256} verified)\n`);
  },
};
