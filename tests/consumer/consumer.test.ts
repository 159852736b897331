import { spawn } from 'node:child_process';
import { copyFile, mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { builtinModules } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type AihubFetch, createAihubClient } from '@aihub/client';
import { createTestDatabase, type TestDatabase } from '@aihub/db/testing';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ServerProcess, spawnServer } from '../support/processes.js';

/*
 * @aihub/client as another repository gets it: the workspace packages packed with `pnpm pack`, the
 * client's tarball installed with npm into a fresh project under the OS temp dir (outside the
 * workspace, so nothing of it can help), a consumer script type-checked strictly and run against
 * the built server; then the browser build bundled with esbuild.
 */

const repo = fileURLToPath(new URL('../..', import.meta.url));
const fixture = fileURLToPath(new URL('./fixture/', import.meta.url));
const packed = ['core', 'client', 'storage', 'db'] as const;
const adminKey = `aihub_consumer_${'c'.repeat(43)}`;
const HOUR = 3_600_000;
const T0 = Date.parse('2026-01-05T00:00:00Z');
const ENTITIES = 1000;
const HOURS = 12;

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a command; npm and pnpm get an environment without the workspace's package-manager settings. */
function run(command: string, args: string[], cwd: string): Promise<Run> {
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^(npm|pnpm)_/i.test(k)));
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

async function ok(command: string, args: string[], cwd: string): Promise<string> {
  const result = await run(command, args, cwd);
  if (result.code !== 0)
    throw new Error(`${command} ${args.join(' ')} failed (${result.code}):\n${result.stderr}`);
  return result.stdout;
}

// Ids as long as real meter ids: 1,000 of them make a URL over Node's 16 KiB header limit.
const entityId = (e: number) => `meter-${String(e).padStart(4, '0')}-eu-west`;
/** Two readings per entity and hour, at :10 and :40. */
const reading = (e: number, h: number, second: boolean) => ({
  ts: T0 + h * HOUR + (second ? 40 : 10) * 60_000,
  value: second ? e * 2 - h * 0.25 : e + h * 0.5,
});

/** The set's features straight from feature-spec.md over the raw readings (independent of the server). */
function expected(e: number, asOf: number): [number | null, number | null, number, number] {
  const H = Math.floor(asOf / HOUR) * HOUR;
  const raw: { ts: number; value: number }[] = [];
  for (let h = 0; h < HOURS; h++) for (const second of [false, true]) raw.push(reading(e, h, second));
  const mean = (xs: number[]) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : null);
  const within = (from: number) => raw.filter((r) => r.ts >= from && r.ts < H).map((r) => r.value);
  const last3h = within(H - 3 * HOUR);
  return [mean(within(H - HOUR)), mean(last3h), last3h.length, new Date(H).getUTCHours()];
}

describe('@aihub/client from packed tarballs, installed with npm outside the workspace', () => {
  let work: string;
  let project: string;
  const tarballs: Record<string, string> = {};
  let database: TestDatabase;
  let server: ServerProcess;

  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), 'aihub-consumer-'));
    const packDir = join(work, 'tarballs');
    await mkdir(packDir);
    for (const name of packed) {
      await ok('pnpm', ['pack', '--pack-destination', packDir], join(repo, 'packages', name));
    }
    for (const file of await readdir(packDir)) {
      const name = packed.find((n) => file.startsWith(`aihub-${n}-`));
      if (name) tarballs[name] = join(packDir, file);
    }
    project = join(work, 'project');
    await mkdir(join(project, 'src'), { recursive: true });
    await writeFile(
      join(project, 'package.json'),
      JSON.stringify({ name: 'consumer', version: '1.0.0', private: true, type: 'module' }),
    );
    await ok(
      'npm',
      // TypeScript pinned to the workspace's version (tRPC's peer range would take the newest).
      [
        'install',
        '--no-audit',
        '--no-fund',
        tarballs.client as string,
        '@types/node@^20.19.0',
        'typescript@5.9.3',
      ],
      project,
    );

    database = await createTestDatabase();
    server = await spawnServer({ DATABASE_URL: database.url, AIHUB_BOOTSTRAP_ADMIN_KEY: adminKey });
    const admin = createAihubClient({ url: server.url, apiKey: adminKey });
    const ids = Array.from({ length: ENTITIES }, (_, e) => entityId(e));
    await admin.ingest.entities.mutate({ records: ids.map((id) => ({ entity_id: id })) });
    for (let first = 0; first < ENTITIES; first += 400) {
      const records = [];
      for (let e = first; e < Math.min(first + 400, ENTITIES); e++) {
        for (let h = 0; h < HOURS; h++) {
          for (const second of [false, true]) {
            const r = reading(e, h, second);
            records.push({
              entity_id: entityId(e),
              metric: 'kwh',
              ts: new Date(r.ts).toISOString(),
              value: r.value,
            });
          }
        }
      }
      const summary = await admin.ingest.readings.mutate({ records, strict: true });
      expect(summary.rejected).toBe(0);
    }
    await admin.aggregates.refresh.mutate();
    await admin.features.defineSet.mutate({
      name: 'consumer_check',
      features: ['lag_1h', 'rolling_3h_mean', 'rolling_3h_count', 'hour_of_day'],
    });
  }, 600_000);

  afterAll(async () => {
    await server?.stop();
    await database?.drop();
    if (work) await rm(work, { recursive: true, force: true });
  });

  it('packs core, client, storage and db with real versions, files, exports (types first), engines, license, repository and a README', async () => {
    for (const name of packed) {
      const tarball = tarballs[name];
      expect(tarball, name).toBeDefined();
      const listing = (await ok('tar', ['-tzf', tarball as string], work)).split('\n');
      expect(listing, name).toContain('package/README.md');
      const manifest = JSON.parse(
        await ok('tar', ['-xzOf', tarball as string, 'package/package.json'], work),
      );
      expect(manifest.name).toBe(`@aihub/${name}`);
      for (const field of ['dependencies', 'peerDependencies', 'optionalDependencies'] as const) {
        for (const [dep, range] of Object.entries((manifest[field] ?? {}) as Record<string, string>)) {
          expect(range, `${name} ${field} ${dep}`).toMatch(/^[\^~]?\d+\.\d+\.\d+/);
        }
      }
      expect(manifest.files, name).toEqual(expect.arrayContaining(['dist']));
      expect(manifest.license, name).toBe('Apache-2.0');
      expect(manifest.repository?.url, name).toMatch(/^git\+https:\/\//);
      expect(manifest.engines?.node, name).toMatch(/^>=20/);
      // Every export condition object lists `types` first (TypeScript takes the first match).
      const conditionObjects: Record<string, unknown>[] = [];
      const collect = (node: unknown) => {
        if (node && typeof node === 'object') {
          const keys = Object.keys(node);
          if (keys.some((k) => !k.startsWith('.'))) conditionObjects.push(node as Record<string, unknown>);
          for (const value of Object.values(node)) collect(value);
        }
      };
      collect(manifest.exports);
      const withDefaults = conditionObjects.filter((o) =>
        Object.values(o).every((v) => typeof v === 'string'),
      );
      expect(withDefaults.length, name).toBeGreaterThan(0);
      for (const conditions of withDefaults) expect(Object.keys(conditions)[0], name).toBe('types');
      for (const path of listing.filter((p) => p.startsWith('package/dist/')))
        expect(path).not.toMatch(/\.test\./);
    }
  });

  it('installs the client alone: no server, db or storage package, no Prisma, pg or Redis client', async () => {
    const installed = JSON.parse(await ok('npm', ['ls', '--all', '--json'], project));
    const names = new Set<string>();
    const walk = (deps: Record<string, { dependencies?: Record<string, unknown> }> | undefined) => {
      for (const [name, node] of Object.entries(deps ?? {})) {
        names.add(name);
        walk(node.dependencies as never);
      }
    };
    walk(installed.dependencies);
    expect(names).toContain('@aihub/client');
    for (const unwanted of [
      '@aihub/server',
      '@aihub/db',
      '@aihub/storage',
      '@aihub/core',
      '@prisma/client',
      'pg',
      'ioredis',
      'minio',
    ]) {
      expect(names, unwanted).not.toContain(unwanted);
    }
  });

  it('type-checks a consumer in strict mode with skipLibCheck false (Node: NodeNext; browser: Bundler with DOM, no Node types)', async () => {
    await copyFile(join(fixture, 'consumer.ts'), join(project, 'src/consumer.ts'));
    await copyFile(join(fixture, 'browser.ts'), join(project, 'src/browser.ts'));
    const strict = { strict: true, skipLibCheck: false, noUncheckedIndexedAccess: true, target: 'ES2022' };
    await writeFile(
      join(project, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          ...strict,
          module: 'NodeNext',
          moduleResolution: 'NodeNext',
          types: ['node'],
          rootDir: 'src',
          outDir: 'dist',
        },
        include: ['src/consumer.ts'],
      }),
    );
    await writeFile(
      join(project, 'tsconfig.browser.json'),
      JSON.stringify({
        // tRPC's declarations name `Disposable` (@types/node declares it in the Node.js project).
        compilerOptions: {
          ...strict,
          module: 'ESNext',
          moduleResolution: 'Bundler',
          lib: ['ES2022', 'DOM', 'ESNext.Disposable'],
          types: [],
          noEmit: true,
        },
        include: ['src/browser.ts'],
      }),
    );
    const tsc = join(project, 'node_modules/typescript/bin/tsc');
    const node = await run(process.execPath, [tsc, '-p', 'tsconfig.json'], project);
    expect(node.stdout + node.stderr).toBe('');
    expect(node.code).toBe(0);
    const browser = await run(process.execPath, [tsc, '-p', 'tsconfig.browser.json'], project);
    expect(browser.stdout + browser.stderr).toBe('');
    expect(browser.code).toBe(0);
  });

  it('runs against the real server: features.get of 1,000 entities, features.offline of a 10,000-row spine, models.list, NOT_FOUND narrowed', async () => {
    const getAsOf = T0 + HOURS * HOUR + 5 * 60_000;
    // 1,000 entities x 10 as-of times (17 minutes past each hour: the hour's own readings must not count).
    const spine: { entityId: string; asOf: string }[] = [];
    for (let e = 0; e < ENTITIES; e++) {
      for (let h = 2; h < 12; h++)
        spine.push({ entityId: entityId(e), asOf: new Date(T0 + h * HOUR + 17 * 60_000).toISOString() });
    }
    expect(spine).toHaveLength(10_000);
    const ids = Array.from({ length: ENTITIES }, (_, e) => entityId(e));
    const planFile = join(work, 'plan.json');
    await writeFile(
      planFile,
      JSON.stringify({
        url: server.url,
        apiKey: adminKey,
        featureSet: 'consumer_check',
        metric: 'kwh',
        entityIds: ids,
        getAsOf: new Date(getAsOf).toISOString(),
        spine,
      }),
    );
    const result = await run(process.execPath, [join(project, 'dist/consumer.js'), planFile], project);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const out = JSON.parse(result.stdout);

    expect(out.online.columns).toEqual(['lag_1h', 'rolling_3h_mean', 'rolling_3h_count', 'hour_of_day']);
    expect(out.online.vectors).toHaveLength(ENTITIES);
    expect(out.online.vectors.map((v: { entityId: string }) => v.entityId)).toEqual(ids);
    for (const e of [0, 1, 499, 998, 999]) {
      const vector = out.online.vectors[e];
      expect(vector.asOf).toBe(new Date(T0 + HOURS * HOUR).toISOString());
      expect(vector.status).toBe('ok');
      expectValues(vector.values, expected(e, getAsOf));
    }

    expect(out.offline.rows).toHaveLength(10_000);
    const byKey = new Map<string, { values: (number | null)[] }>(
      out.offline.rows.map((r: { entityId: string; asOf: string; values: (number | null)[] }) => [
        `${r.entityId}@${Date.parse(r.asOf)}`,
        r,
      ]),
    );
    expect(byKey.size).toBe(10_000);
    for (const index of [0, 1, 9, 4321, 7777, 9999]) {
      const row = spine[index] as { entityId: string; asOf: string };
      const e = Number(row.entityId.split('-')[1]);
      const H = Math.floor(Date.parse(row.asOf) / HOUR) * HOUR;
      const got = byKey.get(`${row.entityId}@${H}`) ?? byKey.get(`${row.entityId}@${Date.parse(row.asOf)}`);
      expect(got, `spine row ${index}`).toBeDefined();
      expectValues(got?.values ?? [], expected(e, Date.parse(row.asOf)));
    }

    expect(out.model).toEqual({ registered: 'consumer-model', listed: ['consumer-model'] });
    expect(out.notFound).toMatchObject({ code: 'NOT_FOUND', httpStatus: 404 });
    expect(out.notFound.requestId).toMatch(/\S{8,}/);
    expect(out.badDate).toEqual({ code: 'BAD_REQUEST', fields: ['range.start'] });
    expect(out.zoneless).toEqual({ code: 'BAD_REQUEST', fields: ['spine.0.asOf'] });
    expect(out.codes).toEqual(
      expect.arrayContaining(['NOT_FOUND', 'BAD_REQUEST', 'CONFLICT', 'SERVICE_UNAVAILABLE']),
    );
  });

  it('a GET with the same 1,000 ids does not fit in a URL: the client had to send it as POST', async () => {
    const input = {
      json: {
        featureSet: 'consumer_check',
        metric: 'kwh',
        entityIds: Array.from({ length: ENTITIES }, (_, e) => entityId(e)),
      },
    };
    const res = await fetch(
      `${server.url}/trpc/features.get?input=${encodeURIComponent(JSON.stringify(input))}`,
      {
        headers: { authorization: `Bearer ${adminKey}` },
      },
    );
    expect(res.status).toBe(431);
  });

  it('sends a query as GET while its input fits in a URL and as POST beyond (the workspace build, same server)', async () => {
    const methods: string[] = [];
    const recording: AihubFetch = (url, init) => {
      methods.push(init?.method ?? 'GET');
      return fetch(url, init as RequestInit);
    };
    const client = createAihubClient({ url: server.url, apiKey: adminKey, fetch: recording });
    const ask = (n: number) =>
      client.features.get.query({
        featureSet: 'consumer_check',
        metric: 'kwh',
        entityIds: Array.from({ length: n }, (_, e) => entityId(e)),
      });
    expect((await ask(10)).vectors).toHaveLength(10);
    expect((await ask(ENTITIES)).vectors).toHaveLength(ENTITIES);
    expect(methods).toEqual(['GET', 'POST']);
  });

  it('loads as CommonJS too (require)', async () => {
    const script =
      "const c = require('@aihub/client'); console.log(typeof c.createAihubClient, typeof c.isAihubError, c.AIHUB_ERROR_CODES.includes('NOT_FOUND'));";
    expect((await ok(process.execPath, ['-e', script], project)).trim()).toBe('function function true');
  });

  it('bundles for the browser with esbuild without any Node built-in', async () => {
    const nodeBuiltins = new Set(builtinModules.flatMap((m) => [m, `node:${m}`]));
    const result = await build({
      // The copy in the project: resolving from the fixture folder would find the workspace's link.
      entryPoints: [join(project, 'src/browser.ts')],
      absWorkingDir: project,
      nodePaths: [join(project, 'node_modules')],
      bundle: true,
      platform: 'browser',
      format: 'esm',
      write: false,
      metafile: true,
      logLevel: 'silent',
    });
    expect(result.errors).toEqual([]);
    const inputs = Object.keys(result.metafile.inputs);
    expect(inputs.some((p) => p.includes('@aihub/client/dist/browser.js'))).toBe(true);
    expect(inputs.filter((p) => p.includes('undici'))).toEqual([]);
    const imports = Object.values(result.metafile.inputs).flatMap((i) => i.imports.map((x) => x.path));
    expect(imports.filter((p) => nodeBuiltins.has(p))).toEqual([]);
  });
});

function expectValues(got: (number | null)[], want: (number | null)[]) {
  expect(got).toHaveLength(want.length);
  for (const [i, w] of want.entries()) {
    if (w === null) expect(got[i], `column ${i}`).toBeNull();
    else expect(got[i] as number, `column ${i}`).toBeCloseTo(w, 9);
  }
}
