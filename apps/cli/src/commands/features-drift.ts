import type { Command } from '../command.js';
import { printJson, printTable } from '../output.js';
import { parseCommandArgs, parseTime, requireValue } from '../parse.js';

export const featuresDriftCommand: Command = {
  name: 'features drift',
  usage: 'aihub features drift <id|name@version|name@stage|name@alias> [--end T] [--json]',
  summary:
    "A model's served features over the last 24 hours against its training export: PSI and null-fraction change per feature (recorded)",
  async run({ client, args, json }) {
    const { values, positionals } = parseCommandArgs(args, { end: { type: 'string' } }, this.usage);
    const report = await client.features.drift.query({
      // The server parses the reference and names it when it is malformed.
      model: requireValue(positionals[0], '<model>', this.usage),
      ...(values.end ? { end: parseTime(values.end, '--end', this.usage) } : {}),
    });
    if (json) return printJson(report);
    const window = `${report.windowStart.toISOString()} to ${report.windowEnd.toISOString()}`;
    process.stdout.write(
      `${report.model} v${report.version} (${report.stage}): ${report.servedVectors} vectors served from ${window}, ` +
        `against export ${report.exportId} (${report.featureSet}@${report.featureSetVersion}, ${report.metric})\n`,
    );
    printTable(
      report.features.map((f) => ({ ...f, flagged: f.flagged ? 'DRIFT' : '' })),
      [
        'feature',
        'psi',
        'trainingNullFraction',
        'servedNullFraction',
        'nullFractionChange',
        'servedCount',
        'flagged',
      ],
    );
    process.stdout.write(
      report.flagged.length > 0
        ? `drift (PSI above 0.2) in ${report.flagged.length} of ${report.features.length} features: ${report.flagged.join(', ')}\n`
        : `no feature drifted (PSI at most 0.2)\n`,
    );
  },
};
