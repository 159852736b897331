import { createTestDatabase, type TestDatabase } from '@aihub/db/testing';
import { createAihubClient } from '@aihub/server/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CliResult, isolatedCli, type ServerProcess, spawnServer } from '../support/processes.js';

const adminKey = `aihub_e2eadm01_${'k'.repeat(43)}`;

describe('end to end: the built server process, the typed client and the bundled CLI', () => {
  let database: TestDatabase;
  let server: ServerProcess;
  let cli: (args: string[], env?: Record<string, string>) => Promise<CliResult>;

  beforeAll(async () => {
    database = await createTestDatabase();
    server = await spawnServer({ DATABASE_URL: database.url, AIHUB_BOOTSTRAP_ADMIN_KEY: adminKey });
    cli = await isolatedCli();
  });
  afterAll(async () => {
    await server?.stop();
    await database?.drop();
  });

  const asAdmin = (args: string[]) => cli([...args, '--url', server.url], { AIHUB_API_KEY: adminKey });

  it('reports all three services ready through the typed client and the CLI', async () => {
    const client = createAihubClient({ url: server.url });
    const readiness = await client.health.ready.query();
    expect(readiness.checks).toMatchObject({
      postgres: { ok: true },
      redis: { ok: true },
      objectStorage: { ok: true },
    });
    expect(readiness.ready).toBe(true);
    const result = await cli(['health', '--json'], { AIHUB_URL: server.url });
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const parsed = JSON.parse(result.stdout) as { ready: boolean; checks: Record<string, { ok: boolean }> };
    expect(parsed.ready).toBe(true);
    expect(Object.keys(parsed.checks).sort()).toEqual(['objectStorage', 'postgres', 'redis']);
  });

  it('creates a project and manages its keys from the CLI', async () => {
    const created = await asAdmin([
      'projects',
      'create',
      'meters-eu',
      '--description',
      'EU meters',
      '--json',
    ]);
    expect(created.code).toBe(0);
    const { project, adminKey: tenantKey } = JSON.parse(created.stdout) as {
      project: { name: string };
      adminKey: { token: string };
    };
    expect(project.name).toBe('meters-eu');

    const tenant = (args: string[]) => cli([...args, '--url', server.url, '--api-key', tenantKey.token]);
    const made = await tenant(['keys', 'create', '--name', 'trainer', '--role', 'reader', '--json']);
    expect(made.code).toBe(0);
    const reader = JSON.parse(made.stdout) as { key: { id: string }; token: string };

    const whoami = await cli(['whoami', '--json', '--url', server.url, '--api-key', reader.token]);
    expect(JSON.parse(whoami.stdout)).toMatchObject({
      keyName: 'trainer',
      role: 'reader',
      project: { name: 'meters-eu' },
    });

    // The typed client agrees with what the CLI created.
    const typed = createAihubClient({ url: server.url, apiKey: tenantKey.token });
    expect((await typed.keys.list.query()).map((k) => k.name).sort()).toEqual(['initial-admin', 'trainer']);

    const listed = await tenant(['keys', 'list']);
    expect(listed.stdout).toMatch(/^ID\s+NAME\s+ROLE/);
    expect(listed.stdout).toContain('trainer');

    const revoked = await tenant(['keys', 'revoke', reader.key.id]);
    expect(revoked.code).toBe(0);
    expect(revoked.stdout).toMatch(/^revoked trainer/);

    const after = await cli(['whoami', '--url', server.url, '--api-key', reader.token]);
    expect(after.code).toBe(1);
    expect(after.stdout).toBe('');
    expect(after.stderr).toBe('aihub: Invalid or revoked API key [UNAUTHORIZED]\n');
  });

  it('lists projects as a table and as JSON', async () => {
    const table = await asAdmin(['projects', 'list']);
    expect(table.code).toBe(0);
    expect(table.stdout.split('\n')[0]).toMatch(/^NAME\s+ID\s+ISROOT/);
    const json = JSON.parse((await asAdmin(['projects', 'list', '--json'])).stdout) as { name: string }[];
    expect(json.map((p) => p.name)).toEqual(expect.arrayContaining(['admin', 'meters-eu']));
  });

  it('reports bad usage and refused calls on stderr with a one-line reason and a non-zero exit', async () => {
    const badRole = await asAdmin(['keys', 'create', '--name', 'x', '--role', 'owner']);
    expect(badRole.code).toBe(2);
    expect(badRole.stderr).toMatch(/^aihub: --role must be one of reader, writer, admin \(got 'owner'\)/);

    const unknownFlag = await asAdmin(['projects', 'list', '--colour']);
    expect(unknownFlag.code).toBe(2);
    expect(unknownFlag.stderr).toContain("unknown option '--colour'");

    const badName = await asAdmin(['projects', 'create', 'Not Valid']);
    expect(badName.code).toBe(1);
    expect(badName.stderr).toMatch(
      /^aihub: Invalid input: name: must be 2-63 characters.*\[BAD_REQUEST\]\n$/,
    );

    const noKey = await cli(['keys', 'list', '--url', server.url]);
    expect(noKey.code).toBe(1);
    expect(noKey.stderr).toBe('aihub: no API key: set AIHUB_API_KEY or pass --api-key\n');

    const unknownCommand = await cli(['frobnicate']);
    expect(unknownCommand.code).toBe(2);

    const unreachable = await cli(['health', '--url', 'http://127.0.0.1:1']);
    expect(unreachable.code).toBe(1);
    expect(unreachable.stderr).toMatch(/^aihub: cannot reach AI Hub at http:\/\/127\.0\.0\.1:1/);
    for (const r of [badRole, badName, noKey, unreachable]) expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  it('shuts down cleanly on SIGTERM', async () => {
    const second = await spawnServer({ DATABASE_URL: database.url, AIHUB_BOOTSTRAP_ADMIN_KEY: adminKey });
    expect((await fetch(`${second.url}/livez`)).status).toBe(200);
    expect(await second.stop()).toBe(0);
  });

  it('refuses to start with a malformed setting, naming it', async () => {
    await expect(spawnServer({ DATABASE_URL: database.url, REDIS_URL: 'not-a-url' })).rejects.toThrow(
      /REDIS_URL: must be a redis:\/\/ URL/,
    );
  });
});
