import type { Command } from '../command.js';
import { printJson } from '../output.js';
import { parseCommandArgs } from '../parse.js';
import { parseRef } from './models-ref.js';

export const modelsVerifyCommand: Command = {
  name: 'models verify',
  usage: 'aihub models verify <id|name@version|name@stage|name@alias> [--json]',
  summary: 'Re-read the stored artifact and check it against its recorded sha256 (fails when it changed)',
  async run({ client, args, json }) {
    const { positionals } = parseCommandArgs(args, {}, this.usage);
    const ref = parseRef(positionals[0], this.usage);
    const result = await client.models.verify.query(ref);
    if (json) return printJson(result);
    process.stdout.write(
      `${positionals[0]}: artifact intact (${result.sizeBytes} bytes, sha256 ${result.sha256})\n`,
    );
  },
};
