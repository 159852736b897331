import { CliError } from '../cli-error.js';
import type { Command } from '../command.js';
import { printJson, printTable } from '../output.js';
import { parseCommandArgs } from '../parse.js';

export const healthCommand: Command = {
  name: 'health',
  usage: 'aihub health [--json]',
  summary: 'Readiness of the server and of PostgreSQL, Redis and object storage (exit 1 when not ready)',
  async run({ client, args, json }) {
    parseCommandArgs(args, {}, this.usage);
    const readiness = await client.health.ready.query();
    if (json) printJson(readiness);
    else {
      printTable(
        Object.entries(readiness.checks).map(([service, check]) => ({
          service,
          status: check.ok ? 'ok' : 'FAILED',
          latencyMs: check.latencyMs,
          error: check.error,
        })),
        ['service', 'status', 'latencyMs', 'error'],
      );
    }
    if (!readiness.ready) {
      const failed = Object.entries(readiness.checks)
        .filter(([, check]) => !check.ok)
        .map(([service, check]) => `${service} (${check.error})`);
      throw new CliError(`not ready: ${failed.join(', ')}`);
    }
  },
};

export const whoamiCommand: Command = {
  name: 'whoami',
  usage: 'aihub whoami [--json]',
  summary: 'The API key in use: its name, role and project',
  async run({ client, args, json }) {
    parseCommandArgs(args, {}, this.usage);
    const me = await client.auth.whoami.query();
    if (json) printJson(me);
    else
      process.stdout.write(
        `${me.keyName} (${me.role}) in project ${me.project.name}${me.project.isRoot ? ' [root]' : ''}\n`,
      );
  },
};
