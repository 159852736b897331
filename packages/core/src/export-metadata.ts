import type { FeatureExport } from './exports.js';

/*
 * The key-value metadata every export file carries, so a file describes itself without its record:
 * readers (DuckDB's parquet_kv_metadata, pyarrow's schema.metadata) see these keys.
 */

/** The version of shared/docs/feature-spec.md whose semantics the values follow. */
export const FEATURE_SPEC_VERSION = 2;

export const EXPORT_METADATA_PREFIX = 'aihub.';

export function exportFileMetadata(
  e: Pick<FeatureExport, 'id' | 'featureSet' | 'featureSetVersion' | 'metric' | 'params'>,
  createdAt: Date,
): Record<string, string> {
  const p = EXPORT_METADATA_PREFIX;
  return {
    [`${p}export_id`]: e.id,
    [`${p}feature_set`]: e.featureSet,
    [`${p}feature_set_version`]: String(e.featureSetVersion),
    [`${p}metric`]: e.metric,
    [`${p}features`]: JSON.stringify(e.params.features),
    [`${p}spec_version`]: String(FEATURE_SPEC_VERSION),
    [`${p}params`]: JSON.stringify(e.params),
    [`${p}created_at`]: createdAt.toISOString(),
  };
}
