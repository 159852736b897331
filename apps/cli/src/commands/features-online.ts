import type { Command } from '../command.js';
import { printJson, printTable } from '../output.js';
import { parseCommandArgs, parseTime, requireValue } from '../parse.js';
import { parseSetRef } from './features.js';

export const featuresGetCommand: Command = {
  name: 'features get',
  usage: 'aihub features get --set NAME[@V] --metric M --entities a,b,... [--as-of T] [--json]',
  summary: 'Latest feature vectors (online when materialized, else computed); --as-of for a past hour',
  async run({ client, args, json }) {
    const { values } = parseCommandArgs(
      args,
      {
        set: { type: 'string' },
        metric: { type: 'string' },
        entities: { type: 'string' },
        'as-of': { type: 'string' },
      },
      this.usage,
    );
    const result = await client.features.get.query({
      ...parseSetRef(requireValue(values.set, '--set', this.usage), this.usage),
      metric: requireValue(values.metric, '--metric', this.usage),
      entityIds: requireValue(values.entities, '--entities', this.usage).split(','),
      ...(values['as-of'] === undefined ? {} : { asOf: parseTime(values['as-of'], '--as-of', this.usage) }),
    });
    if (json) return printJson(result);
    printTable<Record<string, unknown>>(
      result.vectors.map((v) => ({
        entityId: v.entityId,
        // 'unknown_entity': not an entity of the project; its values are null.
        status: v.status,
        asOf: v.asOf,
        source: v.source,
        stale: v.stale,
        ...Object.fromEntries(result.columns.map((c, i) => [c, v.values[i]])),
      })),
      ['entityId', 'status', 'asOf', 'source', 'stale', ...result.columns],
    );
  },
};

export const featuresMaterializeCommand: Command = {
  name: 'features materialize',
  usage: 'aihub features materialize --set NAME[@V] --metric M [--disable] [--json]',
  summary: 'Keep a set online for a metric (writes the current vectors now, then after every refresh)',
  async run({ client, args, json }) {
    const { values } = parseCommandArgs(
      args,
      { set: { type: 'string' }, metric: { type: 'string' }, disable: { type: 'boolean' } },
      this.usage,
    );
    const result = await client.features.materialize.mutate({
      ...parseSetRef(requireValue(values.set, '--set', this.usage), this.usage),
      metric: requireValue(values.metric, '--metric', this.usage),
      enabled: !values.disable,
    });
    if (json) return printJson(result);
    const r = result.registration;
    const name = `${r.featureSet}@${r.version} ${r.metric}`;
    if (!r.enabled) return void process.stdout.write(`disabled ${name} (its online vectors expire by TTL)\n`);
    process.stdout.write(
      `materialized ${name}: ${result.entities} entities as of ${result.asOf?.toISOString()}; kept current after every refresh\n`,
    );
  },
};

export const materializationsListCommand: Command = {
  name: 'materializations list',
  usage: 'aihub materializations list [--json]',
  summary: 'Feature sets kept online: last run, hour, entity count and error of each',
  async run({ client, args, json }) {
    parseCommandArgs(args, {}, this.usage);
    const registrations = await client.features.materializations.query();
    if (json) return printJson(registrations);
    printTable(
      registrations.map((r) => ({ ...r, set: `${r.featureSet}@${r.version}` })),
      ['set', 'metric', 'enabled', 'lastRunAt', 'lastAsOf', 'lastEntities', 'lastError'],
    );
  },
};

export const featuresHistoryCommand: Command = {
  name: 'features history',
  usage: 'aihub features history --set NAME[@V] --metric M --entity ID --start T --end T [--json]',
  summary: 'The vectors materialization served for an entity, one per hour of [start, end)',
  async run({ client, args, json }) {
    const { values } = parseCommandArgs(
      args,
      {
        set: { type: 'string' },
        metric: { type: 'string' },
        entity: { type: 'string' },
        start: { type: 'string' },
        end: { type: 'string' },
      },
      this.usage,
    );
    const result = await client.features.history.query({
      ...parseSetRef(requireValue(values.set, '--set', this.usage), this.usage),
      metric: requireValue(values.metric, '--metric', this.usage),
      entityId: requireValue(values.entity, '--entity', this.usage),
      start: parseTime(requireValue(values.start, '--start', this.usage), '--start', this.usage),
      end: parseTime(requireValue(values.end, '--end', this.usage), '--end', this.usage),
    });
    if (json) return printJson(result);
    if (result.vectors.length === 0) {
      process.stdout.write(`no vectors of ${result.entityId} were served in that range\n`);
      return;
    }
    printTable<Record<string, unknown>>(
      result.vectors.map((v) => ({
        asOf: v.asOf,
        materializedAt: v.materializedAt,
        ...Object.fromEntries(result.columns.map((c, i) => [c, v.values[i]])),
      })),
      ['asOf', 'materializedAt', ...result.columns],
    );
  },
};
