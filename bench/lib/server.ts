import { readFile } from 'node:fs/promises';
import { type ServerProcess, spawnServerProcess } from '@aihub/server/testing';

export type { ServerProcess };

/** The real server process, as deployed; BENCH_SERVER_NODE_ARGS (e.g. --cpu-prof) go to node. */
export function spawnServer(env: Record<string, string>): Promise<ServerProcess> {
  return spawnServerProcess(env, process.env.BENCH_SERVER_NODE_ARGS?.split(' ').filter(Boolean) ?? []);
}

/** Peak resident memory of a process so far (VmHWM), in MiB. */
export async function peakRssMiB(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  return Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? 0) / 1024;
}
