/**
 * `mcpServers` in the CLI: servers started in parallel, a failing one
 * reported once while the others work, their tools offered to the model
 * (asking like any other tool unless a rule allows them), `/mcp`.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { type MockServer, startMockServer } from '../../testing/mock-server.js';
import type { MockRequest } from '../../testing/script.js';
import { type Project, removeTempProjects, runCli, tempProject } from './cli-support/run-cli.js';
import { textReply, toolReply, toolResults } from './cli-support/wire.js';

const require = createRequire(import.meta.url);
const everything = join(require.resolve('@modelcontextprotocol/server-everything/package.json'), '..', 'dist/index.js');

let mock: MockServer;
beforeAll(async () => {
  mock = await startMockServer();
});
afterAll(async () => {
  await mock.close();
  removeTempProjects();
});

function writeConfig(project: Project, extra: Record<string, unknown>): void {
  mkdirSync(project.home, { recursive: true });
  writeFileSync(
    join(project.home, 'config.json'),
    JSON.stringify({
      mcpServers: {
        everything: { command: process.execPath, args: [everything, 'stdio'] },
        broken: { command: 'qcore-no-such-server-command' },
      },
      ...extra,
    }),
  );
}

const toolNames = (request: MockRequest | undefined) =>
  ((request?.body as { tools?: { name: string }[] } | undefined)?.tools ?? []).map((tool) => tool.name);

describe.concurrent('mcpServers', { timeout: 60_000 }, () => {
  test('the tools of every server that starts reach the model; a rule lets one run without a terminal', async () => {
    const session = mock.session({
      turns: [
        toolReply({ name: 'mcp__everything__echo', arguments: { message: 'from the model' } }),
        textReply('done'),
      ],
    });
    const project = tempProject({}, { ANTHROPIC_API_KEY: 'k' });
    writeConfig(project, { permissions: { allow: ['mcp__everything__echo'] } });
    const result = await runCli(project, ['--base-url', session.baseUrl, '-p', 'echo something']);
    expect(result.code).toBe(0);
    // The broken server is named once; the other one works.
    expect(result.stderr.match(/MCP server "broken" did not start/g)).toHaveLength(1);
    expect(toolNames(session.requests[0])).toEqual(expect.arrayContaining(['read', 'bash', 'mcp__everything__echo']));
    expect(toolResults(session.requests[1])[0]).toMatchObject({ isError: false });
    expect(toolResults(session.requests[1])[0]?.text).toContain('from the model');
  });

  test('without a rule, an MCP tool asks, so print mode refuses it and tells the model how to allow it', async () => {
    const session = mock.session({
      turns: [toolReply({ name: 'mcp__everything__echo', arguments: { message: 'x' } }), textReply('done')],
    });
    const project = tempProject({}, { ANTHROPIC_API_KEY: 'k' });
    writeConfig(project, {});
    expect((await runCli(project, ['--base-url', session.baseUrl, '-p', 'echo'])).code).toBe(0);
    const refused = toolResults(session.requests[1])[0];
    expect(refused?.isError).toBe(true);
    expect(refused?.text).toContain('mcp__everything__echo');
  });

  test('a bad server entry is a config error naming the server and the field', async () => {
    const project = tempProject({}, { ANTHROPIC_API_KEY: 'k' });
    mkdirSync(project.home, { recursive: true });
    writeFileSync(
      join(project.home, 'config.json'),
      JSON.stringify({ mcpServers: { remote: { type: 'http', url: 'ftp://example.com' }, local: { args: ['x'] } } }),
    );
    const result = await runCli(project, ['-p', 'hi']);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('mcpServers.remote.url');
    expect(result.stderr).toContain('mcpServers.local.command');
  });
});
