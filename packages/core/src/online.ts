import type { FeatureRow } from './features.js';

/*
 * Online serving: the latest vector of a (set, version, metric) per entity, kept in a fast store
 * (Redis) by materialization and read back in one round trip. Ports only; adapters live in apps.
 */

/** Which vectors: one online "table" per project, feature set version and target metric. */
export interface OnlineSetKey {
  projectId: string;
  featureSet: string;
  version: number;
  metric: string;
}

/** A materialized vector: values in the set's column order, as of the hour it was computed for. */
export type OnlineVector = Omit<FeatureRow, 'label'>;

export interface OnlineStore {
  /** Writes one entry per vector (replacing any), expiring after `ttlSeconds`. UNAVAILABLE if the store is down. */
  write(
    key: OnlineSetKey,
    features: readonly string[],
    vectors: readonly OnlineVector[],
    ttlSeconds: number,
  ): Promise<void>;
  /**
   * The stored vectors of `entityIds` in one round trip, null where none is stored (missing or
   * expired). Throws UNAVAILABLE when the store is down or has not answered within `timeoutMs`.
   */
  read(
    key: OnlineSetKey,
    features: readonly string[],
    entityIds: readonly string[],
    timeoutMs: number,
  ): Promise<(OnlineVector | null)[]>;
  /**
   * Leaves a lasting mark in the store and says whether it was missing: true for a store that is
   * new, was restarted empty or was flushed, i.e. one that lost every vector written before.
   */
  claimEmpty(): Promise<boolean>;
}

/** A (set, version, metric) that the scheduled materialization keeps current in the online store. */
export interface Materialization {
  projectId: string;
  featureSet: string;
  version: number;
  metric: string;
  enabled: boolean;
  createdBy: string;
  createdAt: Date;
  lastRunAt: Date | null;
  /** The hour of the vectors last written. */
  lastAsOf: Date | null;
  lastEntities: number | null;
  lastError: string | null;
}

export interface MaterializationRepository {
  /** Registers (or re-enables / disables) a materialization; returns it. */
  upsert(input: OnlineSetKey & { enabled: boolean; createdBy: string }): Promise<Materialization>;
  list(projectId: string): Promise<Materialization[]>;
  /**
   * Enabled registrations of every project that need a run for `hour`: aggregates changed since
   * their last run, last run for an earlier hour, or last run failed. Clears their change flag.
   */
  claimDue(hour: Date): Promise<Materialization[]>;
  /**
   * Marks every enabled registration (of one project, when given) as changed: after an aggregate
   * refresh that changed buckets, or a weather ingest.
   */
  markChanged(projectId?: string): Promise<void>;
  recordRun(
    key: OnlineSetKey,
    result: { asOf: Date; entities: number; error: string | null; at: Date },
  ): Promise<void>;
}

/** A vector as recorded in the served-feature history. */
export interface ServedVectorRecord {
  /** The hour the vector is for. */
  asOf: Date;
  /** In the set version's column order; null where a feature has no value. */
  values: (number | null)[];
  /** When the run that wrote these values started. */
  materializedAt: Date;
}

/** The history of served vectors (table `ai_features`), written by every materialization run. */
export interface ServedFeatureHistory {
  /**
   * Records one run's vectors in one transaction, idempotent per (key, entity, hour): an hour
   * already recorded keeps its row, with the values and time of this run when the values differ.
   * Returns how many rows were inserted or changed.
   */
  append(key: OnlineSetKey, vectors: readonly OnlineVector[], materializedAt: Date): Promise<number>;
  /** What was served for an entity for every hour in [start, end), oldest first. */
  list(key: OnlineSetKey, entityId: string, start: Date, end: Date): Promise<ServedVectorRecord[]>;
}
