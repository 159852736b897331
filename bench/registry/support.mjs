// Helpers of the registry benchmark: the real server process, and bulk-seeded versions.
import { spawnServerProcess } from '@aihub/server/testing';

/** The real server process on a free port (shared with the tests: @aihub/server/testing). */
export const spawnServer = (env) => spawnServerProcess(env);

/** `models` models with `perModel` ready versions each, inserted in bulk with random metrics. */
export async function seedVersions(pool, projectId, models, perModel) {
  await pool.query(
    `INSERT INTO registered_models (project_id, name, latest_version)
     SELECT $1, 'model-' || lpad(m::text, 3, '0'), $3 FROM generate_series(1, $2) m`,
    [projectId, models, perModel],
  );
  await pool.query(
    `INSERT INTO model_versions (project_id, model_id, version, status, stage, format, size_bytes, sha256, artifact_key,
                                 metrics, created_by, created_at, ready_at)
     SELECT $1, rm.id, v, 'ready', (CASE WHEN v % 10 = 0 THEN 'archived' ELSE 'staging' END)::model_stage, 'onnx', 1024,
            repeat('a', 64), rm.name || '/v' || v, jsonb_build_object('mape', round(random()::numeric, 4), 'rmse', round((random() * 50)::numeric, 2)),
            'bench', now() - (v || ' minutes')::interval, now()
     FROM registered_models rm, generate_series(1, $2) v WHERE rm.project_id = $1 AND rm.name LIKE 'model-%'`,
    [projectId, perModel],
  );
  await pool.query('ANALYZE registered_models; ANALYZE model_versions');
}
