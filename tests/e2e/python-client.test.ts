import { execFile, execFileSync } from 'node:child_process';
import { cp, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { createTestDatabase, type TestDatabase } from '@aihub/db/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repo, type ServerProcess, spawnServer } from '../support/processes.js';

/*
 * The Python client (clients/python) as a user gets it: copied out of the workspace and installed by
 * the README's install block, as written (pip into a fresh virtual environment of Debian's
 * /usr/bin/python3, --system-site-packages for Debian's requests, pytest, pandas and scikit-learn,
 * which scripts/setup.sh installs; no package index is reachable here, so --no-index --no-deps
 * --no-build-isolation), then its pytest suite run by that interpreter against the built server.
 * Each pytest test is a test here (skipped counts as failed), so the suite's pass/fail count covers them.
 */

const run = promisify(execFile);
const python = '/usr/bin/python3';
const testsDir = join(repo, 'clients/python/tests');
/**
 * The pytest test ids (`test_x.py::test_name`), collected from the source tree when this file loads,
 * so that each is a test of its own here.
 */
const pytestIds = execFileSync(
  python,
  ['-m', 'pytest', '--collect-only', '-q', '-p', 'no:cacheprovider', testsDir],
  {
    encoding: 'utf8',
    env: {
      PATH: '/usr/bin:/bin',
      PYTHONPATH: join(repo, 'clients/python/src'),
      PYTHONDONTWRITEBYTECODE: '1',
    },
  },
)
  .split('\n')
  .filter((line) => line.includes('::'))
  .map((line) => line.trim().replace(/^.*\//, ''));
const adminKey = `aihub_pyclient_${'p'.repeat(43)}`;

interface Case {
  outcome: 'passed' | 'failed' | 'skipped';
  detail: string;
}

/** The outcomes in pytest's JUnit XML report, by test id (`test_x.py::test_name`). */
function parseJunit(xml: string): Map<string, Case> {
  const byId = new Map<string, Case>();
  for (const m of xml.matchAll(/<testcase ([^>]*?)(\/>|>([\s\S]*?)<\/testcase>)/g)) {
    const attrs = Object.fromEntries(
      [...(m[1] as string).matchAll(/(\w+)="([^"]*)"/g)].map((a) => [a[1], a[2]]),
    );
    const body = m[3] ?? '';
    // classname: the module's dotted path from the rootdir (`tests.test_x`).
    const module = String(attrs.classname)
      .split('.')
      .find((part) => part.startsWith('test_'));
    const outcome = /<(failure|error)\b/.test(body)
      ? 'failed'
      : /<skipped\b/.test(body)
        ? 'skipped'
        : 'passed';
    byId.set(`${module}.py::${attrs.name}`, { outcome, detail: body.slice(0, 6000) });
  }
  return byId;
}

describe('the Python client, installed into a fresh venv, against the built server', () => {
  let database: TestDatabase;
  let server: ServerProcess;
  let work: string;
  let results: Map<string, Case>;
  let output = '';

  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), 'aihub-python-'));
    database = await createTestDatabase();
    server = await spawnServer({ DATABASE_URL: database.url, AIHUB_BOOTSTRAP_ADMIN_KEY: adminKey });

    // The README's install block, as written, from a folder holding a copy of clients/python.
    await cp(join(repo, 'clients/python'), join(work, 'clients/python'), {
      recursive: true,
      filter: (path) => !/(__pycache__|\.egg-info|\/build)$/.test(path),
    });
    const readme = await readFile(join(repo, 'README.md'), 'utf8');
    const section = readme.slice(
      readme.indexOf('\n## Python\n'),
      readme.indexOf('\n## ', readme.indexOf('\n## Python\n') + 1),
    );
    const install = /```bash\n([\s\S]*?)```/.exec(section)?.[1] ?? '';
    expect(install).toContain('pip install');
    await run('bash', ['-euo', 'pipefail', '-c', install], {
      cwd: work,
      env: { PATH: '/usr/bin:/bin', HOME: work },
    });
    const venv = join(work, '.venv');

    const junit = join(work, 'junit.xml');
    const env = {
      PATH: `${join(venv, 'bin')}:/usr/bin:/bin`,
      HOME: work,
      AIHUB_URL: server.url,
      AIHUB_ADMIN_KEY: adminKey,
      AIHUB_REPO: repo,
      AIHUB_TEST_WORK: work,
      S3_ENDPOINT: process.env.S3_ENDPOINT ?? 'http://127.0.0.1:58080',
      S3_ACCESS_KEY: process.env.S3_ACCESS_KEY ?? 'aihub:admin',
      S3_SECRET_KEY: process.env.S3_SECRET_KEY ?? 'aihub-secret',
      S3_BUCKET_MODELS: process.env.S3_BUCKET_MODELS ?? 'aihub-models',
      S3_BUCKET_EXPORTS: process.env.S3_BUCKET_EXPORTS ?? 'aihub-exports',
    };
    try {
      const { stdout } = await run(
        join(venv, 'bin/python'),
        ['-m', 'pytest', testsDir, '-q', '-rfEs', '-p', 'no:cacheprovider', `--junitxml=${junit}`],
        { cwd: work, env, timeout: 540_000, maxBuffer: 16 * 1024 * 1024 },
      );
      output = stdout;
    } catch (error) {
      // pytest exits 1 when a test failed: the report says which, below.
      output = `${(error as { stdout?: string }).stdout ?? ''}${(error as { stderr?: string }).stderr ?? ''}`;
    }
    try {
      results = parseJunit(await readFile(junit, 'utf8'));
    } catch {
      results = new Map();
    }
  }, 600_000);

  afterAll(async () => {
    await server?.stop();
    await database?.drop();
    if (work) await rm(work, { recursive: true, force: true });
  });

  it('collects the pytest tests and reports each', () => {
    expect(pytestIds.length).toBeGreaterThanOrEqual(20);
    expect([...results.keys()].sort(), output).toEqual([...pytestIds].sort());
  });

  it.each(pytestIds)('%s', (id) => {
    const result = results.get(id);
    expect(result, `${id} did not run:\n${output}`).toBeDefined();
    // Skipped counts as not passed: what the tests need is installed by scripts/setup.sh.
    expect(result?.outcome, result?.detail).toBe('passed');
  });
});
