import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readFile, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { restRouteTable } from '../src/rest/route-table.js';
import { startTestServer, type TestServer } from '../src/testing.js';

/*
 * The README's REST section: its route table is the one the code declares, and its curl block runs
 * as written (from a folder laid out like the repository's root: `examples/` and
 * `.data/dev-admin-key`), each `# → …` line matching the start of what the command above printed.
 * After changing routes: node -e "import('./apps/server/dist/rest/route-table.js').then((m) => console.log(m.restRouteTable()))"
 */

const run = promisify(execFile);
const repo = fileURLToPath(new URL('../../../', import.meta.url));

function restSection(readme: string): string {
  const start = readme.indexOf('## REST and OpenAPI');
  const end = readme.indexOf('\n## ', start + 1);
  return readme.slice(start, end);
}

describe("the README's REST section", () => {
  let server: TestServer;
  let dir: string;
  let section: string;

  beforeAll(async () => {
    section = restSection(await readFile(join(repo, 'README.md'), 'utf8'));
    server = await startTestServer();
    dir = await mkdtemp(join(tmpdir(), 'aihub-readme-rest-'));
    await mkdir(join(dir, '.data'));
    await writeFile(join(dir, '.data/dev-admin-key'), server.adminKey);
    await symlink(join(repo, 'examples'), join(dir, 'examples'));
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('lists every REST route the server declares, as the code generates the table', () => {
    expect(section).toContain(`\n${restRouteTable()}\n`);
  });

  it('runs the curl block as written, each command printing what its # → line says', {
    timeout: 60_000,
  }, async () => {
    const block = /```bash\n([\s\S]*?)```/.exec(section)?.[1] ?? '';
    const steps: { line: string; expected?: string }[] = [];
    for (const line of block.split('\n')) {
      if (line.trim() === '') continue;
      if (line.startsWith('# → ')) {
        const previous = steps.at(-1);
        if (previous) previous.expected = line.slice(4);
        continue;
      }
      steps.push({ line });
    }
    // The nine paths of the seed, at least, are shown.
    expect(steps.filter((s) => s.line.includes('curl')).length).toBeGreaterThanOrEqual(10);
    expect(steps.filter((s) => s.expected).length).toBeGreaterThanOrEqual(6);
    // One shell, so variables carry over; each step's output and status kept apart.
    const script = steps
      .map((step, i) => `{ ${step.line}\n} >out/${i}.out 2>out/${i}.err; echo $? >out/${i}.rc`)
      .join('\n');
    await mkdir(join(dir, 'out'));
    await writeFile(join(dir, 'readme.sh'), script);
    await run('bash', ['readme.sh'], {
      cwd: dir,
      env: { PATH: process.env.PATH, HOME: dir, AIHUB_URL: server.url },
      timeout: 50_000,
    });
    for (const [i, step] of steps.entries()) {
      const rc = (await readFile(join(dir, `out/${i}.rc`), 'utf8')).trim();
      const out = await readFile(join(dir, `out/${i}.out`), 'utf8');
      const err = await readFile(join(dir, `out/${i}.err`), 'utf8');
      expect(rc, `${step.line}\n${out}\n${err}`).toBe('0');
      if (step.expected)
        expect(out.startsWith(step.expected), `${step.line}\n${out.slice(0, 300)}`).toBe(true);
    }
  });
});
