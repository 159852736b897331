import type { ApiClient } from './client.js';

/** What every command receives: the typed client, its own arguments, and the shared flags. */
export interface CommandContext {
  client: ApiClient;
  args: readonly string[];
  json: boolean;
}

export interface Command {
  /** e.g. "keys create" */
  name: string;
  usage: string;
  summary: string;
  run(context: CommandContext): Promise<void>;
}
