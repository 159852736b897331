import { defineConfig } from 'tsup';

// ESM and CommonJS builds of each entry. `node` uses undici; `browser` imports nothing of Node.js
// (tests/consumer bundles it for the browser with esbuild and fails on any Node built-in).
// Dependencies stay external (npm installs them); declarations come from rollup.dts.config.mjs.
export default defineConfig([
  {
    entry: { node: 'src/node.ts', undici: 'src/undici.ts' },
    format: ['esm', 'cjs'],
    platform: 'node',
    target: 'node20',
    clean: true,
    sourcemap: true,
  },
  {
    entry: { browser: 'src/browser.ts' },
    format: ['esm', 'cjs'],
    platform: 'browser',
    target: 'es2022',
    sourcemap: true,
  },
]);
