import { UsageError } from '../cli-error.js';
import type { Command } from '../command.js';
import { printFields, printJson, printTable } from '../output.js';
import { parseCommandArgs } from '../parse.js';

export const projectsCreateCommand: Command = {
  name: 'projects create',
  usage: 'aihub projects create <name> [--description TEXT] [--json]',
  summary: 'Create a project (root admins); prints its first admin key once',
  async run({ client, args, json }) {
    const { values, positionals } = parseCommandArgs(args, { description: { type: 'string' } }, this.usage);
    const [name, ...extra] = positionals;
    if (!name || extra.length > 0) throw new UsageError(`expected one project name\nusage: ${this.usage}`);
    const result = await client.projects.create.mutate({
      name,
      ...(values.description === undefined ? {} : { description: values.description }),
    });
    if (json) return printJson(result);
    printFields({ project: result.project.name, id: result.project.id, adminKey: result.adminKey.token });
    process.stdout.write('Store the admin key now: it is not shown again.\n');
  },
};

export const projectsListCommand: Command = {
  name: 'projects list',
  usage: 'aihub projects list [--json]',
  summary: 'Projects visible to the key (all of them for root admins)',
  async run({ client, args, json }) {
    parseCommandArgs(args, {}, this.usage);
    const projects = await client.projects.list.query();
    if (json) return printJson(projects);
    printTable(projects, ['name', 'id', 'isRoot', 'createdAt', 'description']);
  },
};
