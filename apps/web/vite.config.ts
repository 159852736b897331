import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

// Static files for the server to serve at / (same origin as /trpc). No CDN: everything is bundled.
export default defineConfig({
  plugins: [react()],
  base: '/',
  build: { outDir: 'dist', sourcemap: false, assetsDir: 'assets', chunkSizeWarningLimit: 600 },
  server: { proxy: { '/trpc': 'http://127.0.0.1:8080' } },
});
