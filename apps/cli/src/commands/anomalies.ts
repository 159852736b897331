import type { Command } from '../command.js';
import { printJson, printTable } from '../output.js';
import { parseCommandArgs, parseCount, parsePositive, parseTime, requireValue } from '../parse.js';

export const anomaliesDetectCommand: Command = {
  name: 'anomalies detect',
  usage:
    'aihub anomalies detect --metric M --start T --end T [--model REF] [--entities a,b,...] [--threshold X] [--all] [--json]',
  summary:
    "Hourly means against a model's predictions (or the rolling 24 h mean); prints the flagged hours (--all: every hour)",
  async run({ client, args, json }) {
    const { values } = parseCommandArgs(
      args,
      {
        metric: { type: 'string' },
        start: { type: 'string' },
        end: { type: 'string' },
        model: { type: 'string' },
        entities: { type: 'string' },
        threshold: { type: 'string' },
        all: { type: 'boolean' },
      },
      this.usage,
    );
    const result = await client.anomalies.detect.query({
      metric: requireValue(values.metric, '--metric', this.usage),
      start: parseTime(requireValue(values.start, '--start', this.usage), '--start', this.usage),
      end: parseTime(requireValue(values.end, '--end', this.usage), '--end', this.usage),
      // The server parses the reference and names it when it is malformed.
      ...(values.model === undefined ? {} : { model: values.model }),
      ...(values.entities === undefined ? {} : { entityIds: values.entities.split(',') }),
      ...(values.threshold === undefined
        ? {}
        : { threshold: parsePositive(values.threshold, '--threshold', this.usage) }),
    });
    if (json) return printJson(result);
    const against = result.model
      ? `${result.model.name} v${result.model.version} (${result.model.stage})`
      : 'the rolling 24 h mean';
    process.stdout.write(
      `${result.metric} against ${against}, threshold ${result.threshold} x rolling 24 h std: ` +
        `${result.flagged} of ${result.rows.length} entity-hours flagged\n`,
    );
    printTable<Record<string, unknown>>(
      result.rows.filter((r) => values.all === true || r.flagged).map((r) => ({ ...r })),
      ['entityId', 'hour', 'actual', 'expected', 'residual', 'std', 'score', 'flagged'],
    );
  },
};

export const anomaliesListCommand: Command = {
  name: 'anomalies list',
  usage:
    'aihub anomalies list [--model NAME] [--entity ID] [--from T] [--to T] [--limit N] [--cursor ID] [--json]',
  summary:
    'Hours the scheduled anomaly job flagged, newest first (prints the next page cursor when there is one)',
  async run({ client, args, json }) {
    const { values } = parseCommandArgs(
      args,
      {
        model: { type: 'string' },
        entity: { type: 'string' },
        from: { type: 'string' },
        to: { type: 'string' },
        limit: { type: 'string' },
        cursor: { type: 'string' },
      },
      this.usage,
    );
    const page = await client.anomalies.list.query({
      ...(values.model ? { model: values.model } : {}),
      ...(values.entity ? { entityId: values.entity } : {}),
      ...(values.from ? { from: parseTime(values.from, '--from', this.usage) } : {}),
      ...(values.to ? { to: parseTime(values.to, '--to', this.usage) } : {}),
      ...(values.limit ? { limit: parseCount(values.limit, '--limit', this.usage) } : {}),
      ...(values.cursor ? { cursor: values.cursor } : {}),
    });
    if (json) return printJson(page);
    printTable(
      page.items.map((f) => ({ ...f, model: `${f.modelName}@${f.version}` })),
      ['hour', 'model', 'entityId', 'actual', 'expected', 'residual', 'std', 'threshold'],
    );
    if (page.nextCursor) process.stdout.write(`next page: --cursor ${page.nextCursor}\n`);
  },
};
