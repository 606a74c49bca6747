/**
 * Serves the example from this repository's source: `qcore` and
 * `qcore/browser` resolve to `src/` and `adapters/browser/`, as the root
 * tsconfig's paths do for the type checker.
 */
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

const here = fileURLToPath(new URL('.', import.meta.url));
const repo = fileURLToPath(new URL('../..', import.meta.url));

export default defineConfig({
  // Set, so the config also works when loaded from elsewhere (the end-to-end test starts Vite itself).
  root: here,
  // In the repository's node_modules, so running the example leaves nothing behind in this folder.
  cacheDir: `${repo}node_modules/.vite/examples-browser`,
  resolve: {
    alias: [
      { find: /^qcore$/, replacement: `${repo}src/index.ts` },
      { find: /^qcore\/browser$/, replacement: `${repo}adapters/browser/index.ts` },
    ],
  },
  server: {
    // The aliased source lives above this folder, outside what Vite serves by default.
    fs: { allow: [repo] },
  },
  optimizeDeps: {
    // Named up front: discovered on the first page load, they would make Vite reload the page mid-session.
    include: ['@isomorphic-git/lightning-fs', 'zod', 'marked', 'dompurify'],
  },
  build: { target: 'es2022' },
});
