import { defineConfig } from 'vitest/config';

// The whole suite in one run (one pass/fail count): every package's own vitest project.
export default defineConfig({
  test: {
    projects: ['packages/*/vitest.config.ts', 'apps/*/vitest.config.ts', 'tests/vitest.config.ts'],
  },
});
