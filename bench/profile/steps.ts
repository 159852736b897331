// The server's CPU profile of a bench, per step of a request. Run a bench with the server profiled,
//   BENCH_SERVER_NODE_ARGS="--cpu-prof --cpu-prof-dir=/tmp/aihub-prof" pnpm --filter @aihub/bench online --seconds=10
// then: pnpm --filter @aihub/bench profile-steps /tmp/aihub-prof/<file>.cpuprofile
// Each busy sample goes to the first step recognised walking from the sampled function towards the
// root, skipping Node.js internals (so a socket write is charged to whoever asked for it: ioredis,
// the answer, …); samples with nothing recognised are Node's own HTTP work. Start-up (module
// loading) is listed apart: subtract it, or profile longer runs.
import { readFileSync } from 'node:fs';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string };
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  startTime: number;
  endTime: number;
}

const STEPS: [string, RegExp][] = [
  ['garbage collection', /^\(garbage collector\)/],
  ['start-up (module loading)', /node:internal\/(modules|bootstrap)\/|^(compileSourceTextModule|wrapSafe) /],
  // JSON text of the answer and its socket write (tRPC's adapter or fast-queries.ts).
  ['answer written (JSON text, socket write)', /^(send \S*fast-queries\.js|(writeResponse|writeResponseBody) \S*@trpc)/],
  ['Redis (ioredis, online store)', /ioredis|redis-parser|redis-online-store/],
  ['answer serialization (superjson)', /transformer\.js|superjson/],
  ['input validation (zod)', /zod/],
  ['auth (key hash, key cache)', /authenticate\.js|api-keys\.js|api-key-cache/],
  ['logging (pino)', /pino/],
  ['metrics (prom-client)', /prom-client|observability\//],
  [
    'PostgreSQL (pg: model resolution, barrier, key cache)',
    /\/pg@|pg-pool|pg-protocol|model-registry|version-resolution|model-announcements/,
  ],
  ['ONNX Runtime', /onnxruntime|predictions\/onnx\.js/],
  ['features/predict logic', /online\/serve\.js|predictions\/|routers\/features|core\/dist/],
  [
    'tRPC (adapter, procedure, middlewares)',
    /@trpc|trpc\.js|context\.js|fast-queries\.js|undici|webstreams|abort_controller/,
  ],
  ['server glue (http.ts, request log record)', /server\/dist\/http\.js|http-responses|request-record/],
];
const NODE_HTTP = "Node's HTTP (parse, write, sockets)";

const file = process.argv[2];
if (!file) throw new Error('usage: profile-steps <file.cpuprofile>');
const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile;
const nodes = new Map(profile.nodes.map((n) => [n.id, n]));
const parent = new Map<number, number>();
for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
const msPerSample = (profile.endTime - profile.startTime) / 1000 / profile.samples.length;

const bySteps = new Map<string, number>();
let busy = 0;
for (const sample of profile.samples) {
  const leaf = nodes.get(sample) as ProfileNode;
  if (/^\((idle|program)\)/.test(leaf.callFrame.functionName)) continue;
  busy++;
  let step = NODE_HTTP;
  for (let id: number | undefined = sample; id !== undefined; id = parent.get(id)) {
    const { functionName, url } = (nodes.get(id) as ProfileNode).callFrame;
    const label = `${functionName} ${url}`;
    const internal = url === '' || url.startsWith('node:');
    if (
      internal &&
      !/garbage collector|node:internal\/(modules|bootstrap)\/|^(compileSourceTextModule|wrapSafe) /.test(
        label,
      )
    )
      continue;
    const found = STEPS.find(([, re]) => re.test(label));
    if (found) {
      step = found[0];
      break;
    }
  }
  bySteps.set(step, (bySteps.get(step) ?? 0) + 1);
}
console.log(
  `busy ${((busy * msPerSample) / 1000).toFixed(2)} s of ${((profile.endTime - profile.startTime) / 1e6).toFixed(1)} s profiled`,
);
for (const [step, n] of [...bySteps].sort((a, b) => b[1] - a[1])) {
  console.log(
    `${((100 * n) / busy).toFixed(1).padStart(5)} %  ${((n * msPerSample) / 1000).toFixed(2).padStart(6)} s  ${step}`,
  );
}
