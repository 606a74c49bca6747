import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { runPrintMode } from '../../adapters/node/cli/print-mode.js';
import { Agent } from '../../src/agent/agent.js';
import { AgentEventDecoder, AgentEventEncoder } from '../../src/agent/agent-event-wire.js';
import type { AgentEvent } from '../../src/agent/types.js';
import { type MockServer, startMockServer } from '../../testing/mock-server.js';
import { scriptedStream, testModel } from '../support/scripted-stream.js';
import { removeTempProjects, runCli, tempProject } from './cli-support/run-cli.js';
import { body, textReply } from './cli-support/wire.js';

let mock: MockServer;
beforeAll(async () => {
  mock = await startMockServer();
});
afterAll(async () => {
  await mock.close();
  removeTempProjects();
});

const KEY = 'sk-test-secret-key-123456';

/** A project whose CLI talks to a fresh mock session. */
function setup(turns: Parameters<MockServer['session']>[0] = { turns: [] }) {
  const session = mock.session(turns);
  const project = tempProject({ 'README.md': '# Demo\n' }, { ANTHROPIC_API_KEY: KEY });
  return { session, project, flags: ['--base-url', session.baseUrl] };
}

describe.concurrent('print mode', { timeout: 30_000 }, () => {
  test('-p prints only the final answer and exits 0', async () => {
    const { session, project, flags } = setup({
      turns: [
        {
          content: [
            { type: 'thinking', thinking: 'Let me think.' },
            { type: 'text', text: 'The answer is 42.' },
          ],
          usage: { input: 10, output: 5 },
        },
      ],
    });
    const result = await runCli(project, [...flags, '-p', 'What is the answer?']);
    expect(result.stderr).toBe('');
    expect(result.stdout).toBe('The answer is 42.\n');
    expect(result.code).toBe(0);
    expect(session.requests).toHaveLength(1);
    const request = body(session.requests[0]);
    expect(request.model).toBe('claude-sonnet-4-6');
    expect(JSON.stringify(request.messages)).toContain('What is the answer?');
    expect(session.requests[0]?.headers['x-api-key']).toBe(KEY);
    // The default thinking level is low: 2048 tokens on Anthropic.
    expect(request.thinking).toEqual({ type: 'enabled', budget_tokens: 2048 });
  });

  test('a prompt piped on stdin runs in print mode, with no escape codes at all', async () => {
    const { session, project, flags } = setup({ turns: [textReply('Piped fine.')] });
    const result = await runCli(project, [...flags, '--thinking', 'off'], { input: 'Summarise stdin please\n' });
    expect(result.code).toBe(0);
    expect(result.stdout).toBe('Piped fine.\n');
    expect(result.stdout + result.stderr).not.toContain('\x1b');
    expect(JSON.stringify(body(session.requests[0]).messages)).toContain('Summarise stdin please');
    expect(body(session.requests[0]).thinking).toBeUndefined();
  });

  test('--json prints one valid JSON event per line, in order', async () => {
    const { project, flags } = setup({ turns: [{ content: [{ type: 'text', text: 'Hello in JSON' }], deltaSize: 4 }] });
    const result = await runCli(project, [...flags, '--json', '-p', 'hi']);
    expect(result.code).toBe(0);
    const lines = result.stdout.trimEnd().split('\n');
    const events = lines.map(
      (line) => JSON.parse(line) as { type: string; stopReason?: string; messages?: { role: string }[] },
    );
    const types = events.map((event) => event.type).filter((type, i, all) => type !== all[i - 1]);
    expect(types).toEqual([
      'agent_start',
      'turn_start',
      'message_start',
      'message_end',
      'message_start',
      'message_update',
      'message_end',
      'turn_end',
      'agent_end',
    ]);
    expect(events.filter((event) => event.type === 'message_update').length).toBeGreaterThan(3);
    const end = events.at(-1);
    expect(end?.stopReason).toBe('stop');
    expect(end?.messages?.map((m) => m.role)).toEqual(['user', 'assistant']);
    expect(result.stdout).not.toContain(KEY);
  });

  test('--json grows linearly with the reply: 20 KB in 1-char deltas', async () => {
    const reply = 'abcdefghij'.repeat(2_000);
    const { project, flags } = setup({ turns: [{ content: [{ type: 'text', text: reply }], deltaSize: 1 }] });
    const result = await runCli(project, [...flags, '--thinking', 'off', '--json', '-p', 'hi']);
    expect(result.code).toBe(0);
    const lines = result.stdout.trimEnd().split('\n');
    const updates = lines.filter((line) => line.startsWith('{"type":"message_update"'));
    expect(updates.length).toBeGreaterThanOrEqual(reply.length);
    // A 1-char delta costs one line of fixed framing, about 100 bytes, whatever the reply's length.
    // The whole reply appears a few times more: in text_end, message_end, turn_end and agent_end.
    // Any line holding the partial reply would cost half the reply per delta: 200 MB here.
    const deltas = updates.filter((line) => line.includes('"type":"text_delta"'));
    expect(deltas).toHaveLength(reply.length);
    const framing = Math.max(...deltas.map((line) => line.length));
    expect(framing).toBeLessThan(200);
    expect(result.stdout.length).toBeLessThan(updates.length * 200 + 8 * reply.length);
    for (const line of lines) expect(line.length, line.slice(0, 80)).toBeLessThan(reply.length * 2);
    // The lines are the agent-event wire format, so its decoder rebuilds the run.
    const decoder = new AgentEventDecoder();
    let text = '';
    for (const line of lines) {
      const event = decoder.decode((JSON.parse(line) as { type: string }).type, line);
      if (event.type === 'message_end' && event.message.role === 'assistant') {
        const block = event.message.content[0];
        text = block?.type === 'text' ? block.text : '';
      }
    }
    expect(text).toBe(reply);
    // message_start shows the reply as it began, not as it ended.
    const starts = lines.filter((line) => line.startsWith('{"type":"message_start"'));
    expect(starts.at(-1)).not.toContain('abcdefghij');
  });

  test('a text reply cut by the token limit is printed, with a warning, exit 0', async () => {
    const { project, flags } = setup({
      turns: [{ content: [{ type: 'text', text: 'A long answ' }], stopReason: 'length' }],
    });
    const result = await runCli(project, [...flags, '-p', 'hi']);
    expect(result.stdout).toBe('A long answ\n');
    expect(result.stderr).toMatch(/^qcore: the reply hit the token limit \(maxTokens\)/);
    expect(result.code).toBe(0);
  });

  test('a tool call cut by the token limit exits 1 and says to raise maxTokens', async () => {
    const { project, flags } = setup({
      turns: [
        {
          content: [{ type: 'toolCall', id: 'toolu_1', name: 'read', arguments: '{"path":"READ' }],
          stopReason: 'length',
        },
      ],
    });
    const result = await runCli(project, [...flags, '-p', 'hi']);
    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(/token limit.*maxTokens/);
  });

  test('a provider error exits 1 with the message on stderr, and never shows the key', async () => {
    const error = { type: 'http' as const, status: 500 };
    const { project, flags } = setup({ turns: [error, error, error] });
    const result = await runCli(project, [...flags, '-p', 'hi']);
    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(/^qcore: .*500.*mock error 500/);
    expect(result.stderr).not.toContain(KEY);
    expect(result.stderr).not.toMatch(/^ {4}at /m);
  });

  test('an unknown flag is a usage error: exit 2 and a one-line hint', async () => {
    const { project } = setup();
    const result = await runCli(project, ['--modle', 'x', '-p', 'hi']);
    expect(result.code).toBe(2);
    expect(result.stderr).toBe('qcore: unknown option --modle (did you mean --model?) (see qcore --help)\n');
  });

  test('a bad --thinking level is a usage error', async () => {
    const { project } = setup();
    const result = await runCli(project, ['--thinking', 'extreme', '-p', 'hi']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('--thinking must be one of off, minimal, low, medium, high, got "extreme"');
  });

  test('an unknown tool in --tools and an empty piped prompt are usage errors', async () => {
    const { project } = setup();
    const tools = await runCli(project, ['--tools', 'read,grpe', '-p', 'hi']);
    expect(tools.code).toBe(2);
    expect(tools.stderr).toContain('unknown tool "grpe" in --tools (did you mean grep?)');
    const empty = await runCli(project, [], { input: '  \n' });
    expect(empty.code).toBe(2);
    expect(empty.stderr).toContain('the prompt on stdin is empty');
  });

  test('--tools limits the tools the model is offered', async () => {
    const { session, project, flags } = setup({ turns: [textReply('ok')] });
    const result = await runCli(project, [...flags, '--tools', 'read,grep', '-p', 'hi']);
    expect(result.code).toBe(0);
    expect(body(session.requests[0]).tools?.map((tool) => tool.name)).toEqual(['read', 'grep']);
  });
});

describe('print mode --json lines', () => {
  test('each line is the data payload the Worker sends for the same event', async () => {
    const streamFn = scriptedStream([
      { thinking: 'Hmm.', text: 'Let me look.', toolCalls: [{ id: 'c1', name: 'nope', args: { a: 1 } }] },
      { text: 'Done now.' },
    ]);
    const agent = new Agent({ model: testModel, streamFn });
    const encoder = new AgentEventEncoder();
    const expected: string[] = [];
    const events: AgentEvent[] = [];
    agent.subscribe((event) => {
      events.push(event);
      const sse = encoder.encode(event);
      expect(sse.startsWith(`event: ${event.type}\ndata: `)).toBe(true);
      expected.push(sse.slice(sse.indexOf('data: ') + 6, -2));
    });
    let out = '';
    const code = await runPrintMode({
      agent,
      prompt: 'hi',
      json: true,
      stdout: {
        write: (text: string) => {
          out += text;
          return true;
        },
      },
      stderr: { write: () => true },
      progress: undefined,
    });
    expect(code).toBe(0);
    const lines = out.trimEnd().split('\n');
    expect(lines).toEqual(expected);
    expect(lines).toHaveLength(events.length);
    expect(lines.map((line) => (JSON.parse(line) as { type: string }).type)).toEqual(events.map((e) => e.type));
  });
});
