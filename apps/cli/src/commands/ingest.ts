import { CliError, UsageError } from '../cli-error.js';
import type { Command } from '../command.js';
import { progressBar, uploadFile } from '../http-stream.js';
import { printJson, problemLines } from '../output.js';
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
        // Problems first, the outcome last: the line a person (or `tail -1`) reads is the verdict.
        const lines = problemLines(summary.problems, summary.rejected);
        if (lines.length > 0) process.stdout.write(`${lines.join('\n')}\n`);
        const outcome = summary.committed ? 'stored' : 'refused (--strict): nothing stored';
        process.stdout.write(`${outcome}: ${summary.accepted} accepted, ${summary.rejected} rejected\n`);
      }
      if (!summary.committed)
        throw new CliError(`${summary.rejected} invalid line(s); the file was not stored`);
      if (summary.accepted === 0 && summary.rejected > 0)
        throw new CliError(`every line was rejected (${summary.rejected}); nothing was stored`);
    },
  };
}

export const ingestCommands: readonly Command[] = [
  ingestCommand('entities'),
  ingestCommand('readings'),
  ingestCommand('weather'),
];
