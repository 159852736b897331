import { globalFlags } from './argv.js';
import type { Command } from './command.js';

/** Two columns, the first padded to its longest entry, so every description starts in one column. */
export function columns(rows: readonly (readonly [string, string])[], indent = '  '): string {
  const width = Math.max(0, ...rows.map(([left]) => left.length));
  return rows.map(([left, right]) => `${indent}${left.padEnd(width)}  ${right}`.trimEnd()).join('\n');
}

const globalOptions = () => columns(globalFlags.map((f) => [f.flag, f.help]));

export function globalHelp(commands: readonly Command[]): string {
  return `usage: aihub <command> [options]
       aihub help [command]

Commands:
${columns(commands.map((c) => [c.name, c.summary]))}

Global options (anywhere on the line):
${globalOptions()}
`;
}

export function groupHelp(group: string, commands: readonly Command[]): string {
  return `usage: aihub ${group} <command> [options]

Commands:
${columns(commands.map((c) => [c.name, c.summary]))}

Run 'aihub help ${group} <command>' for a command's options.
`;
}

export function commandHelp(command: Command): string {
  return `usage: ${command.usage}

${command.summary}

Global options:
${globalOptions()}
`;
}
