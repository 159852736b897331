import { readFileSync } from 'node:fs';

/*
 * CPU time a process has used so far (user + system, from /proc/<pid>/stat), in milliseconds. On a
 * machine shared with other work, latency figures move with the load; the server's CPU time per
 * request hardly does, so benchmarks print both.
 */
const TICKS_PER_SECOND = 100; // USER_HZ on Linux

export function cpuMs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the command name (which may contain spaces) start after its closing parenthesis.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // utime and stime are fields 14 and 15 of stat, i.e. 12 and 13 after the state field.
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / TICKS_PER_SECOND;
}
