import { CliError, UsageError } from '../cli-error.js';
import type { Command } from '../command.js';
import { printFields, printJson, printTable } from '../output.js';
import { parseCommandArgs, requireValue } from '../parse.js';

const roles = ['reader', 'writer', 'admin'] as const;
type Role = (typeof roles)[number];

function parseRole(value: string, usage: string): Role {
  if ((roles as readonly string[]).includes(value)) return value as Role;
  throw new UsageError(`--role must be one of ${roles.join(', ')} (got '${value}')\nusage: ${usage}`);
}

const projectFlag = { project: { type: 'string' } } as const;
const projectInput = (project: string | undefined) => (project === undefined ? {} : { project });

export const keysCreateCommand: Command = {
  name: 'keys create',
  usage: 'aihub keys create --name NAME --role reader|writer|admin [--project P] [--json]',
  summary: 'Create an API key (admins); prints the key once',
  async run({ client, args, json }) {
    const { values } = parseCommandArgs(
      args,
      { ...projectFlag, name: { type: 'string' }, role: { type: 'string' } },
      this.usage,
    );
    const name = requireValue(values.name, '--name', this.usage);
    const role = parseRole(requireValue(values.role, '--role', this.usage), this.usage);
    const result = await client.keys.create.mutate({ name, role, ...projectInput(values.project) });
    if (json) return printJson(result);
    printFields({ id: result.key.id, name: result.key.name, role: result.key.role, key: result.token });
    process.stdout.write('Store the key now: it is not shown again.\n');
  },
};

export const keysListCommand: Command = {
  name: 'keys list',
  usage: 'aihub keys list [--project P] [--all] [--json]',
  summary: 'API keys of the project (--all includes revoked ones)',
  async run({ client, args, json }) {
    const { values } = parseCommandArgs(args, { ...projectFlag, all: { type: 'boolean' } }, this.usage);
    const keys = await client.keys.list.query({
      includeRevoked: values.all ?? false,
      ...projectInput(values.project),
    });
    if (json) return printJson(keys);
    printTable(keys, ['id', 'name', 'role', 'prefix', 'createdAt', 'lastUsedAt', 'revokedAt']);
  },
};

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export const keysRevokeCommand: Command = {
  name: 'keys revoke',
  usage: 'aihub keys revoke <key-id|name> [--project P] [--json]',
  summary: 'Revoke an API key, by id or by name; it stops working at once',
  async run({ client, args, json }) {
    const { values, positionals } = parseCommandArgs(args, projectFlag, this.usage);
    const [target, ...extra] = positionals;
    if (!target || extra.length > 0)
      throw new UsageError(`expected one key id or name\nusage: ${this.usage}`);
    let id = target;
    if (!UUID.test(target)) {
      // Names are not unique: revoke by name only when exactly one active key carries it.
      const named = (
        await client.keys.list.query({ includeRevoked: false, ...projectInput(values.project) })
      ).filter((k) => k.name === target);
      if (named.length === 0) throw new CliError(`no active key named '${target}'`, 1, 'NOT_FOUND');
      if (named.length > 1)
        throw new CliError(
          `${named.length} active keys are named '${target}' (${named.map((k) => k.id).join(', ')}); revoke one by id`,
          1,
          'CONFLICT',
        );
      id = (named[0] as (typeof named)[number]).id;
    }
    const key = await client.keys.revoke.mutate({ id, ...projectInput(values.project) });
    if (json) return printJson(key);
    process.stdout.write(`revoked ${key.name} (${key.id}) at ${key.revokedAt?.toISOString()}\n`);
  },
};
