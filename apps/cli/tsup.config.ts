import { readFileSync } from 'node:fs';
import { defineConfig } from 'tsup';

const { version } = JSON.parse(readFileSync(new URL('./package.json', import.meta.url), 'utf8')) as {
  version: string;
};

// One self-contained ESM file: runtime dependencies inlined, runs with plain `node` anywhere.
export default defineConfig({
  entry: { aihub: 'src/index.ts' },
  format: ['esm'],
  outExtension: () => ({ js: '.mjs' }),
  platform: 'node',
  target: 'node20',
  bundle: true,
  noExternal: [/.*/],
  clean: true,
  minify: false,
  sourcemap: false,
  banner: { js: '#!/usr/bin/env node' },
  define: { __AIHUB_CLI_VERSION__: JSON.stringify(version) },
});
