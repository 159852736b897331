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
