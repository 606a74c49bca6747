import { describe, expect, test } from 'vitest';
import type { AgentToolResult } from '../../src/agent/types.js';
import { type BashToolDetails, createBashTool } from '../../src/tools/bash-tool.js';
import { createCodingTools } from '../../src/tools/coding-tools.js';
import { MemoryWorkspace } from '../../src/tools/memory-workspace.js';
import type { ExecOptions, ExecResult } from '../../src/tools/types.js';
import { runTool, textOf, validationError } from './run-tool.js';

type FakeShell = (command: string, options: ExecOptions) => Promise<ExecResult>;

function workspaceWith(exec: FakeShell): MemoryWorkspace {
  return new MemoryWorkspace({}, { exec });
}

const ok = (output: string): ExecResult => ({ exitCode: 0, output, timedOut: false });

describe('bash tool', () => {
  test('runs the command and returns its output', async () => {
    const seen: { command: string; options: ExecOptions }[] = [];
    const tool = createBashTool(
      workspaceWith(async (command, options) => {
        seen.push({ command, options });
        return ok('hello\n');
      }),
    );
    const result = await runTool(tool, { command: 'echo hello' });
    expect(textOf(result)).toBe('hello');
    expect(result.isError).toBe(false);
    expect(result.details).toEqual({ exitCode: 0, timedOut: false, aborted: false, truncated: false });
    expect(seen).toHaveLength(1);
    expect(seen[0]?.command).toBe('echo hello');
    expect(seen[0]?.options.timeoutMs).toBe(120_000);
    expect(typeof seen[0]?.options.onOutput).toBe('function');
  });

  test('passes the timeout in milliseconds and the abort signal through', async () => {
    let received: ExecOptions | undefined;
    const tool = createBashTool(
      workspaceWith(async (_command, options) => {
        received = options;
        return ok('');
      }),
    );
    const controller = new AbortController();
    const result = await runTool(tool, { command: 'true', timeout: 2.5 }, { signal: controller.signal });
    expect(received?.timeoutMs).toBe(2500);
    expect(received?.signal).toBe(controller.signal);
    expect(textOf(result)).toBe('(no output)');
  });

  test('a timeout beyond the timer range is refused, never passed on to kill at once', async () => {
    const seen: ExecOptions[] = [];
    const tool = createBashTool(
      workspaceWith(async (_command, options) => {
        seen.push(options);
        return ok('');
      }),
    );
    // 2^31-1 ms is about 24.8 days; timers past it fire after 1 ms.
    expect(await validationError(tool, { command: 'x', timeout: 30 * 24 * 3600 })).toContain('timeout');
    await runTool(tool, { command: 'x', timeout: 2_147_483 });
    expect(seen.map((options) => options.timeoutMs)).toEqual([2_147_483_000]);
  });

  test('a default timeout beyond the timer range is clamped', async () => {
    let received: ExecOptions | undefined;
    const tool = createBashTool(
      workspaceWith(async (_command, options) => {
        received = options;
        return ok('');
      }),
      { defaultTimeoutSeconds: 30 * 24 * 3600 },
    );
    await runTool(tool, { command: 'x' });
    expect(received?.timeoutMs).toBe(2 ** 31 - 1);
  });

  test('streams output through onUpdate', async () => {
    const updates: string[] = [];
    const tool = createBashTool(
      workspaceWith(async (_command, { onOutput }) => {
        onOutput?.('one\n');
        onOutput?.('two\n');
        return ok('one\ntwo\n');
      }),
      { updateIntervalMs: 0 },
    );
    const result = await runTool(
      tool,
      { command: 'x' },
      {
        onUpdate: (partial: AgentToolResult<BashToolDetails>) => updates.push(textOf(partial)),
      },
    );
    expect(updates).toEqual(['one\n', 'one\ntwo\n']);
    expect(textOf(result)).toBe('one\ntwo');
  });

  test('throttles updates but always sends the first', async () => {
    const updates: string[] = [];
    const tool = createBashTool(
      workspaceWith(async (_command, { onOutput }) => {
        for (let i = 0; i < 50; i++) onOutput?.(`${i}\n`);
        return ok('');
      }),
      { updateIntervalMs: 60_000 },
    );
    await runTool(tool, { command: 'x' }, { onUpdate: (partial) => updates.push(textOf(partial)) });
    expect(updates).toEqual(['0\n']);
  });

  test('non-zero exit is an error result with the exit code', async () => {
    const tool = createBashTool(workspaceWith(async () => ({ exitCode: 2, output: 'boom\n', timedOut: false })));
    const result = await runTool(tool, { command: 'false' });
    expect(textOf(result)).toBe('boom\n\nexit code 2');
    expect(result.isError).toBe(true);
    expect(result.details?.exitCode).toBe(2);
  });

  test('a timeout is an error result that says so', async () => {
    const tool = createBashTool(workspaceWith(async () => ({ exitCode: null, output: 'partial\n', timedOut: true })));
    const result = await runTool(tool, { command: 'sleep 10', timeout: 1 });
    expect(textOf(result)).toBe('partial\n\nCommand timed out after 1 seconds');
    expect(result.isError).toBe(true);
    expect(result.details).toMatchObject({ timedOut: true, exitCode: null });
  });

  test('an abort during the command is reported', async () => {
    const controller = new AbortController();
    const tool = createBashTool(
      workspaceWith(async (_command, { signal }) => {
        controller.abort();
        expect(signal?.aborted).toBe(true);
        return { exitCode: null, output: '', timedOut: false };
      }),
    );
    const result = await runTool(tool, { command: 'sleep 10' }, { signal: controller.signal });
    expect(textOf(result)).toBe('(no output)\n\nCommand aborted');
    expect(result.isError).toBe(true);
    expect(result.details?.aborted).toBe(true);
  });

  test('keeps the tail of long output with a note', async () => {
    const output = `${Array.from({ length: 3000 }, (_, i) => `line ${i + 1}`).join('\n')}\n`;
    const tool = createBashTool(workspaceWith(async () => ok(output)));
    const result = await runTool(tool, { command: 'seq' });
    const lines = textOf(result).split('\n');
    expect(lines[0]).toBe('line 1001');
    expect(lines[1999]).toBe('line 3000');
    expect(lines.at(-1)).toBe('[Output truncated: showing the last 2000 of 3000 lines (28.2 KB in all).]');
    expect(result.details?.truncated).toBe(true);
  });

  test('byte limit keeps the end of an enormous line', async () => {
    const tool = createBashTool(
      workspaceWith(async () => ok(`${'a'.repeat(100)}END`)),
      { maxBytes: 10 },
    );
    const result = await runTool(tool, { command: 'x' });
    expect(textOf(result)).toBe(
      'aaaaaaaEND\n\n[Output truncated: showing the end of the last line (103 bytes in all).]',
    );
  });

  test('a backend that dropped output says so', async () => {
    const tool = createBashTool(
      workspaceWith(async () => ({ exitCode: 0, output: 'tail only', timedOut: false, truncated: true })),
    );
    const result = await runTool(tool, { command: 'x' });
    expect(textOf(result)).toBe('tail only\n\n[Output truncated: earlier output was dropped.]');
    expect(result.details?.truncated).toBe(true);
  });

  test('refuses to run without exec', async () => {
    await expect(runTool(createBashTool(new MemoryWorkspace()), { command: 'ls' })).rejects.toThrow(
      'This workspace cannot run commands',
    );
  });
});

describe('createCodingTools', () => {
  test('all tools, with bash only when the workspace has exec', () => {
    expect(createCodingTools(new MemoryWorkspace()).map((tool) => tool.name)).toEqual([
      'read',
      'write',
      'edit',
      'ls',
      'find',
      'grep',
    ]);
    const withShell = workspaceWith(async () => ok(''));
    expect(createCodingTools(withShell).map((tool) => tool.name)).toEqual([
      'read',
      'write',
      'edit',
      'ls',
      'find',
      'grep',
      'bash',
    ]);
  });

  test('a chosen subset, and options reach the tools', async () => {
    const ws = new MemoryWorkspace({ 'f.txt': 'a\nb\nc\n' });
    const tools = createCodingTools(ws, { tools: ['read', 'bash'], read: { maxLines: 1 } });
    expect(tools.map((tool) => tool.name)).toEqual(['read']);
    const read = tools[0];
    if (!read) throw new Error('no read tool');
    expect(textOf(await runTool(read, { path: 'f.txt' }))).toBe(
      'a\n\n[Showing lines 1-1 of 3. Use offset=2 to continue.]',
    );
  });

  test('tools describe their parameters as JSON Schema', () => {
    const tools = createCodingTools(workspaceWith(async () => ok('')));
    const read = tools.find((tool) => tool.name === 'read');
    expect(read?.parameters).toMatchObject({
      type: 'object',
      required: ['path'],
      properties: { path: { type: 'string' }, offset: { type: 'integer' }, limit: { type: 'integer' } },
    });
    for (const tool of tools) {
      expect(tool.description.length).toBeGreaterThan(20);
      expect(tool.parameters).not.toHaveProperty('$schema');
    }
  });
});
