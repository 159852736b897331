import type { FuzzFixture, FuzzKeys } from './fixture.js';
import type { Random } from './random.js';
import type { Value } from './values.js';

/*
 * A valid input for each procedure, pointing at the fixture's data, so that mutations of it reach
 * past the schema into services and SQL. Procedures without an entry here still get fuzzed, from a
 * sample of their input schema (trpc-cases.ts); this table only makes them reach deeper.
 */

export type KeyRole = keyof FuzzKeys | 'none';

export interface Seed {
  key: KeyRole;
  inputs: (fx: FuzzFixture, rng: Random) => Value[];
}

const HOUR = 3_600_000;

function hourIn(fx: FuzzFixture, rng: Random): string {
  const start = Date.parse(fx.start);
  const hours = (Date.parse(fx.end) - start) / HOUR;
  return new Date(start + rng.int(0, hours) * HOUR).toISOString();
}

const ref = (fx: FuzzFixture): Value[] => [
  { id: fx.readyVersionId },
  { name: fx.model, version: 1 },
  { name: fx.model, stage: 'production' },
  { name: fx.model, alias: 'champion' },
];

export const SEEDS: Record<string, Seed> = {
  'health.live': { key: 'none', inputs: () => [undefined] },
  'health.ready': { key: 'none', inputs: () => [undefined] },
  'auth.whoami': { key: 'reader', inputs: () => [undefined] },
  'projects.create': {
    key: 'root',
    inputs: (_fx, rng) => [
      { name: `p-${rng.string(8, 'abcdefghij0123456789')}`, description: 'made by the fuzzer' },
    ],
  },
  'projects.list': { key: 'reader', inputs: () => [undefined] },
  'keys.create': {
    key: 'admin',
    inputs: (fx, rng) => [
      { name: `k-${rng.string(6, 'abcdef0123')}`, role: rng.pick(['reader', 'writer', 'admin']) },
      { name: `k-${rng.string(6, 'abcdef0123')}`, role: 'reader', project: fx.project },
    ],
  },
  'keys.list': { key: 'admin', inputs: (fx) => [{}, { includeRevoked: true }, { project: fx.project }] },
  'keys.revoke': {
    key: 'admin',
    inputs: (fx, rng) => [
      { id: rng.pick(fx.victimKeyIds) },
      { id: rng.pick(fx.victimKeyIds), project: fx.project },
    ],
  },
  'ingest.entities': {
    key: 'writer',
    inputs: (fx) => [
      {
        records: [
          { entity_id: 'm1', location_id: fx.locationId, timezone: 'Europe/Berlin' },
          { entity_id: 'm9', timezone: 'UTC' },
        ],
        strict: false,
      },
    ],
  },
  'ingest.readings': {
    key: 'writer',
    inputs: (fx, rng) => [
      {
        records: [
          { entity_id: 'm1', metric: fx.metric, ts: hourIn(fx, rng), value: 1.25 },
          { entity_id: 'm2', metric: fx.metric, ts: hourIn(fx, rng), value: -3 },
        ],
        strict: rng.chance(0.5),
      },
    ],
  },
  'ingest.weather': {
    key: 'writer',
    inputs: (fx, rng) => [
      {
        records: [
          {
            location_id: fx.locationId,
            ts: hourIn(fx, rng),
            issued_at: fx.start,
            temperature_c: 3,
            humidity_pct: 80,
          },
        ],
      },
    ],
  },
  'entities.list': { key: 'reader', inputs: (fx) => [{}, { ids: fx.entityIds }] },
  'aggregates.refresh': { key: 'writer', inputs: () => [undefined] },
  'aggregates.status': { key: 'reader', inputs: () => [undefined] },
  'features.sets': { key: 'reader', inputs: () => [undefined] },
  'features.defineSet': {
    key: 'writer',
    inputs: (_fx, rng) => [
      {
        name: `set_${rng.string(5, 'abcde')}`,
        features: ['lag_1h', 'rolling_168h_std', 'weather_temperature_c'],
      },
      { name: 'fuzz_set', features: ['lag_2h'], description: 'next version' },
    ],
  },
  'features.offline': {
    key: 'reader',
    inputs: (fx, rng) => [
      {
        featureSet: 'forecast_advanced',
        metric: fx.metric,
        spine: [
          { entityId: 'm1', asOf: hourIn(fx, rng) },
          { entityId: 'm2', asOf: new Date(hourIn(fx, rng)) },
        ],
        includeLabel: true,
      },
      { featureSet: fx.featureSet, version: 1, metric: fx.metric, range: { start: fx.start, end: fx.end } },
      {
        featureSet: 'anomaly_detection',
        metric: fx.metric,
        range: { entityIds: ['m1'], start: hourIn(fx, rng), end: fx.end },
      },
    ],
  },
  'features.get': {
    key: 'reader',
    inputs: (fx, rng) => [
      { featureSet: 'forecast_basic', metric: fx.metric, entityIds: fx.entityIds },
      { featureSet: fx.featureSet, version: 1, metric: fx.metric, entityIds: ['m1'], asOf: hourIn(fx, rng) },
    ],
  },
  'features.materialize': {
    key: 'writer',
    inputs: (fx) => [
      { featureSet: fx.featureSet, metric: fx.metric },
      { featureSet: 'forecast_basic', metric: fx.metric, enabled: false },
    ],
  },
  'features.materializations': { key: 'reader', inputs: () => [undefined] },
  'features.export': {
    key: 'writer',
    inputs: (fx, rng) => [
      {
        featureSet: 'forecast_basic',
        metric: fx.metric,
        range: { start: hourIn(fx, rng), end: fx.end, entityIds: ['m1'] },
        includeLabel: true,
      },
      { featureSet: fx.featureSet, metric: fx.metric, spine: [{ entityId: 'm2', asOf: hourIn(fx, rng) }] },
    ],
  },
  'features.exports': {
    key: 'reader',
    inputs: (fx) => [
      {},
      { status: 'succeeded', featureSet: 'forecast_basic', createdFrom: fx.start, limit: 5 },
      { createdTo: new Date(), cursor: 'x' },
    ],
  },
  'features.exportGet': { key: 'reader', inputs: (fx) => [{ id: fx.exportId }] },
  'features.cancelExport': { key: 'writer', inputs: (fx) => [{ id: fx.exportId }] },
  'maintenance.retention': { key: 'root', inputs: () => [undefined] },
  'models.register': {
    key: 'writer',
    inputs: (fx, rng) => [
      {
        name: `fuzz-${rng.string(4, 'abcdef')}`,
        format: 'onnx',
        description: 'fuzzed',
        tags: { team: 'fuzz' },
        metrics: { mape: 0.2 },
        params: { depth: 3, kind: 'gbm', flag: true, none: null },
        metadata: { nested: { list: [1, 'two', null] } },
        lineage: {
          featureSet: 'forecast_basic',
          featureSetVersion: 1,
          targetMetric: fx.metric,
          exportId: fx.exportId,
          trainingFrom: fx.start,
          trainingTo: fx.end,
        },
        sizeBytes: 1024,
        sha256: '0'.repeat(64),
        comment: 'seed',
      },
      { name: fx.model, format: 'other' },
    ],
  },
  'models.get': { key: 'reader', inputs: ref },
  'models.list': {
    key: 'reader',
    inputs: () => [
      {},
      { nameContains: 'fuzz', stage: 'production', status: 'ready', alias: 'champion', tag: 'team=fuzz' },
      { metrics: ['mape < 0.5'], sort: 'metric', sortMetric: 'mape', order: 'asc', limit: 2 },
      { cursor: 'eyJ4IjoxfQ' },
    ],
  },
  'models.promote': {
    key: 'writer',
    inputs: (fx) => [
      { id: fx.readyVersionId, to: 'production', comment: 'again' },
      { name: fx.model, version: 1, to: 'archived', demoteTo: 'staging' },
    ],
  },
  'models.setAlias': { key: 'writer', inputs: (fx) => [{ name: fx.model, version: 1, alias: 'challenger' }] },
  'models.removeAlias': { key: 'writer', inputs: (fx) => [{ name: fx.model, alias: 'challenger' }] },
  'models.delete': {
    key: 'writer',
    inputs: (fx) => [
      { name: 'fuzz-pending-0', version: 1, comment: 'gone' },
      { id: fx.readyVersionId, force: false },
    ],
  },
  'models.copy': {
    key: 'writer',
    inputs: (fx) => [{ name: fx.model, alias: 'champion', toName: 'fuzz-copy' }],
  },
  'models.download': {
    key: 'reader',
    inputs: (fx) => [{ id: fx.readyVersionId, expiresInSeconds: 60 }, ...ref(fx)],
  },
  'models.verify': { key: 'reader', inputs: ref },
  'models.history': { key: 'reader', inputs: (fx) => [{ name: fx.model }, { name: fx.model, version: 1 }] },
};
