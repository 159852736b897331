import { realpathSync } from 'node:fs';
import { dts } from 'rollup-plugin-dts';

/*
 * Bundled declarations: rollup-plugin-dts (kept up to date, works with TypeScript 5.9) compiles
 * the entries and inlines every declaration they reach in this repository (the router's type from
 * the server's source, @aihub/core's types), so the published .d.ts names nothing but the
 * packages a client installs. Anything else left as an import fails the build below. zod is
 * among them only for types: some of @aihub/core's output types are `z.infer<…>` of its schemas.
 */
const allowedImports = new Set(['@trpc/client', '@trpc/server', '@trpc/server/rpc', 'zod']);
const isRepositoryModule = (id) => id.startsWith('.') || id.startsWith('/') || id.startsWith('@aihub/');

const checkImports = {
  name: 'check-declaration-imports',
  generateBundle(_options, bundle) {
    for (const chunk of Object.values(bundle)) {
      if (chunk.type !== 'chunk') continue;
      const stray = chunk.imports.filter((id) => !allowedImports.has(id));
      if (stray.length > 0)
        this.error(`${chunk.fileName} imports ${stray.join(', ')}; a client could not type-check it`);
      // A named type that callers cannot name breaks their declaration emit (TS4058): say which.
      const declared = [...chunk.code.matchAll(/^(?:interface|type) ([A-Za-z0-9_]+)\b/gm)].map((m) => m[1]);
      const exported = new Set(chunk.exports);
      const unnamed = declared.filter((name) => !exported.has(name) && name !== 'ClientAppRouter');
      if (unnamed.length > 0) this.warn(`${chunk.fileName}: export ${unnamed.join(', ')} from src/router.ts`);
    }
  },
};

// The same workspace package reached through two symlinks (the server's and this package's
// node_modules/@aihub/core) is one module, not two copies of every type.
const realPaths = {
  name: 'real-paths',
  async resolveId(source, importer, options) {
    if (!importer) return null;
    const resolved = await this.resolve(source, importer, { ...options, skipSelf: true });
    return resolved && !resolved.external ? { ...resolved, id: realpathSync(resolved.id) } : resolved;
  },
};

const config = (input, file) => ({
  input,
  output: { file, format: 'es' },
  external: (id) => !isRepositoryModule(id),
  plugins: [realPaths, dts({ respectExternal: true, tsconfig: 'tsconfig.build.json' }), checkImports],
});

export default [
  config('src/node.ts', 'dist/index.d.ts'),
  config('src/node.ts', 'dist/index.d.cts'),
  config('src/undici.ts', 'dist/undici.d.ts'),
  config('src/undici.ts', 'dist/undici.d.cts'),
];
