/**
 * `qcore serve --mcp`'s endpoint against the official MCP SDK's Streamable
 * HTTP client: list and call the coding tools, behind the server's token.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { type ExecServer, startExecServer } from '../../adapters/node/server.js';

const TOKEN = 'mcp-test-token-0123456789';
let dir: string;
let server: ExecServer;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'qcore-mcp-http-'));
  await writeFile(join(dir, 'README.md'), '# Over HTTP\n');
  server = await startExecServer({ root: dir, token: TOKEN, mcp: { version: '9.9.9' } });
});
afterAll(async () => {
  await server.close();
  await rm(dir, { recursive: true, force: true });
});

function client(token = TOKEN) {
  const transport = new StreamableHTTPClientTransport(new URL(`${server.url}/mcp`), {
    requestInit: { headers: { authorization: `Bearer ${token}` } },
  });
  return { client: new Client({ name: 'sdk-test', version: '1.0.0' }), transport };
}

type Text = { type: string; text?: string };

describe('qcore serve --mcp', () => {
  test('the SDK client lists and calls the coding tools', async () => {
    const { client: sdk, transport } = client();
    await sdk.connect(transport);
    try {
      expect(sdk.getServerVersion()).toMatchObject({ name: 'qcore', version: '9.9.9' });
      const { tools } = await sdk.listTools();
      expect(tools.map((tool) => tool.name).sort()).toEqual(['bash', 'edit', 'find', 'grep', 'ls', 'read', 'write']);
      const read = await sdk.callTool({ name: 'read', arguments: { path: 'README.md' } });
      expect((read.content as Text[])[0]?.text).toContain('Over HTTP');
      const wrote = await sdk.callTool({ name: 'write', arguments: { path: 'out.txt', content: 'via mcp\n' } });
      expect(wrote.isError).toBe(false);
      expect(await readFile(join(dir, 'out.txt'), 'utf8')).toBe('via mcp\n');
      const ran = await sdk.callTool({ name: 'bash', arguments: { command: 'echo ran' } });
      expect((ran.content as Text[]).map((part) => part.text).join('')).toContain('ran');
    } finally {
      await sdk.close();
    }
  });

  test('without the token there is no MCP either', async () => {
    const { client: sdk, transport } = client('wrong-token-0123456789');
    await expect(sdk.connect(transport)).rejects.toThrow(/Missing or wrong bearer token/);
  });
});
