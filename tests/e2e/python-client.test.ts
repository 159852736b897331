import { execFile } from 'node:child_process';
import { readdirSync } from 'node:fs';
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
 * --no-build-isolation), then its pytest suite run by that interpreter against the built server. Each pytest file is one test here, passing when
 * every test in it passed (none skipped), so the suite's pass/fail count covers them.
 */

const run = promisify(execFile);
const testsDir = join(repo, 'clients/python/tests');
const files = readdirSync(testsDir)
  .filter((f) => /^test_.*\.py$/.test(f))
  .sort();
const adminKey = `aihub_pyclient_${'p'.repeat(43)}`;

interface Case {
  name: string;
  outcome: 'passed' | 'failed' | 'skipped';
  detail: string;
}

/** The test cases of pytest's JUnit XML report, by file. */
function parseJunit(xml: string): Map<string, Case[]> {
  const byFile = new Map<string, Case[]>();
  for (const m of xml.matchAll(/<testcase ([^>]*?)(\/>|>([\s\S]*?)<\/testcase>)/g)) {
    const attrs = Object.fromEntries(
      [...(m[1] as string).matchAll(/(\w+)="([^"]*)"/g)].map((a) => [a[1], a[2]]),
    );
    const body = m[3] ?? '';
    // classname: the module's dotted path from the rootdir (`tests.test_x`), then any class.
    const file = `${String(attrs.classname)
      .split('.')
      .find((part) => part.startsWith('test_'))}.py`;
    const outcome = /<(failure|error)\b/.test(body)
      ? 'failed'
      : /<skipped\b/.test(body)
        ? 'skipped'
        : 'passed';
    const list = byFile.get(file) ?? [];
    list.push({ name: String(attrs.name), outcome, detail: body.slice(0, 4000) });
    byFile.set(file, list);
  }
  return byFile;
}

describe('the Python client, installed into a fresh venv, against the built server', () => {
  let database: TestDatabase;
  let server: ServerProcess;
  let work: string;
  let results: Map<string, Case[]>;
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

  it('finds the pytest files', () => {
    expect(files.length).toBeGreaterThanOrEqual(4);
    expect(results.size, output).toBeGreaterThan(0);
  });

  it.each(files)('%s: every test passed', (file) => {
    const cases = results.get(file) ?? [];
    expect(cases.length, `${file} ran no tests:\n${output}`).toBeGreaterThan(0);
    const bad = cases.filter((c) => c.outcome !== 'passed');
    expect(bad.map((c) => `${c.name}: ${c.outcome}\n${c.detail}`).join('\n\n')).toBe('');
  });
});
