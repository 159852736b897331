import type { HealthProbe } from '@aihub/core';

export interface DependencyStatus {
  ok: boolean;
  latencyMs: number;
  error: string | null;
}

export interface Readiness {
  ready: boolean;
  checks: Record<string, DependencyStatus>;
}

const PROBE_TIMEOUT_MS = 2_000;

async function runProbe(probe: HealthProbe): Promise<DependencyStatus> {
  const started = performance.now();
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      probe.ping(),
      new Promise<never>((_, reject) => {
        timer = setTimeout(
          () => reject(new Error(`no answer within ${PROBE_TIMEOUT_MS} ms`)),
          PROBE_TIMEOUT_MS,
        );
      }),
    ]);
    return { ok: true, latencyMs: round(performance.now() - started), error: null };
  } catch (error) {
    const message = error instanceof Error && error.message ? error.message : String(error);
    return { ok: false, latencyMs: round(performance.now() - started), error: message };
  } finally {
    clearTimeout(timer);
  }
}

function round(ms: number): number {
  return Math.round(ms * 100) / 100;
}

/** Pings every dependency in parallel; ready only when all answer. */
export async function checkReadiness(probes: readonly HealthProbe[]): Promise<Readiness> {
  const results = await Promise.all(
    probes.map(async (probe) => [probe.name, await runProbe(probe)] as const),
  );
  const checks = Object.fromEntries(results);
  return { ready: results.every(([, status]) => status.ok), checks };
}

/** How long one readiness result answers every caller (health.ready, /readyz). */
export const READINESS_CACHE_MS = 1_000;
const recentReadiness = new WeakMap<readonly HealthProbe[], { at: number; result: Promise<Readiness> }>();

/**
 * checkReadiness shared by every caller for about a second: concurrent and repeated probes (a
 * batch of 100 health.ready calls, a busy load balancer) cost one round of backend checks, so an
 * unauthenticated caller cannot turn one request into hundreds of database, Redis and S3 calls.
 */
export function checkReadinessCached(probes: readonly HealthProbe[]): Promise<Readiness> {
  const recent = recentReadiness.get(probes);
  // Measured from when the check started, so an answer is never older than the window plus the check.
  if (recent && performance.now() - recent.at < READINESS_CACHE_MS) return recent.result;
  const result = checkReadiness(probes);
  recentReadiness.set(probes, { at: performance.now(), result });
  return result;
}
