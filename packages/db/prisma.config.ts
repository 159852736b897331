import { defineConfig } from 'prisma/config';

// process.env rather than env(): env() throws when the variable is unset, even for `generate`.
export default defineConfig({
  schema: 'prisma/schema.prisma',
  migrations: { path: 'prisma/migrations' },
  datasource: { url: process.env.DATABASE_URL ?? 'postgresql://localhost/unset' },
});
