import type { Command } from '../command.js';
import { printJson, printTable } from '../output.js';
import { parseCommandArgs, parseTime, requireValue } from '../parse.js';

export const predictCommand: Command = {
  name: 'predict',
  usage:
    'aihub predict <id|name@version|name@stage|name@alias> --entities a,b,... [--as-of T] [--features] [--json]',
  summary: "A registered ONNX model's predictions over the entities' online features",
  async run({ client, args, json }) {
    const { values, positionals } = parseCommandArgs(
      args,
      { entities: { type: 'string' }, 'as-of': { type: 'string' }, features: { type: 'boolean' } },
      this.usage,
    );
    const result = await client.predictions.predict.query({
      // The server parses the reference and names it when it is malformed.
      model: requireValue(positionals[0], '<model>', this.usage),
      entityIds: requireValue(values.entities, '--entities', this.usage).split(','),
      ...(values['as-of'] === undefined ? {} : { asOf: parseTime(values['as-of'], '--as-of', this.usage) }),
      includeFeatures: values.features === true,
    });
    if (json) return printJson(result);
    const { model } = result;
    process.stdout.write(
      `${model.name} v${model.version} (${model.stage}) over ${result.featureSet.name}@${result.featureSet.version} ` +
        `${result.metric}, ${result.latencyMs} ms\n`,
    );
    const columns = result.predictions[0]?.features ? Object.keys(result.predictions[0].features) : [];
    printTable<Record<string, unknown>>(
      result.predictions.map((p) => ({
        entityId: p.entityId,
        prediction: p.prediction,
        status: p.status,
        asOf: p.asOf,
        source: p.source,
        stale: p.stale,
        ...(p.features ?? {}),
      })),
      ['entityId', 'prediction', 'status', 'asOf', 'source', 'stale', ...columns],
    );
  },
};
