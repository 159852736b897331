import type { FeatureColumns } from './feature-columns.js';
import type { FeatureRow } from './features.js';
import type { IngestKind, IngestRecord } from './ingest.js';

/** The offline feature store: ingest, aggregates, point-in-time retrieval, retention. Implemented in @aihub/db. */

export interface SpineRow {
  entityId: string;
  asOf: Date;
}

export interface OfflineRequest {
  projectId: string;
  metric: string;
  /** Feature names from the catalog, in output column order. */
  features: readonly string[];
  spine: readonly SpineRow[];
  /** Adds label_next_1h (training data only). */
  includeLabel?: boolean;
}

export interface RangeRequest {
  projectId: string;
  metric: string;
  features: readonly string[];
  /** Entities to cover; every whole hour `as_of` in [start, end) for each. */
  entityIds: readonly string[];
  start: Date;
  end: Date;
  includeLabel?: boolean;
}

export interface IngestProblem {
  /** 1-based line of the file (the header is line 1 in CSV). */
  line: number;
  reason: string;
}

/** One parsed chunk of a file: its valid records and the lines that failed validation. */
export interface IngestBatch<K extends IngestKind> {
  rows: { line: number; record: IngestRecord<K> }[];
  problems: IngestProblem[];
}

export interface IngestSummary {
  accepted: number;
  rejected: number;
  /** The first problems, in line order. */
  problems: IngestProblem[];
  /** False when strict mode refused the file: nothing was written. */
  committed: boolean;
}

export interface RefreshResult {
  hourlyBuckets: number;
  dailyBuckets: number;
}

export interface RetentionPolicy {
  readingsDays: number;
  weatherDays: number;
  /** Served-feature history (ai_features): whole days older than this are dropped. */
  featuresDays: number;
  /** Prediction log (prediction_log): whole days older than this are dropped. */
  predictionLogDays: number;
  /** Anomaly flags (anomaly_flags): flags of hours older than this are deleted. */
  anomalyFlagsDays: number;
  /** The moment ages are measured from (now, except in tests). */
  now: Date;
}

export interface RetentionResult {
  readingsDeleted: number;
  weatherDeleted: number;
  /** Names of the served-feature history partitions dropped (one per UTC day). */
  featurePartitionsDropped: string[];
  /** Names of the prediction log partitions dropped (one per UTC day). */
  predictionLogPartitionsDropped: string[];
  anomalyFlagsDeleted: number;
  refresh: RefreshResult;
}

export interface EntityInfo {
  entityId: string;
  locationId: string | null;
  timezone: string;
}

export interface FeatureStore {
  ingest<K extends IngestKind>(
    options: { projectId: string; kind: K; strict: boolean },
    batches: AsyncIterable<IngestBatch<K>>,
  ): Promise<IngestSummary>;
  refresh(projectId?: string): Promise<RefreshResult>;
  pendingInvalidations(projectId?: string): Promise<number>;
  retrieveOffline(request: OfflineRequest): Promise<FeatureRow[]>;
  /** Streams range vectors column-wise in batches of at most `sliceRows` rows (exports); order unspecified. */
  streamRange(request: RangeRequest, sliceRows?: number): AsyncGenerator<FeatureColumns>;
  applyRetention(policy: RetentionPolicy): Promise<RetentionResult>;
  /** The named entities that exist in the project (all of them when `ids` is omitted). */
  entities(projectId: string, ids?: readonly string[]): Promise<EntityInfo[]>;
  /** Entities of the project with readings of the metric (the default spine of a range request). */
  entitiesWithMetric(projectId: string, metric: string): Promise<string[]>;
  /** Every metric the project has recorded readings of, sorted (retention does not forget one). */
  knownMetrics(projectId: string): Promise<string[]>;
  /** Whether the project has recorded the metric; may answer from a cache (a metric stays known). */
  hasMetric(projectId: string, metric: string): Promise<boolean>;
  /**
   * Per entity, how many whole hours H of [start, end) have at least one reading of the metric in
   * [H - lookbackHours, H) (entities without any are absent). For the empty-rows warning of ranges.
   */
  hoursWithReadings(request: ReadingsCoverageRequest): Promise<Map<string, number>>;
}

export interface ReadingsCoverageRequest {
  projectId: string;
  metric: string;
  entityIds: readonly string[];
  start: Date;
  end: Date;
  /** >= 1: the widest window of the set's features. */
  lookbackHours: number;
}
