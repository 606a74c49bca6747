import { readFile } from 'node:fs/promises';
import { describe, expect, test } from 'vitest';

/**
 * Each entry holds one layer's names: the core everything web-standard, each
 * runtime entry only what needs that runtime. Read from the source entries,
 * which tsup builds one for one (checked against package.json below).
 */
const entries = {
  qcore: () => import('../../src/index.js'),
  'qcore/node': () => import('../../adapters/node/index.js'),
  'qcore/server': () => import('../../adapters/node/server.js'),
  'qcore/browser': () => import('../../adapters/browser/index.js'),
  'qcore/worker': () => import('../../adapters/worker/index.js'),
  'qcore/mcp': () => import('../../src/mcp/index.js'),
  'qcore/otel': () => import('../../src/otel/index.js'),
  'qcore/testing': () => import('../../testing/index.js'),
  'qcore/builtins': () => import('../../src/ai/providers/register-all.js'),
};

async function namesOf(entry: keyof typeof entries): Promise<string[]> {
  return Object.keys(await entries[entry]()).sort();
}

describe('entry points', () => {
  test('qcore holds the web-standard core, RemoteWorkspace included, and nothing runtime-specific', async () => {
    const names = await namesOf('qcore');
    for (const name of [
      'stream',
      'complete',
      'getModel',
      'findModel',
      'Agent',
      'connectAgent',
      'createCodingTools',
      'createGrepTool',
      'MemoryWorkspace',
      'RemoteWorkspace',
    ]) {
      expect(names, name).toContain(name);
    }
    for (const name of [
      'NodeWorkspace',
      'createNodeGrepMatcher',
      'inheritedEnvironment',
      'LightningFsWorkspace',
      'createBrowserGrepMatcher',
      'createAgentHandler',
      'createExecApp',
      'startExecServer',
      'startMockServer',
    ]) {
      expect(names, name).not.toContain(name);
    }
  });

  test('qcore/node holds only what needs Node', async () => {
    expect(await namesOf('qcore/node')).toEqual([
      'JsonlSessionStore',
      'NodeWorkspace',
      'checkSandbox',
      'connectMcpStdio',
      'createNodeGrepMatcher',
      'createStdioTransport',
      'defaultHiddenPaths',
      'inheritedEnvironment',
    ]);
  });

  test('qcore/server holds the remote workspace endpoint', async () => {
    expect(await namesOf('qcore/server')).toEqual(['createExecApp', 'startExecServer']);
  });

  test('qcore/browser holds only the browser backends', async () => {
    expect(await namesOf('qcore/browser')).toEqual([
      'IndexedDbSessionStore',
      'LightningFsWorkspace',
      'createBrowserGrepMatcher',
    ]);
  });

  test('qcore/worker holds the agent handler and durable sessions, and imports under Node', async () => {
    expect(await namesOf('qcore/worker')).toEqual([
      'DurableObjectSessionStore',
      'createAgentHandler',
      'createAgentSessionHandler',
      'defineAgentSession',
    ]);
  });

  test('qcore/mcp holds the MCP client, which the root does not re-export', async () => {
    const names = await namesOf('qcore/mcp');
    expect(names).toEqual([
      'MAX_MCP_TOOLS',
      'MCP_PROTOCOL_VERSIONS',
      'McpError',
      'connectMcp',
      'createHttpTransport',
      'createMcpClient',
      'mcpResultToToolResult',
      'mcpToolNames',
    ]);
    const root = await namesOf('qcore');
    for (const name of names) expect(root, name).not.toContain(name);
  });

  test('qcore/otel holds the OpenTelemetry tracer, which the root does not re-export', async () => {
    expect(await namesOf('qcore/otel')).toEqual(['otelTracer']);
    expect(await namesOf('qcore')).not.toContain('otelTracer');
  });

  test('qcore/testing holds the mock, not the core', async () => {
    const names = await namesOf('qcore/testing');
    expect(names).toContain('startMockServer');
    expect(names).not.toContain('stream');
    expect(names).not.toContain('createCodingTools');
  });

  test('qcore/builtins holds only registerBuiltinApis, which the root must not import', async () => {
    expect(await namesOf('qcore/builtins')).toEqual(['registerBuiltinApis']);
    expect(await namesOf('qcore')).not.toContain('registerBuiltinApis');
  });

  test('package.json exports one built file per tsup entry', async () => {
    const pkg = JSON.parse(await readFile(new URL('../../package.json', import.meta.url), 'utf8')) as {
      exports: Record<string, string | { types: string; import: string }>;
    };
    const tsup = await readFile(new URL('../../tsup.config.ts', import.meta.url), 'utf8');
    for (const [key, target] of Object.entries(pkg.exports)) {
      if (typeof target === 'string') continue;
      const name = /^\.\/dist\/(\w+)\.js$/.exec(target.import)?.[1];
      expect(name, key).toBeDefined();
      expect(target.types, key).toBe(`./dist/${name}.d.ts`);
      expect(tsup, key).toContain(`${name}: '`);
      const entry = key === '.' ? 'qcore' : `qcore/${key.slice(2)}`;
      expect(Object.keys(entries), key).toContain(entry);
    }
  });
});
