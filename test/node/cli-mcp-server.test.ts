/**
 * `qcore mcp` against the official MCP SDK's client over stdio: the coding
 * tools on a directory, listed and called as any MCP client would.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { afterAll, describe, expect, test } from 'vitest';
import { NODE_ARGS, removeTempProjects, tempProject } from './cli-support/run-cli.js';

afterAll(() => removeTempProjects());

async function connect(args: string[]) {
  const project = tempProject({ 'README.md': '# Served\nover MCP\n', 'src/a.ts': 'export const a = 1;\n' });
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: [...NODE_ARGS, 'mcp', '--cwd', project.dir, ...args],
    env: { PATH: process.env.PATH ?? '', QCORE_HOME: project.home },
    stderr: 'pipe',
  });
  const client = new Client({ name: 'sdk-test', version: '1.0.0' });
  await client.connect(transport);
  return { client, project };
}

type Text = { type: string; text?: string };

describe('qcore mcp, driven by the official SDK client', { timeout: 30_000 }, () => {
  test('lists the coding tools with their JSON Schemas, and calls them in the directory', async () => {
    const { client, project } = await connect([]);
    try {
      const { tools } = await client.listTools();
      expect(tools.map((tool) => tool.name).sort()).toEqual(['bash', 'edit', 'find', 'grep', 'ls', 'read', 'write']);
      const read = tools.find((tool) => tool.name === 'read');
      expect(read?.inputSchema).toMatchObject({ type: 'object', required: ['path'] });

      const readme = await client.callTool({ name: 'read', arguments: { path: 'README.md' } });
      expect(readme.isError).toBe(false);
      expect((readme.content as Text[])[0]?.text).toContain('over MCP');

      const wrote = await client.callTool({ name: 'write', arguments: { path: 'notes/x.md', content: 'hi\n' } });
      expect(wrote.isError).toBe(false);
      expect(readFileSync(join(project.dir, 'notes/x.md'), 'utf8')).toBe('hi\n');

      const outside = await client.callTool({ name: 'read', arguments: { path: '../../etc/passwd' } });
      expect(outside.isError).toBe(true);
      const bad = await client.callTool({ name: 'read', arguments: { offset: 'x' } });
      expect(bad.isError).toBe(true);
      expect((bad.content as Text[])[0]?.text).toMatch(/path/);
    } finally {
      await client.close();
    }
  });

  test('--tools limits what is offered; an unknown tool is a protocol error', async () => {
    const { client } = await connect(['--tools', 'read,ls']);
    try {
      const { tools } = await client.listTools();
      expect(tools.map((tool) => tool.name).sort()).toEqual(['ls', 'read']);
      await expect(client.callTool({ name: 'bash', arguments: { command: 'id' } })).rejects.toThrow(/unknown tool/);
    } finally {
      await client.close();
    }
  });
});
