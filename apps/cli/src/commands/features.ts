import { readFile } from 'node:fs/promises';
import { UsageError } from '../cli-error.js';
import type { Command } from '../command.js';
import { printJson, printTable, printWarnings } from '../output.js';
import { isZonedTime, parseCommandArgs, parseTime, requireValue } from '../parse.js';

/** "name" or "name@version". */
export function parseSetRef(value: string, usage: string): { featureSet: string; version?: number } {
  const match = /^([^@]+)(?:@(\d+))?$/.exec(value);
  if (!match?.[1])
    throw new UsageError(`--set: expected NAME or NAME@VERSION (got '${value}')\nusage: ${usage}`);
  return match[2] ? { featureSet: match[1], version: Number(match[2]) } : { featureSet: match[1] };
}

/**
 * A spine file: CSV with the header entity_id,as_of. Hand-parsed because entity ids cannot contain
 * commas or quotes (the server's identifier rule), so a line split is exact and errors name the line.
 */
export function parseSpineCsv(text: string): { entityId: string; asOf: string }[] {
  const lines = text.split(/\r?\n/);
  const header = lines[0]?.trim();
  if (header !== 'entity_id,as_of')
    throw new UsageError(`spine file line 1: expected the header 'entity_id,as_of' (got '${header ?? ''}')`);
  const rows: { entityId: string; asOf: string }[] = [];
  lines.slice(1).forEach((line, i) => {
    if (line.trim() === '') return;
    const [entityId, asOf, ...rest] = line.split(',').map((part) => part.trim());
    if (!entityId || !asOf || rest.length > 0)
      throw new UsageError(`spine file line ${i + 2}: expected entity_id,as_of`);
    if (!isZonedTime(asOf))
      throw new UsageError(
        `spine file line ${i + 2}: as_of '${asOf}' is not an ISO 8601 timestamp with a zone (e.g. 2026-03-01T00:00:00Z)`,
      );
    rows.push({ entityId, asOf });
  });
  return rows;
}

export type SpineOrRange =
  | { spine: { entityId: string; asOf: string }[] }
  | { range: { start: string; end: string; entityIds?: string[] } };

/** The rows asked for: `--spine FILE.csv`, or `--start/--end [--entities]` (entities x whole hours). */
export async function spineOrRange(
  values: { spine?: string; start?: string; end?: string; entities?: string },
  usage: string,
): Promise<SpineOrRange> {
  if (values.spine) {
    if (values.start || values.end || values.entities)
      throw new UsageError(`give --spine or --start/--end [--entities], not both\nusage: ${usage}`);
    return { spine: await readSpineFile(values.spine) };
  }
  const start = parseTime(requireValue(values.start, '--start', usage), '--start', usage);
  const end = parseTime(requireValue(values.end, '--end', usage), '--end', usage);
  return { range: { start, end, ...(values.entities ? { entityIds: values.entities.split(',') } : {}) } };
}

/** Reads and checks a `--spine` file. */
export async function readSpineFile(path: string): Promise<{ entityId: string; asOf: string }[]> {
  const text = await readFile(path, 'utf8').catch(() => {
    throw new UsageError(`--spine: cannot read '${path}'`);
  });
  return parseSpineCsv(text);
}

export const featuresSetsCommand: Command = {
  name: 'features sets',
  usage: 'aihub features sets [--json]',
  summary: 'Predefined and user-defined feature sets with their versions and features',
  async run({ client, args, json }) {
    parseCommandArgs(args, {}, this.usage);
    const sets = await client.features.sets.query();
    if (json) return printJson(sets);
    printTable(
      sets.map((s) => ({ ...s, features: s.features.join(',') })),
      ['name', 'version', 'predefined', 'features'],
    );
  },
};

export const featuresDefineCommand: Command = {
  name: 'features define',
  usage: 'aihub features define --name NAME --features f1,f2,... [--description TEXT] [--json]',
  summary: 'Create a user-defined feature set, or its next version when the features change',
  async run({ client, args, json }) {
    const { values } = parseCommandArgs(
      args,
      { name: { type: 'string' }, features: { type: 'string' }, description: { type: 'string' } },
      this.usage,
    );
    const name = requireValue(values.name, '--name', this.usage);
    const features = requireValue(values.features, '--features', this.usage)
      .split(',')
      .map((f) => f.trim());
    const result = await client.features.defineSet.mutate({
      name,
      features,
      ...(values.description === undefined ? {} : { description: values.description }),
    });
    if (json) return printJson(result);
    const { featureSet, created } = result;
    process.stdout.write(
      `${created ? 'created' : 'unchanged'} ${featureSet.name}@${featureSet.version}: ${featureSet.features.join(', ')}\n`,
    );
  },
};

export const featuresOfflineCommand: Command = {
  name: 'features offline',
  usage:
    'aihub features offline --set NAME[@V] --metric M (--spine FILE.csv | --start T --end T [--entities a,b]) [--labels] [--json]',
  summary: 'Point-in-time feature vectors (at most 10,000 rows; use an export for more)',
  async run({ client, args, json }) {
    const { values } = parseCommandArgs(
      args,
      {
        set: { type: 'string' },
        metric: { type: 'string' },
        spine: { type: 'string' },
        start: { type: 'string' },
        end: { type: 'string' },
        entities: { type: 'string' },
        labels: { type: 'boolean' },
      },
      this.usage,
    );
    const set = parseSetRef(requireValue(values.set, '--set', this.usage), this.usage);
    const metric = requireValue(values.metric, '--metric', this.usage);
    const source = await spineOrRange(values, this.usage);
    const result = await client.features.offline.query({
      ...set,
      metric,
      includeLabel: values.labels ?? false,
      ...source,
    } as Parameters<typeof client.features.offline.query>[0]);
    if (!json) printWarnings(result.warnings); // with --json they are in the result, and stderr stays JSON
    if (json) return printJson(result);
    const columns = ['entityId', 'asOf', ...result.columns, ...(values.labels ? ['label_next_1h'] : [])];
    const table: Record<string, unknown>[] = result.rows.map((row) => ({
      entityId: row.entityId,
      asOf: row.asOf,
      ...Object.fromEntries(result.columns.map((c, i) => [c, row.values[i]])),
      ...(values.labels ? { label_next_1h: row.label } : {}),
    }));
    printTable(table, columns);
  },
};
