import { availableParallelism, loadavg } from 'node:os';
import { cpuMs } from './cpu.js';
import { fmt, percentile } from './figures.js';

export interface SteadyResult {
  p50: number;
  p99: number;
  errors: number;
  n: number;
  /** CPU time the measured process used per call (ms), when a pid was given. */
  cpuPerCall: number | undefined;
}

/**
 * Runs `call` at `rate` per second for `seconds` (open loop: late answers do not slow the
 * schedule) and returns its latency percentiles. With `pid`, also that process's CPU time per call
 * over the run: the figure that moves least with other load on a shared machine.
 */
export async function steady(
  options: { seconds: number; rate: number; pid?: number | undefined },
  call: (i: number) => Promise<unknown>,
): Promise<SteadyResult> {
  const { seconds, rate, pid } = options;
  const latencies: number[] = [];
  let errors = 0;
  let firstError: unknown;
  const total = Math.round(seconds * rate);
  const cpuBefore = pid === undefined ? 0 : cpuMs(pid);
  const started = performance.now();
  const pending: Promise<void>[] = [];
  for (let i = 0; i < total; i++) {
    const due = started + (i * 1000) / rate;
    const wait = due - performance.now();
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    const t0 = performance.now();
    pending.push(
      call(i).then(
        () => void latencies.push(performance.now() - t0),
        (error: unknown) => {
          errors++;
          firstError ??= error;
        },
      ),
    );
  }
  await Promise.all(pending);
  const cpuPerCall = pid === undefined ? undefined : (cpuMs(pid) - cpuBefore) / total;
  if (firstError) console.log('first error:', firstError);
  latencies.sort((a, b) => a - b);
  return { p50: percentile(latencies, 50), p99: percentile(latencies, 99), errors, n: total, cpuPerCall };
}

/** "p50 x ms, p99 y ms[, server CPU z ms/call]". */
export function latencies(r: SteadyResult): string {
  const cpu = r.cpuPerCall === undefined ? '' : `, server CPU ${fmt(r.cpuPerCall, 3)} ms/call`;
  return `p50 ${fmt(r.p50)} ms, p99 ${fmt(r.p99)} ms${cpu}${r.errors > 0 ? `, ERRORS ${r.errors}/${r.n}` : ''}`;
}

/** The machine's load while a bench ran (other processes share its cores), to read its latencies by. */
export function loadNote(): string {
  const [one = 0] = loadavg();
  return `load average ${fmt(one)} on ${availableParallelism()} cores`;
}
