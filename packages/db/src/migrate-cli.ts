#!/usr/bin/env node
// `node packages/db/dist/migrate-cli.js`: applies pending migrations to $DATABASE_URL.
import { migrate } from './migrate.js';

const url = process.env.DATABASE_URL;
if (!url) {
  console.error('aihub-migrate: DATABASE_URL is not set');
  process.exit(2);
}
try {
  const result = await migrate({ url, log: (line) => console.log(line) });
  console.log(
    `migrations: ${result.applied.length} applied, ${result.alreadyApplied.length} already applied`,
  );
} catch (error) {
  console.error(`aihub-migrate: ${(error as Error).message}`);
  process.exit(1);
}
