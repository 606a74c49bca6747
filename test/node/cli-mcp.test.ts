/**
 * `mcpServers` in the CLI: servers started in parallel, a failing one
 * reported once while the others work, their tools offered to the model
 * (asking like any other tool unless a rule allows them), `/mcp`.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import xterm from '@xterm/headless';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { type MockServer, startMockServer } from '../../testing/mock-server.js';
import type { MockRequest } from '../../testing/script.js';
import { type PtySession, startInPty } from './cli-support/pty.js';
import { type Project, removeTempProjects, runCli, tempProject } from './cli-support/run-cli.js';
import { PTY_COLUMNS, PTY_ROWS, screenOf } from './cli-support/screen.js';
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

/** Starts the CLI in a terminal that goes away with the test, so a failure never leaves it waiting. */
function startTerminal(
  context: { onTestFinished(fn: () => void): void },
  project: Project,
  args: string[],
): PtySession {
  const pty = startInPty(project, args);
  context.onTestFinished(() => pty.kill());
  return pty;
}

/** Fails the test with the screen, rather than hanging, when the CLI does not exit. */
async function exitCode(pty: PtySession): Promise<number | null> {
  const timer = setTimeout(() => pty.kill(), 15_000);
  try {
    return await pty.exit;
  } finally {
    clearTimeout(timer);
  }
}

const PROMPT = '› ';

/**
 * The screen's lines as written, each row the terminal wrapped joined back to the one before it
 * (a long command path wraps at the pty's 120 columns wherever it is installed).
 */
async function writtenLines(raw: string): Promise<string[]> {
  const terminal = new xterm.Terminal({
    cols: PTY_COLUMNS,
    rows: PTY_ROWS,
    scrollback: 10_000,
    allowProposedApi: true,
  });
  await new Promise<void>((resolve) => terminal.write(raw, resolve));
  const buffer = terminal.buffer.active;
  const lines: string[] = [];
  for (let y = 0; y < buffer.length; y++) {
    const row = buffer.getLine(y);
    const text = row?.translateToString(true) ?? '';
    if (row?.isWrapped && lines.length > 0) lines[lines.length - 1] += text;
    else lines.push(text);
  }
  terminal.dispose();
  return lines;
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

  test('/mcp in a terminal: the working server connected with its tools, the other failed with why, reported once', async (context) => {
    const session = mock.session({ turns: [] });
    const project = tempProject({}, { ANTHROPIC_API_KEY: 'k' });
    writeConfig(project, {});
    const pty = startTerminal(context, project, ['--base-url', session.baseUrl]);
    // Both servers are started (or not) before the first prompt; a loaded machine may take a while.
    let at = await pty.waitFor(PROMPT, 0, 40_000);
    pty.type('/mcp\r');
    at = await pty.waitFor('broken · failed', at);
    at = await pty.waitFor('ENOENT', at);
    await pty.waitFor(PROMPT, at);

    const screen = await screenOf(pty.raw());
    const { text } = screen;
    const lines = await writtenLines(pty.raw());
    const listing = lines.slice(lines.indexOf(`${PROMPT}/mcp`) + 1);
    const connected = listing.findIndex((line) => line.startsWith('everything · connected · '));
    const failed = listing.indexOf('broken · failed · qcore-no-such-server-command');
    expect(connected, text).toBe(0);
    expect(listing[connected], text).toContain(everything);
    expect(failed, text).toBeGreaterThan(connected + 1);
    // Its tools under it, one a line, each whole on a row of the screen.
    const tools = listing.slice(connected + 1, failed);
    expect(tools, text).toContain('  mcp__everything__echo');
    for (const line of tools) {
      expect(line, text).toMatch(/^ {2}mcp__everything__[\w-]+$/);
      expect(screen.lines, text).toContain(line);
    }
    // Why the other failed, under it; then the prompt again.
    expect(listing[failed + 1], text).toMatch(/^ {2}\S.*could not start: .*ENOENT$/);
    expect(listing[failed + 2]?.trimEnd(), text).toBe(PROMPT.trimEnd());

    // The failure was reported once, at start-up (before the banner), and not again by /mcp.
    const warnings = lines.filter((line) => line.includes('MCP server "broken" did not start'));
    expect(warnings, text).toHaveLength(1);
    expect(lines.indexOf(warnings[0] as string), text).toBeLessThan(
      lines.findIndex((line) => line.startsWith('qcore ')),
    );

    pty.type('\x04');
    expect(await exitCode(pty)).toBe(0);
    expect(session.requests).toHaveLength(0);
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
