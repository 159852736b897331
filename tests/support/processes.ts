import { spawn } from 'node:child_process';
import { copyFile, mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { spawnServerProcess } from '@aihub/server/testing';

export const repo = fileURLToPath(new URL('../..', import.meta.url));
export const cliBundle = join(repo, 'apps/cli/dist/aihub.mjs');

export type { ServerProcess } from '@aihub/server/testing';

/** The built server process on a free port (see @aihub/server/testing). */
export const spawnServer = (env: Record<string, string>) => spawnServerProcess(env);

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** The bundled CLI, copied alone into an empty folder so nothing from the workspace can help it. */
export async function isolatedCli(): Promise<
  (args: string[], env?: Record<string, string>) => Promise<CliResult>
> {
  const dir = await mkdtemp(join(tmpdir(), 'aihub-cli-'));
  const bundle = join(dir, 'aihub.mjs');
  await copyFile(cliBundle, bundle);
  return (args, env = {}) =>
    new Promise((resolve) => {
      const child = spawn(process.execPath, [bundle, ...args], {
        cwd: dir,
        env: { PATH: process.env.PATH ?? '', ...env },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
      child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      child.on('close', (code) => resolve({ code, stdout, stderr }));
    });
}

/** Runs a CLI command with --json, expects success with nothing on stderr, and parses stdout. */
export function jsonCommand(cli: (args: string[]) => Promise<CliResult>) {
  return async (args: string[]): Promise<unknown> => {
    const result = await cli([...args, '--json']);
    if (result.code !== 0 || result.stderr !== '') {
      throw new Error(`aihub ${args.join(' ')} failed (exit ${result.code}): ${result.stderr}`);
    }
    return JSON.parse(result.stdout);
  };
}
