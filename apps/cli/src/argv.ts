import { UsageError } from './cli-error.js';
import type { Command } from './command.js';

/** Pulls the global flags out of argv wherever they stand; the rest goes to the command. */
export function splitGlobalFlags(argv: readonly string[], env: Record<string, string | undefined>) {
  const rest: string[] = [];
  let url = env.AIHUB_URL || 'http://127.0.0.1:8080';
  let apiKey = env.AIHUB_API_KEY || undefined;
  let json = false;
  let help = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
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
