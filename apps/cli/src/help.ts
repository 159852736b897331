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

/**
 * A long usage line folded at `width` with a hanging indent under the first flag; a bracketed or
 * parenthesized group (`[--train-from T --train-to T]`) is never split.
 */
export function foldUsage(usage: string, width = 100): string {
  const words: string[] = [];
  let depth = 0;
  for (const part of usage.split(' ')) {
    if (depth > 0) words[words.length - 1] += ` ${part}`;
    else words.push(part);
    depth += (part.match(/[[(]/g)?.length ?? 0) - (part.match(/[\])]/g)?.length ?? 0);
  }
  const head = words.findIndex((w) => w.startsWith('-') || w.startsWith('[') || w.startsWith('('));
  if (head <= 0) return usage;
  const indent = ' '.repeat('usage: '.length + words.slice(0, head).join(' ').length + 1);
  const lines = [words.slice(0, head + 1).join(' ')];
  for (const word of words.slice(head + 1)) {
    const last = lines[lines.length - 1] as string;
    const used = (lines.length === 1 ? 'usage: '.length : 0) + last.length;
    if (used + 1 + word.length > width) lines.push(`${indent}${word}`);
    else lines[lines.length - 1] = `${last} ${word}`;
  }
  return lines.join('\n');
}

export function commandHelp(command: Command): string {
  // Alternative forms (`aihub models alias set … | aihub models alias remove …`) each get their own lines.
  const forms = command.usage
    .split(' | aihub ')
    .map((form, i) => foldUsage(i === 0 ? form : `aihub ${form}`));
  return `usage: ${forms.join('\n       ')}

${command.summary}

Global options:
${globalOptions()}
`;
}
