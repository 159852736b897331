import {
  DomainError,
  type DriftReport,
  type DriftRepository,
  type DriftTrigger,
  type ExportRepository,
  featureDrift,
  floorHour,
  type ModelRegistryRepository,
  type ModelVersionRef,
} from '@aihub/core';
import type { Logger } from 'pino';

/*
 * Feature drift of a model: the vectors served for its feature set over a day (the served-feature
 * history, `ai_features`, which every materialization run appends to) against the statistics of
 * the export it was trained on (core's drift.ts computes PSI and the null-fraction change).
 */

export interface DriftDeps {
  reports: DriftRepository;
  models: ModelRegistryRepository;
  exports: ExportRepository;
}

const HOUR = 3_600_000;
export const DRIFT_WINDOW_HOURS = 24;

/** Measures and records the drift of one model version over the day of served hours before `end`. */
export async function measureDrift(
  deps: DriftDeps,
  projectId: string,
  ref: ModelVersionRef,
  options: { end?: Date; trigger: DriftTrigger },
): Promise<DriftReport> {
  const version = await deps.models.get(projectId, ref);
  const label = `${version.modelName} v${version.version}`;
  const { exportId } = version.lineage;
  if (!exportId) {
    throw new DomainError(
      'PRECONDITION_FAILED',
      `${label} has no training export in its lineage (lineage.exportId): there is nothing to compare with`,
    );
  }
  const trained = await deps.exports.get(projectId, exportId);
  const statistics = await deps.exports.statistics(projectId, exportId);
  if (!statistics) {
    throw new DomainError(
      'PRECONDITION_FAILED',
      `the training export ${exportId} of ${label} is ${trained.status}; only a succeeded export has statistics`,
    );
  }
  // The window holds whole served hours: by default the current hour and the 23 before it.
  const windowEnd = options.end ? floorHour(options.end) : new Date(floorHour(new Date()).getTime() + HOUR);
  const windowStart = new Date(windowEnd.getTime() - DRIFT_WINDOW_HOURS * HOUR);
  const vectors = await deps.reports.servedVectors(
    {
      projectId,
      featureSet: trained.featureSet,
      version: trained.featureSetVersion,
      metric: trained.metric,
    },
    windowStart,
    windowEnd,
  );
  // A set version's features never change, so the served columns are the export's, in order.
  const features = statistics.features.map((stat, i) =>
    featureDrift(
      stat,
      vectors.map((v) => v[i] ?? null),
    ),
  );
  return deps.reports.record({
    projectId,
    modelVersionId: version.id,
    exportId,
    featureSet: trained.featureSet,
    featureSetVersion: trained.featureSetVersion,
    metric: trained.metric,
    windowStart,
    windowEnd,
    servedVectors: vectors.length,
    trigger: options.trigger,
    features,
  });
}

/** The scheduled job: every production version with a training export, in every project. */
export async function measureProductionDrift(
  deps: DriftDeps,
  log: Logger,
): Promise<{ measured: number; flagged: number; failed: number }> {
  let measured = 0;
  let flagged = 0;
  let failed = 0;
  for (const { projectId, versionId } of await deps.reports.productionVersionsWithExports()) {
    try {
      const report = await measureDrift(deps, projectId, { id: versionId }, { trigger: 'schedule' });
      measured++;
      if (report.flagged.length > 0) {
        flagged++;
        log.warn(
          { modelVersionId: versionId, flagged: report.flagged, servedVectors: report.servedVectors },
          'feature drift above the PSI threshold',
        );
      }
    } catch (error) {
      failed++;
      log.warn({ err: error, modelVersionId: versionId }, 'could not measure drift');
    }
  }
  return { measured, flagged, failed };
}
