/**
 * `qcore/server` and `qcore serve` with no hono installed, and `qcore/otel` with no
 * @opentelemetry/api: one clear line, not ERR_MODULE_NOT_FOUND.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { installWithoutPeers, type NoPeersInstall } from './cli-support/no-peers.js';

let install: NoPeersInstall;
beforeAll(() => {
  install = installWithoutPeers();
});
afterAll(() => install?.remove());

const run: NoPeersInstall['run'] = (args, env) => install.run(args, env);
const script: NoPeersInstall['script'] = (name, text) => install.script(name, text);

describe('without hono', { timeout: 30_000 }, () => {
  test('qcore/server loads, and startExecServer rejects naming what to install', async () => {
    const file = script(
      'server.mts',
      `
      const server = await import('./adapters/node/server.ts');
      try {
        await server.startExecServer({ root: '.', token: 'token-0123456789abcdef' });
        console.log('started');
      } catch (error) {
        console.log(JSON.stringify({ name: error.name, message: error.message, code: error.code ?? null }));
      }
      try {
        server.createExecApp({ workspace: {}, token: 'token-0123456789abcdef' });
        console.log('created');
      } catch (error) {
        console.log(JSON.stringify({ name: error.name, message: error.message, code: error.code ?? null }));
      }
      `,
    );
    const result = await run([file]);
    expect(result.stderr).toBe('');
    const errors = result.stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { name: string; message: string; code: string | null });
    expect(errors).toHaveLength(2);
    expect(errors[0]?.message).toBe(
      'startExecServer needs hono and @hono/node-server: npm install hono @hono/node-server',
    );
    expect(errors[1]?.message).toBe(
      'createExecApp needs hono and @hono/node-server: npm install hono @hono/node-server',
    );
    for (const error of errors) expect(error.code).toBe('EPEER');
  });

  test('qcore serve prints one line naming what to install', async () => {
    const result = await run(['adapters/node/cli.ts', 'serve', '--root', '.', '--port', '0'], {
      QCORE_TOKEN: 'token-0123456789abcdef',
    });
    expect([1, 2]).toContain(result.code);
    expect(result.stdout).toBe('');
    const lines = result.stderr.trimEnd().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toBe('qcore: serve needs hono and @hono/node-server: npm install hono @hono/node-server');
    expect(result.stderr).not.toContain('ERR_MODULE_NOT_FOUND');
  });
});

describe('without @opentelemetry/api', { timeout: 30_000 }, () => {
  test('qcore/otel loads, and otelTracer throws naming what to install', async () => {
    const file = script(
      'otel.mts',
      `
      const otel = await import('./src/otel/index.ts');
      try {
        otel.otelTracer();
        console.log('made');
      } catch (error) {
        console.log(JSON.stringify({ name: error.name, message: error.message, code: error.code ?? null }));
      }
      `,
    );
    const result = await run([file]);
    expect(result.stderr).toBe('');
    expect(JSON.parse(result.stdout)).toEqual({
      name: 'MissingPeerError',
      message: 'otelTracer needs @opentelemetry/api: npm install @opentelemetry/api',
      code: 'EPEER',
    });
  });
});
