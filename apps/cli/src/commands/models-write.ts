import { UsageError } from '../cli-error.js';
import type { Command } from '../command.js';
import { printJson } from '../output.js';
import { parseCommandArgs, requireValue } from '../parse.js';
import { parseRef } from './models-ref.js';

/* Commands that change the registry: stages, aliases, copies and deletes. */

const stages = ['staging', 'production', 'archived'] as const;
const comment = { comment: { type: 'string' } } as const;
const withComment = (value: string | undefined) => (value ? { comment: value } : {});

function versionRefOnly(text: string | undefined, usage: string) {
  const ref = parseRef(text, usage);
  if ('stage' in ref || 'alias' in ref)
    throw new UsageError(`give an id or name@version here\nusage: ${usage}`);
  return ref;
}

export const modelsPromoteCommand: Command = {
  name: 'models promote',
  usage:
    'aihub models promote <id|name@version> --to staging|production|archived [--demote-to archived|staging] [--comment C] [--json]',
  summary: 'Move a version to another stage (the previous production version is archived)',
  async run({ client, args, json }) {
    const { values, positionals } = parseCommandArgs(
      args,
      { to: { type: 'string' }, 'demote-to': { type: 'string' }, ...comment },
      this.usage,
    );
    const to = requireValue(values.to, '--to', this.usage);
    if (!(stages as readonly string[]).includes(to))
      throw new UsageError(`--to must be one of ${stages.join(', ')}\nusage: ${this.usage}`);
    const demoteTo = values['demote-to'];
    if (demoteTo !== undefined && demoteTo !== 'archived' && demoteTo !== 'staging') {
      throw new UsageError(`--demote-to must be archived or staging\nusage: ${this.usage}`);
    }
    const result = await client.models.promote.mutate({
      ...versionRefOnly(positionals[0], this.usage),
      to: to as (typeof stages)[number],
      ...(demoteTo ? { demoteTo } : {}),
      ...withComment(values.comment),
    });
    if (json) return printJson(result);
    const { version, demoted } = result;
    process.stdout.write(`${version.modelName} v${version.version} is now ${version.stage}\n`);
    if (demoted) process.stdout.write(`${demoted.modelName} v${demoted.version} moved to ${demoted.stage}\n`);
  },
};

export const modelsAliasCommand: Command = {
  name: 'models alias',
  usage:
    'aihub models alias set <id|name@version> <alias> | aihub models alias remove <name> <alias> [--comment C] [--json]',
  summary: 'Point an alias (champion, challenger, ...) at a version, or remove it',
  async run({ client, args, json }) {
    const { values, positionals } = parseCommandArgs(args, comment, this.usage);
    const [action, target, alias, ...extra] = positionals;
    if (!alias || extra.length > 0 || (action !== 'set' && action !== 'remove'))
      throw new UsageError(`usage: ${this.usage}`);
    if (action === 'set') {
      const v = await client.models.setAlias.mutate({
        ...versionRefOnly(target, this.usage),
        alias,
        ...withComment(values.comment),
      });
      if (json) return printJson(v);
      return void process.stdout.write(`${v.modelName}@${alias} -> v${v.version}\n`);
    }
    const removed = await client.models.removeAlias.mutate({
      name: target as string,
      alias,
      ...withComment(values.comment),
    });
    if (json) return printJson(removed);
    process.stdout.write(`removed ${target}@${alias}\n`);
  },
};

export const modelsDeleteCommand: Command = {
  name: 'models delete',
  usage: 'aihub models delete <id|name@version|name@stage|name@alias> [--force] [--comment C] [--json]',
  summary: 'Delete a version and its artifact (production needs --force and an admin key)',
  async run({ client, args, json }) {
    const { values, positionals } = parseCommandArgs(
      args,
      { force: { type: 'boolean' }, ...comment },
      this.usage,
    );
    const result = await client.models.delete.mutate({
      ...parseRef(positionals[0], this.usage),
      force: values.force ?? false,
      ...withComment(values.comment),
    });
    if (json) return printJson(result);
    process.stdout.write(
      `deleted ${result.modelName} v${result.version} (${result.objectsRemoved} objects freed)\n`,
    );
  },
};

export const modelsCopyCommand: Command = {
  name: 'models copy',
  usage: 'aihub models copy <id|name@version|name@stage|name@alias> --to NAME [--comment C] [--json]',
  summary: 'Register a version again under another model name, with its artifact',
  async run({ client, args, json }) {
    const { values, positionals } = parseCommandArgs(
      args,
      { to: { type: 'string' }, ...comment },
      this.usage,
    );
    const toName = requireValue(values.to, '--to', this.usage);
    const v = await client.models.copy.mutate({
      ...parseRef(positionals[0], this.usage),
      toName,
      ...withComment(values.comment),
    });
    if (json) return printJson(v);
    process.stdout.write(`copied to ${v.modelName} v${v.version} (${v.status})\n`);
  },
};
