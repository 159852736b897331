import { CliError, UsageError } from '../cli-error.js';
import type { Command } from '../command.js';
import { progressBar, uploadFile } from '../http-stream.js';
import { printJson, printTable } from '../output.js';
import { parseCommandArgs, requireValue } from '../parse.js';

interface IngestSummary {
  accepted: number;
  rejected: number;
  problems: { line: number; reason: string }[];
  committed: boolean;
}

function formatOf(file: string, explicit: string | undefined, usage: string): 'csv' | 'ndjson' {
  const format =
    explicit ?? (/\.(ndjson|jsonl)$/i.test(file) ? 'ndjson' : /\.csv$/i.test(file) ? 'csv' : undefined);
  if (format === 'csv' || format === 'ndjson') return format;
  throw new UsageError(`--format: give csv or ndjson (cannot tell from '${file}')\nusage: ${usage}`);
}

function ingestCommand(kind: 'entities' | 'readings' | 'weather'): Command {
  return {
    name: `ingest ${kind}`,
    usage: `aihub ingest ${kind} --file F [--format csv|ndjson] [--strict] [--json]`,
    summary: `Load ${kind} from a CSV or NDJSON file (streamed; bad lines reported, --strict refuses the file)`,
    async run({ connection, args, json }) {
      const { values } = parseCommandArgs(
        args,
        { file: { type: 'string' }, format: { type: 'string' }, strict: { type: 'boolean' } },
        this.usage,
      );
      const file = requireValue(values.file, '--file', this.usage);
      const format = formatOf(file, values.format, this.usage);
      const bar = progressBar(`uploading ${file}`);
      const summary = await uploadFile<IngestSummary>(
        connection,
        `v1/ingest/${kind}?format=${format}&strict=${values.strict ? 'true' : 'false'}`,
        file,
        { contentType: format === 'csv' ? 'text/csv' : 'application/x-ndjson', onProgress: bar.update },
      ).finally(() => bar.finish());
      if (json) printJson(summary);
      else {
        process.stdout.write(
          `${summary.committed ? 'stored' : 'refused (--strict): nothing stored'}: ${summary.accepted} accepted, ${summary.rejected} rejected\n`,
        );
        if (summary.problems.length > 0) printTable(summary.problems, ['line', 'reason']);
      }
      if (!summary.committed)
        throw new CliError(`${summary.rejected} invalid line(s); the file was not stored`);
    },
  };
}

export const ingestCommands: readonly Command[] = [
  ingestCommand('entities'),
  ingestCommand('readings'),
  ingestCommand('weather'),
];
