import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readFile, readdir, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { createTestDatabase, type TestDatabase } from '@aihub/db/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repo, type ServerProcess, spawnServer } from '../support/processes.js';

/*
 * The README's CLI examples, run as written: every ```bash block with an `aihub` line, in README
 * order, in one shell, from a folder laid out like the repository's root (`examples/`, and
 * `.data/dev-admin-key` holding this server's bootstrap key), with `aihub` found on the PATH where
 * scripts/link-cli.sh put it. Only AIHUB_URL is set from outside (the server listens on a free port).
 */

const run = promisify(execFile);
const adminKey = `aihub_readme01_${'r'.repeat(43)}`;

interface Step {
  line: string;
  /** A `# → …` line under the command: the start of a line it prints (up to a `…`). */
  expected?: string;
  /** The line's own comment says it is refused / exits 1. */
  fails: boolean;
}

function readmeSteps(readme: string): Step[] {
  const blocks = [...readme.matchAll(/```bash\n([\s\S]*?)```/g)].map((m) => m[1] as string);
  const steps: Step[] = [];
  for (const block of blocks.filter((b) => /^aihub /m.test(b))) {
    for (const line of block.split('\n')) {
      if (line.trim() === '') continue;
      const previous = steps.at(-1);
      if (line.startsWith('#')) {
        if (previous && line.startsWith('# → ')) previous.expected = line.slice(4).split('…')[0];
        continue;
      }
      const comment = line.includes(' # ') ? line.slice(line.indexOf(' # ')) : '';
      steps.push({ line, fails: /refused|exit 1/.test(comment) });
    }
  }
  return steps;
}

describe("the README's CLI blocks, run as written against a running server", () => {
  let database: TestDatabase;
  let server: ServerProcess;
  let dir: string;
  let bin: string;

  beforeAll(async () => {
    database = await createTestDatabase();
    server = await spawnServer({ DATABASE_URL: database.url, AIHUB_BOOTSTRAP_ADMIN_KEY: adminKey });
    dir = await mkdtemp(join(tmpdir(), 'aihub-readme-'));
    bin = join(dir, 'bin');
    await run('bash', [join(repo, 'scripts/link-cli.sh'), bin]);
    await mkdir(join(dir, '.data'));
    await writeFile(join(dir, '.data/dev-admin-key'), adminKey);
    await symlink(join(repo, 'examples'), join(dir, 'examples'));
  });
  afterAll(async () => {
    await server?.stop();
    await database?.drop();
  });

  it('runs every aihub line with the outcome its comment states', { timeout: 180_000 }, async () => {
    const steps = readmeSteps(await readFile(join(repo, 'README.md'), 'utf8'));
    // The blocks of the CLI, feature store, registry and online/export sections.
    expect(steps.length).toBeGreaterThan(30);
    const script = steps
      .map((step, i) => `{ ${step.line}\n} >out/${i}.out 2>out/${i}.err; echo $? >out/${i}.rc`)
      .join('\n');
    await mkdir(join(dir, 'out'));
    await writeFile(join(dir, 'readme.sh'), script);
    await run('bash', ['readme.sh'], {
      cwd: dir,
      env: { PATH: `${bin}:${process.env.PATH}`, HOME: dir, AIHUB_URL: server.url },
      timeout: 170_000,
    });
    const results = await Promise.all(
      steps.map(async (step, i) => ({
        line: step.line,
        code: Number(await readFile(join(dir, `out/${i}.rc`), 'utf8')),
        stdout: await readFile(join(dir, `out/${i}.out`), 'utf8'),
        stderr: await readFile(join(dir, `out/${i}.err`), 'utf8'),
      })),
    );
    results.forEach((result, i) => {
      const step = steps[i] as Step;
      if (step.fails) {
        expect(result.code, result.line).not.toBe(0);
        expect(result.stderr, result.line).toMatch(/^aihub: /);
      } else {
        expect({ line: result.line, code: result.code, stderr: result.stderr }).toEqual({
          line: result.line,
          code: 0,
          stderr: '',
        });
      }
      if (step.expected)
        expect(result.stdout.split('\n'), result.line).toContainEqual(
          expect.stringMatching(new RegExp(`^${step.expected.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`)),
        );
    });
    // The downloads the README promises are there, under the names it gives, and nothing else beside them.
    const files = await readdir(dir);
    expect(files).toContain('dl.onnx');
    // The export (under its own name) and the prediction batch.
    expect(files.filter((f) => f.endsWith('.parquet'))).toHaveLength(2);
    expect(files).toContain('predictions.parquet');
    expect(files.filter((f) => f.endsWith('.part'))).toEqual([]);
    expect(await readFile(join(dir, 'dl.onnx'))).toEqual(await readFile(join(repo, 'examples/model.onnx')));
  });
});
