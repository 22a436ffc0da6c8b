// Builds the web UI into web/dist, which `rehearse serve` serves. `npx vite --config web/vite.config.ts`
// runs a dev server that proxies /api (REST and websockets) to a `rehearse serve` on REHEARSAL_API or :7070
// (start it with --allowed-origin http://localhost:5173 so its Origin check accepts the dev page).
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

const root = fileURLToPath(new URL('.', import.meta.url));
const apiTarget = process.env['REHEARSAL_API'] ?? 'http://127.0.0.1:7070';

export default defineConfig({
  root,
  base: '/',
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    sourcemap: true,
    // xterm and CodeMirror are most of the bytes; they change less often than our code, so they get
    // their own chunks and stay cached across UI releases.
    rollupOptions: {
      output: {
        manualChunks(id: string): string | undefined {
          if (id.includes('node_modules/@xterm/')) return 'xterm';
          if (id.includes('node_modules/@codemirror/') || id.includes('node_modules/@lezer/')) return 'codemirror';
          if (id.includes('node_modules/zod/')) return 'zod';
          return undefined;
        },
      },
    },
  },
  server: {
    proxy: {
      '/api': { target: apiTarget, ws: true, changeOrigin: false },
    },
  },
});
