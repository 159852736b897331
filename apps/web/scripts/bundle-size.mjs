// Prints the production bundle's size, raw and gzipped (what a browser downloads), and fails the
// build above the budget of 400 kB gzipped.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';

const BUDGET = 400 * 1000;
const dist = new URL('../dist/', import.meta.url).pathname;
let raw = 0;
let gzipped = 0;
const walk = (dir) => {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) walk(path);
    else if (/\.(js|css|html)$/.test(name)) {
      const bytes = readFileSync(path);
      raw += bytes.length;
      gzipped += gzipSync(bytes, { level: 9 }).length;
    }
  }
};
walk(dist);
console.log(
  `web bundle: ${(raw / 1000).toFixed(1)} kB, ${(gzipped / 1000).toFixed(1)} kB gzipped (budget ${BUDGET / 1000} kB)`,
);
if (gzipped > BUDGET) {
  console.error('web bundle is over its budget');
  process.exit(1);
}
