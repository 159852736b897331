import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkAfterwards } from './afterwards.js';
import { formatReport, runFuzz, targets } from './fuzzer.js';
import { type FuzzTarget, startFuzzTarget } from './target.js';

/*
 * A smaller seeded run of the fuzzer (the full one is `pnpm --filter @aihub/e2e fuzz`, 10,000+
 * requests): every tRPC procedure and plain HTTP endpoint gets malformed requests, and none may
 * answer 5xx, time out or drop the connection; afterwards every listing still answers.
 */

const REQUESTS = Number(process.env.FUZZ_REQUESTS ?? 4_000);

describe('fuzzing every procedure and endpoint with malformed requests', () => {
  let target: FuzzTarget;
  beforeAll(async () => {
    target = await startFuzzTarget();
  });
  afterAll(async () => target?.stop());

  it(`answers ${REQUESTS} malformed requests without a single 5xx`, { timeout: 240_000 }, async () => {
    const report = await runFuzz({
      url: target.url,
      fixture: target.fixture,
      seed: 20261128,
      requests: REQUESTS,
      concurrency: 6,
    });
    console.log(formatReport(report));
    expect(report.failures, formatReport(report)).toEqual([]);
    // Every target was reached, and most answers are refusals: the requests really were malformed.
    expect(Object.keys(report.byTarget).sort()).toEqual([...new Set(targets().map((t) => t.name))].sort());
    const refused = Object.entries(report.byStatus)
      .filter(([status]) => status.startsWith('4'))
      .reduce((sum, [, n]) => sum + n, 0);
    expect(refused).toBeGreaterThan(REQUESTS / 2);
    expect(await checkAfterwards(target.url, target.fixture)).toEqual([]);
  });
});
