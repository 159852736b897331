// aihub: the AI Hub command line. One top-level catch turns every failure into a one-line reason on stderr.
import { findCommand, splitGlobalFlags } from './argv.js';
import { CliError, UsageError } from './cli-error.js';
import { createApiClient, describeApiError } from './client.js';
import type { Command } from './command.js';
import {
  exportsDownloadCommand,
  exportsListCommand,
  exportsShowCommand,
  featuresExportCommand,
} from './commands/exports.js';
import { featuresDefineCommand, featuresOfflineCommand, featuresSetsCommand } from './commands/features.js';
import { featuresGetCommand, featuresMaterializeCommand } from './commands/features-online.js';
import { healthCommand, whoamiCommand } from './commands/health.js';
import { ingestCommands } from './commands/ingest.js';
import { keysCreateCommand, keysListCommand, keysRevokeCommand } from './commands/keys.js';
import {
  modelsDownloadCommand,
  modelsHistoryCommand,
  modelsListCommand,
  modelsRegisterCommand,
  modelsShowCommand,
} from './commands/models.js';
import {
  modelsAliasCommand,
  modelsCopyCommand,
  modelsDeleteCommand,
  modelsPromoteCommand,
} from './commands/models-write.js';
import { projectsCreateCommand, projectsListCommand } from './commands/projects.js';
import {
  aggregatesRefreshCommand,
  aggregatesStatusCommand,
  entitiesListCommand,
  retentionCommand,
} from './commands/store.js';

const commands: readonly Command[] = [
  healthCommand,
  whoamiCommand,
  projectsCreateCommand,
  projectsListCommand,
  keysCreateCommand,
  keysListCommand,
  keysRevokeCommand,
  modelsRegisterCommand,
  modelsListCommand,
  modelsShowCommand,
  modelsPromoteCommand,
  modelsAliasCommand,
  modelsDeleteCommand,
  modelsCopyCommand,
  modelsHistoryCommand,
  modelsDownloadCommand,
  ...ingestCommands,
  entitiesListCommand,
  aggregatesRefreshCommand,
  aggregatesStatusCommand,
  featuresSetsCommand,
  featuresDefineCommand,
  featuresOfflineCommand,
  featuresGetCommand,
  featuresMaterializeCommand,
  featuresExportCommand,
  exportsListCommand,
  exportsShowCommand,
  exportsDownloadCommand,
  retentionCommand,
];

const globalHelp = `usage: aihub <command> [options]

Global options (anywhere on the line):
  --url URL        server URL (default: $AIHUB_URL, else http://127.0.0.1:8080)
  --api-key KEY    API key (default: $AIHUB_API_KEY)
  --json           machine-readable output on stdout
  -h, --help       this help

Commands:
${commands.map((c) => `  ${c.name.padEnd(18)}${c.summary}`).join('\n')}
`;

async function main(argv: readonly string[]): Promise<void> {
  const flags = splitGlobalFlags(argv, process.env);
  if (flags.rest.length === 0) {
    process.stdout.write(globalHelp);
    if (!flags.help) process.exitCode = 2;
    return;
  }
  const found = findCommand(commands, flags.rest);
  if (!found) throw new UsageError(`unknown command '${flags.rest.join(' ')}'; run 'aihub --help'`);
  if (flags.help) {
    process.stdout.write(`usage: ${found.command.usage}\n${found.command.summary}\n`);
    return;
  }
  const connection = { url: flags.url, apiKey: flags.apiKey };
  const client = createApiClient(connection);
  try {
    await found.command.run({ client, connection, args: found.args, json: flags.json });
  } catch (error) {
    throw describeApiError(error, flags.url);
  }
}

main(process.argv.slice(2)).catch((error: unknown) => {
  const failure =
    error instanceof CliError ? error : new CliError(error instanceof Error ? error.message : String(error));
  process.stderr.write(`aihub: ${failure.message}\n`);
  process.exitCode = failure.exitCode;
});
