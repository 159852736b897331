import { defineConfig } from 'tsup';

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
});
