// aihub: the AI Hub command line. One top-level catch turns every failure into one sentence on stderr
// (a JSON object with --json) and a non-zero exit: 2 for bad usage, 1 for anything else.
import { findCommand, groupCommands, splitGlobalFlags } from './argv.js';
import { CliError, UsageError } from './cli-error.js';
import { createApiClient, describeApiError } from './client.js';
import { commands } from './commands/index.js';
import { commandHelp, globalHelp, groupHelp } from './help.js';
import { exitQuietlyOnClosedStdout } from './output.js';
import { closest } from './suggest.js';
import { cliVersion } from './version.js';

function unknownCommand(words: readonly string[]): UsageError {
  const typed = words.slice(0, 2).join(' ');
  const guess =
    closest(
      typed,
      commands.map((c) => c.name),
    ) ?? closest(words[0] as string, [...new Set(commands.map((c) => c.name.split(' ')[0] as string))]);
  return new UsageError(
    `unknown command '${typed}'${guess ? `; did you mean '${guess}'?` : ''} (run 'aihub help' for the list)`,
  );
}

async function main(argv: readonly string[]): Promise<void> {
  const flags = splitGlobalFlags(argv, process.env);
  let words = flags.rest;
  if (words[0] === '--version') return void process.stdout.write(`aihub ${cliVersion}\n`);
  let help = flags.help;
  if (words[0] === 'help') [words, help] = [words.slice(1), true];
  if (words.length === 0) {
    process.stdout.write(globalHelp(commands));
    if (!help) process.exitCode = 2;
    return;
  }
  const found = findCommand(commands, words);
  if (!found) {
    const group = groupCommands(commands, words[0]);
    if (group.length === 0 || (words.length > 1 && !words[1]?.startsWith('-'))) throw unknownCommand(words);
    process.stdout.write(groupHelp(words[0] as string, group));
    if (!help) process.exitCode = 2;
    return;
  }
  if (help) return void process.stdout.write(commandHelp(found.command));
  const connection = { url: flags.url, apiKey: flags.apiKey };
  try {
    const client = createApiClient(connection);
    await found.command.run({ client, connection, args: found.args, json: flags.json });
  } catch (error) {
    throw await describeApiError(error, connection);
  }
}

exitQuietlyOnClosedStdout();
const argv = process.argv.slice(2);
main(argv).catch((error: unknown) => {
  const failure =
    error instanceof CliError ? error : new CliError(error instanceof Error ? error.message : String(error));
  if (argv.includes('--json'))
    process.stderr.write(`${JSON.stringify({ error: { code: failure.code, message: failure.message } })}\n`);
  else process.stderr.write(`aihub: ${failure.message}\n`);
  process.exitCode = failure.exitCode;
});
