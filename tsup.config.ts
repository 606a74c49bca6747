import { defineConfig, type Options } from 'tsup';

/** The library: one entry per package export; zod, hono and the other peers stay external. */
const library: Options = {
  entry: {
    index: 'src/index.ts',
    node: 'adapters/node/index.ts',
    server: 'adapters/node/server.ts',
    browser: 'adapters/browser/index.ts',
    worker: 'adapters/worker/index.ts',
    // The same names under workerd (the `workerd` export condition): sessions extend its DurableObject.
    'worker-workerd': 'adapters/worker/workerd.ts',
    mcp: 'src/mcp/index.ts',
    // OpenTelemetry's tracer for qcore's spans; @opentelemetry/api (an optional peer) stays external.
    otel: 'src/otel/index.ts',
    testing: 'testing/index.ts',
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
      mcp: 'src/mcp/index.ts',
      otel: 'src/otel/index.ts',
      testing: 'testing/index.ts',
      builtins: 'src/ai/providers/register-all.ts',
    },
  },
  // Everything but the CLI's file, which the second build writes at the same time.
  clean: ['!cli.js'],
  splitting: true,
  treeshake: true,
  sourcemap: false,
  external: [/^node:/, /^cloudflare:/, 'zod'],
};

/**
 * The `qcore` command: one self-contained `dist/cli.js` with every package it
 * uses bundled (hono and @hono/node-server for `qcore serve`, and any
 * terminal library), so `npm install -g` of the tarball needs nothing else.
 * Only Node's built-ins stay outside. One file, not split: its chunks would
 * share `dist/` with the library's.
 */
const cli: Options = {
  entry: { cli: 'adapters/node/cli.ts' },
  format: ['esm'],
  platform: 'node',
  target: 'node20',
  clean: false,
  splitting: false,
  treeshake: true,
  sourcemap: false,
  noExternal: [/^(?!node:)/],
};

export default defineConfig([library, cli]);
