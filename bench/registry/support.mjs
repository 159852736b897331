// Helpers of the registry benchmark: the real server process, and bulk-seeded versions.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const serverEntry = fileURLToPath(new URL('../../apps/server/dist/main.js', import.meta.url));

/** `node apps/server/dist/main.js` on a free port; resolves once it prints its URL. */
export async function spawnServer(env) {
  const child = spawn(process.execPath, [serverEntry], {
    env: { ...process.env, PORT: '0', LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const url = await new Promise((resolve, reject) => {
    const onData = (chunk) => {
      output += chunk.toString();
      const match = /listening on (http:\/\/\S+)/.exec(output);
      if (match) resolve(match[1]);
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.once('exit', (code) => reject(new Error(`server exited with ${code}:\n${output}`)));
  });
  const exited = new Promise((resolve) => child.once('exit', resolve));
  return {
    url,
    child,
    async stop() {
      if (child.exitCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}

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
