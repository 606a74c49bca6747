import { defineConfig } from 'tsup';

export default defineConfig({
  entry: {
    index: 'src/index.ts',
    node: 'adapters/node/index.ts',
    server: 'adapters/node/server.ts',
    browser: 'adapters/browser/index.ts',
    worker: 'adapters/worker/index.ts',
    testing: 'testing/index.ts',
    cli: 'adapters/node/cli.ts',
    // Its own entry: importing it from the root would load every protocol up front (see check:core).
    builtins: 'src/ai/providers/register-all.ts',
  },
  format: ['esm'],
  platform: 'neutral',
  target: 'es2022',
  dts: {
    entry: {
      index: 'src/index.ts',
      node: 'adapters/node/index.ts',
      server: 'adapters/node/server.ts',
      browser: 'adapters/browser/index.ts',
      worker: 'adapters/worker/index.ts',
      testing: 'testing/index.ts',
      builtins: 'src/ai/providers/register-all.ts',
    },
  },
  clean: true,
  splitting: true,
  treeshake: true,
  sourcemap: false,
  external: [/^node:/, 'zod'],
});
