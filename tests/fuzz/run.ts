import { checkAfterwards } from './afterwards.js';
import { formatReport, runFuzz } from './fuzzer.js';
import { startFuzzTarget } from './target.js';

/*
 * The full fuzz run against the built server (after `pnpm turbo run build`, with the services'
 * environment): `pnpm --filter @aihub/e2e fuzz [--requests=10000] [--seed=1] [--concurrency=8]`.
 * Prints counts by status; exits 1 on any 5xx, network error or timeout, or when the server does
 * not answer its own listings afterwards.
 */

function flag(name: string, fallback: number): number {
  const arg = process.argv.find((a) => a.startsWith(`--${name}=`));
  return arg ? Number(arg.slice(name.length + 3)) : fallback;
}

const target = await startFuzzTarget();
let failed = false;
try {
  const report = await runFuzz({
    url: target.url,
    fixture: target.fixture,
    seed: flag('seed', 1),
    requests: flag('requests', 10_000),
    concurrency: flag('concurrency', 8),
    ...(process.argv.some((a) => a.startsWith('--only='))
      ? {
          only: (process.argv.find((a) => a.startsWith('--only=')) as string).slice(7).split(',').map(Number),
        }
      : {}),
  });
  console.log(formatReport(report));
  const problems = await checkAfterwards(target.url, target.fixture);
  console.log(
    problems.length === 0
      ? 'afterwards: every listing answers 200, server alive'
      : `afterwards: ${problems.join('; ')}`,
  );
  failed = report.failureCount > 0 || problems.length > 0;
  if (target.server.child.exitCode !== null || target.server.child.signalCode !== null) {
    const output = target.server.output();
    console.log(
      `the server process exited (${target.server.child.exitCode ?? target.server.child.signalCode}); its last output:\n${output.slice(-4_000)}`,
    );
  }
  if (report.failureCount > 0) {
    const ids = new Set(report.failures.map((f) => f.requestId).filter(Boolean));
    const logged = target.server
      .output()
      .split('\n')
      .filter((line) => [...ids].some((id) => id && line.includes(id)));
    console.log(`server log of the failures:\n${logged.slice(0, 40).join('\n')}`);
  }
} finally {
  await target.stop();
}
process.exit(failed ? 1 : 0);
