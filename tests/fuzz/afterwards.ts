import { createAihubClient } from '@aihub/server/client';
import type { FuzzFixture } from './fixture.js';

/**
 * What must still hold after the fuzzing: the process answers, and every listing of the project
 * reads whatever the fuzzer managed to store (a stored value the API cannot send back would turn
 * these into 500s for everyone). Returns the problems found.
 */
export async function checkAfterwards(url: string, fx: FuzzFixture): Promise<string[]> {
  const problems: string[] = [];
  const live = await fetch(`${url}/livez`).catch(() => null);
  if (live?.status !== 200) problems.push(`GET /livez answered ${live?.status ?? 'nothing'}`);
  const admin = createAihubClient({ url, apiKey: fx.keys.admin });
  const root = createAihubClient({ url, apiKey: fx.keys.root });
  const listings: [string, () => Promise<unknown>][] = [
    ['models.list', () => admin.models.list.query({ limit: 500 })],
    ['models.history', () => admin.models.history.query({ name: fx.model })],
    ['features.sets', () => admin.features.sets.query()],
    ['features.exports', () => admin.features.exports.query({ limit: 200 })],
    ['features.materializations', () => admin.features.materializations.query()],
    ['entities.list', () => admin.entities.list.query({})],
    ['keys.list', () => admin.keys.list.query({ includeRevoked: true })],
    ['projects.list', () => root.projects.list.query()],
  ];
  for (const [name, call] of listings) {
    try {
      await call();
    } catch (error) {
      problems.push(`${name} failed: ${(error as Error).message}`);
    }
  }
  // Exports the fuzzer queued must not keep the worker busy after the run.
  let cursor: string | undefined;
  do {
    const page = await admin.features.exports.query({ limit: 200, cursor }).catch(() => null);
    for (const e of page?.items ?? []) {
      if (e.status === 'queued' || e.status === 'running')
        await admin.features.cancelExport.mutate({ id: e.id }).catch(() => undefined);
    }
    cursor = page?.nextCursor ?? undefined;
  } while (cursor);
  return problems;
}
