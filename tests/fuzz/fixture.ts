import { createHash } from 'node:crypto';
import { createAihubClient } from '@aihub/server/client';

/*
 * What the fuzzer's valid seeds point at, built through the public API: a project with keys of
 * every role, entities with a couple of days of readings and weather, a user-defined feature set,
 * a materialization, a ready model version (production, alias champion), pending versions to
 * upload into, and a finished export.
 */

export interface FuzzKeys {
  /** Admin of the root project (projects.create, maintenance.retention). */
  root: string;
  admin: string;
  writer: string;
  reader: string;
  /** A key revoked before the run. */
  revoked: string;
}

export interface FuzzFixture {
  keys: FuzzKeys;
  project: string;
  entityIds: string[];
  metric: string;
  locationId: string;
  featureSet: string;
  model: string;
  readyVersionId: string;
  pendingVersionIds: string[];
  exportId: string;
  /** Keys the seeds of keys.revoke may revoke (never one the fuzzer uses). */
  victimKeyIds: string[];
  /** Whole hours with data: [start, end). */
  start: string;
  end: string;
}

const HOUR = 3_600_000;

async function until<T>(probe: () => Promise<T>, done: (value: T) => boolean): Promise<T> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const value = await probe();
    if (done(value)) return value;
    if (Date.now() > deadline) throw new Error(`fixture: condition not met: ${JSON.stringify(value)}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

export async function buildFixture(url: string, rootKey: string): Promise<FuzzFixture> {
  const root = createAihubClient({ url, apiKey: rootKey });
  const project = `fuzz-${Date.now().toString(36)}`;
  const { adminKey } = await root.projects.create.mutate({ name: project, description: 'fuzz target' });
  const admin = createAihubClient({ url, apiKey: adminKey.token });
  const key = async (name: string, role: 'reader' | 'writer' | 'admin') =>
    admin.keys.create.mutate({ name, role });
  const writer = await key('fuzz-writer', 'writer');
  const reader = await key('fuzz-reader', 'reader');
  const revoked = await key('fuzz-revoked', 'reader');
  await admin.keys.revoke.mutate({ id: revoked.key.id });
  const victims = await Promise.all([1, 2, 3].map((i) => key(`victim-${i}`, 'reader')));
  const client = createAihubClient({ url, apiKey: writer.token });

  const entityIds = ['m1', 'm2', 'm3', 'm4'];
  await client.ingest.entities.mutate({
    strict: true,
    records: entityIds.map((id, i) => ({
      entity_id: id,
      location_id: i % 2 === 0 ? 'loc-1' : '',
      timezone: i === 1 ? 'America/New_York' : 'Europe/Berlin',
    })),
  });
  const endHour = Math.floor(Date.now() / HOUR) * HOUR;
  const hours = 48;
  const readings = entityIds.slice(0, 3).flatMap((id, e) =>
    Array.from({ length: hours }, (_, h) => ({
      entity_id: id,
      metric: 'kwh',
      ts: new Date(endHour - (hours - h) * HOUR + 600_000).toISOString(),
      value: e * 10 + Math.sin(h / 3),
    })),
  );
  await client.ingest.readings.mutate({ strict: true, records: readings });
  await client.ingest.weather.mutate({
    strict: true,
    records: Array.from({ length: hours }, (_, h) => ({
      location_id: 'loc-1',
      ts: new Date(endHour - (hours - h) * HOUR).toISOString(),
      temperature_c: h % 10,
    })),
  });
  await client.aggregates.refresh.mutate();
  await client.features.defineSet.mutate({
    name: 'fuzz_set',
    features: ['lag_1h', 'rolling_24h_mean', 'hour_of_day'],
  });
  await client.features.materialize.mutate({ featureSet: 'fuzz_set', metric: 'kwh' });

  const bytes = Buffer.from('fuzz model bytes');
  const { version, upload } = await client.models.register.mutate({
    name: 'fuzz-model',
    format: 'onnx',
    metrics: { mape: 0.1, rmse: 2 },
    sizeBytes: bytes.length,
    sha256: createHash('sha256').update(bytes).digest('hex'),
  });
  const put = await fetch(new URL(upload.path, url), {
    method: 'PUT',
    headers: { authorization: `Bearer ${writer.token}` },
    body: bytes,
  });
  if (put.status !== 200) throw new Error(`fixture: upload answered ${put.status}`);
  await client.models.promote.mutate({ id: version.id, to: 'production' });
  await client.models.setAlias.mutate({ id: version.id, alias: 'champion' });
  const pending = [];
  for (let i = 0; i < 6; i++) {
    const registered = await client.models.register.mutate({ name: `fuzz-pending-${i}`, format: 'other' });
    pending.push(registered.version.id);
  }

  const start = new Date(endHour - hours * HOUR).toISOString();
  const end = new Date(endHour).toISOString();
  const started = await client.features.export.mutate({
    featureSet: 'forecast_basic',
    metric: 'kwh',
    range: { start, end: new Date(endHour - (hours - 2) * HOUR).toISOString() },
  });
  await until(
    () => client.features.exportGet.query({ id: started.id }),
    (e) => e.status === 'succeeded' || e.status === 'failed',
  );

  return {
    keys: {
      root: rootKey,
      admin: adminKey.token,
      writer: writer.token,
      reader: reader.token,
      revoked: revoked.token,
    },
    project,
    entityIds,
    metric: 'kwh',
    locationId: 'loc-1',
    featureSet: 'fuzz_set',
    model: 'fuzz-model',
    readyVersionId: version.id,
    pendingVersionIds: pending,
    exportId: started.id,
    victimKeyIds: victims.map((v) => v.key.id),
    start,
    end,
  };
}
