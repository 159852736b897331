import type { ApiClient, Connection } from './client.js';

/** What every command receives: the typed client, its own arguments, and the shared flags. */
export interface CommandContext {
  client: ApiClient;
  /** Server URL and API key, for the streaming endpoints beside tRPC (file uploads, downloads). */
  connection: Connection;
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
