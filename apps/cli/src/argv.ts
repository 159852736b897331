import { UsageError } from './cli-error.js';
import type { Command } from './command.js';

/** The flags every command takes, in one place: parsed here, listed by help, offered as suggestions. */
export const globalFlags = [
  { flag: '--url URL', name: '--url', help: 'server URL (default: $AIHUB_URL, else http://127.0.0.1:8080)' },
  { flag: '--api-key KEY', name: '--api-key', help: 'API key (default: $AIHUB_API_KEY)' },
  { flag: '--json', name: '--json', help: 'machine-readable output on stdout, errors as JSON on stderr' },
  { flag: '-h, --help', name: '--help', help: 'help for the command or group' },
  { flag: '--version', name: '--version', help: 'the CLI version (aihub --version)' },
] as const;

export interface GlobalFlags {
  url: string;
  apiKey: string | undefined;
  json: boolean;
  help: boolean;
  rest: string[];
}

/** Pulls the global flags out of argv wherever they stand; the rest goes to the command. */
export function splitGlobalFlags(
  argv: readonly string[],
  env: Record<string, string | undefined>,
): GlobalFlags {
  const rest: string[] = [];
  let url = env.AIHUB_URL || 'http://127.0.0.1:8080';
  let apiKey = env.AIHUB_API_KEY || undefined;
  let json = false;
  let help = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (arg === '--') {
      rest.push(...argv.slice(i));
      break;
    }
    const [flag, inline] =
      arg.startsWith('--') && arg.includes('=')
        ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)]
        : [arg, undefined];
    const value = () => {
      if (inline !== undefined) return inline;
      const next = argv[++i];
      if (next === undefined) throw new UsageError(`${flag} needs a value`);
      return next;
    };
    if (flag === '--url') url = value();
    else if (flag === '--api-key') apiKey = value();
    else if (flag === '--json') json = true;
    else if (flag === '--help' || flag === '-h') help = true;
    else rest.push(arg);
  }
  return { url, apiKey, json, help, rest };
}

export function findCommand(
  commands: readonly Command[],
  words: readonly string[],
): { command: Command; args: readonly string[] } | undefined {
  for (const command of commands) {
    const parts = command.name.split(' ');
    if (parts.every((part, i) => words[i] === part)) return { command, args: words.slice(parts.length) };
  }
  return undefined;
}

/** The commands of a group (`models` → `models list`, `models show`, …); empty when there is no such group. */
export function groupCommands(commands: readonly Command[], group: string | undefined): Command[] {
  return group === undefined ? [] : commands.filter((c) => c.name.startsWith(`${group} `));
}
