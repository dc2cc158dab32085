// Build of the web console: `vite build console --emptyOutDir` from the repository root writes
// console/dist, which `berth server` serves at `/` with a fallback to index.html for the SPA routes.
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

const root = fileURLToPath(new URL('.', import.meta.url));

/** Vite configuration of the console: root is this folder, output is `dist/`, served at `/`. */
export default defineConfig({
  root,
  base: '/',
  build: {
    outDir: 'dist',
    // antd alone is larger than Vite's default warning threshold; pages are split with React.lazy.
    chunkSizeWarningLimit: 1200,
    rolldownOptions: {
      // antd marks its modules "use client" for React Server Components; a client-only bundle has
      // no use for the directive, so the warning that it is dropped is noise.
      onwarn(warning, warn) {
        if (warning.code !== 'MODULE_LEVEL_DIRECTIVE') warn(warning);
      },
    },
  },
  server: {
    // `npx vite console` during development forwards API calls to a local `berth server`.
    proxy: { '/api': process.env.BERTH_URL ?? 'http://127.0.0.1:8080' },
  },
});
