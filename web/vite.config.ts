import { defineConfig } from 'vite';

// The app is served by the trawl binary under /ui/ and embedded from
// internal/httpapi/webui/dist/app (not committed; `make ui` builds it).
export default defineConfig({
  base: '/ui/',
  build: {
    outDir: '../internal/httpapi/webui/dist/app',
    emptyOutDir: true,
    assetsDir: 'assets',
    sourcemap: false,
  },
  server: {
    // `npm run dev` against a running `trawl serve` or `trawl demo`.
    proxy: {
      '/api': 'http://127.0.0.1:8080',
      '/taxii2': 'http://127.0.0.1:8080',
    },
  },
});
