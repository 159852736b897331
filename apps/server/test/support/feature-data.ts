import { TRPCClientError } from '@trpc/client';
import type { AihubClient } from '../../src/client.js';

/*
 * Shared fixtures of the online-serving and export tests: a small deterministic history for a few
 * entities, ending inside the current hour (whose readings must never count).
 */

export const HOUR = 3_600_000;

export function currentHour(now = Date.now()): number {
  return Math.floor(now / HOUR) * HOUR;
}

/** value of entity e's reading k (0 or 1) in hour h: distinct, non-integer, deterministic. */
export function readingValue(e: number, hourIndex: number, k: number): number {
  return Math.round((10 + e * 3 + Math.sin(hourIndex / 5) * 4 + k * 0.37) * 1e6) / 1e6;
}

/**
 * Entities m1 (Berlin, weather loc-1), m2 (UTC, no location), m3 (no readings). Readings of `kwh`
 * for `hours` hours before `endHour` (two per hour, at :10 and :40), plus one in the hour
 * `endHour` itself; weather forecasts for loc-1 from `endHour - hours` to `endHour + 1h`.
 */
export async function seedHistory(client: AihubClient, endHour: number, hours = 200): Promise<void> {
  await client.ingest.entities.mutate({
    records: [
      { entity_id: 'm1', location_id: 'loc-1', timezone: 'Europe/Berlin' },
      { entity_id: 'm2' },
      { entity_id: 'm3' },
    ],
  });
  const readings: Record<string, unknown>[] = [];
  for (const [e, id] of [
    [0, 'm1'],
    [1, 'm2'],
  ] as const) {
    for (let h = hours; h >= 0; h--) {
      const start = endHour - h * HOUR;
      for (const k of [0, 1]) {
        // The current hour (h = 0) gets one reading only, which must not contribute.
        if (h === 0 && k === 1) continue;
        readings.push({
          entity_id: id,
          metric: 'kwh',
          ts: new Date(start + (10 + k * 30) * 60_000).toISOString(),
          value: readingValue(e, hours - h, k),
        });
      }
    }
  }
  await client.ingest.readings.mutate({ records: readings, strict: true });
  const weather: Record<string, unknown>[] = [];
  for (let h = hours; h >= -1; h--) {
    const ts = endHour - h * HOUR;
    weather.push({
      location_id: 'loc-1',
      ts: new Date(ts).toISOString(),
      issued_at: new Date(ts - 6 * HOUR).toISOString(),
      temperature_c: 5 + (h % 7),
      humidity_pct: 60,
      wind_speed_ms: 3.5,
      solar_radiation_wm2: h % 24 < 6 ? 0 : 200,
      precipitation_mm: 0.1,
    });
  }
  await client.ingest.weather.mutate({ records: weather, strict: true });
  await client.aggregates.refresh.mutate();
}

export async function failure(
  call: Promise<unknown>,
): Promise<{ code: string; message: string; fields: Record<string, string[]> | null }> {
  try {
    await call;
  } catch (error) {
    if (error instanceof TRPCClientError) {
      const data = error.data as { code: string; fieldErrors: Record<string, string[]> | null };
      return { code: data.code, message: error.message, fields: data.fieldErrors };
    }
    throw error;
  }
  throw new Error('expected the call to fail');
}

export async function waitFor<T>(
  probe: () => Promise<T>,
  done: (value: T) => boolean,
  timeoutMs = 20_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (done(value)) return value;
    if (Date.now() > deadline)
      throw new Error(`condition not met in ${timeoutMs} ms: ${JSON.stringify(value)}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
