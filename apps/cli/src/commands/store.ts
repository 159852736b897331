import type { Command } from '../command.js';
import { printFields, printJson, printTable } from '../output.js';
import { parseCommandArgs } from '../parse.js';

export const aggregatesRefreshCommand: Command = {
  name: 'aggregates refresh',
  usage: 'aihub aggregates refresh [--json]',
  summary: 'Recompute the hourly/daily buckets whose readings changed (also runs every minute)',
  async run({ client, args, json }) {
    parseCommandArgs(args, {}, this.usage);
    const result = await client.aggregates.refresh.mutate();
    if (json) printJson(result);
    else
      process.stdout.write(
        `refreshed ${result.hourlyBuckets} hourly and ${result.dailyBuckets} daily buckets\n`,
      );
  },
};

export const aggregatesStatusCommand: Command = {
  name: 'aggregates status',
  usage: 'aihub aggregates status [--json]',
  summary: 'Buckets waiting for the next refresh',
  async run({ client, args, json }) {
    parseCommandArgs(args, {}, this.usage);
    const status = await client.aggregates.status.query();
    if (json) printJson(status);
    else process.stdout.write(`${status.pendingBuckets} hourly bucket(s) pending refresh\n`);
  },
};

export const retentionCommand: Command = {
  name: 'maintenance retention',
  usage: 'aihub maintenance retention [--json]',
  summary: 'Apply the retention policy now (root admins; also runs daily)',
  async run({ client, args, json }) {
    parseCommandArgs(args, {}, this.usage);
    const result = await client.maintenance.retention.mutate();
    if (json) printJson(result);
    else
      printFields({
        readingsDeleted: result.readingsDeleted,
        weatherDeleted: result.weatherDeleted,
        anomalyFlagsDeleted: result.anomalyFlagsDeleted,
        hourlyBucketsRefreshed: result.refresh.hourlyBuckets,
        dailyBucketsRefreshed: result.refresh.dailyBuckets,
      });
  },
};

export const entitiesListCommand: Command = {
  name: 'entities list',
  usage: 'aihub entities list [--json]',
  summary: 'Entities of the project with their location and time zone',
  async run({ client, args, json }) {
    parseCommandArgs(args, {}, this.usage);
    const entities = await client.entities.list.query({});
    if (json) printJson(entities);
    else printTable(entities, ['entityId', 'locationId', 'timezone']);
  },
};
