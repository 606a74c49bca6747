/**
 * qcore's MCP client against a server built on the official SDK (Streamable
 * HTTP on loopback, started by the global setup), the same in Node,
 * Chromium and workerd: list, call, images, errors, and an agent on the
 * mock model calling an MCP tool end to end.
 */
import { afterAll, beforeAll, describe, expect, inject, test } from 'vitest';
import { Agent } from '../../src/agent/agent.js';
import type { Model, ToolResultMessage } from '../../src/ai/types.js';
import { connectMcp, type McpClient } from '../../src/mcp/index.js';
import { mockSession } from '../support/mock.js';

let client: McpClient;
beforeAll(async () => {
  client = await connectMcp({ name: 'srv', url: inject('mcpUrl') });
});
afterAll(async () => {
  await client.close();
});

const tool = (name: string) => {
  const found = client.tools().find((t) => t.name === name);
  if (!found) throw new Error(`no ${name}`);
  return found;
};
const run = (name: string, args: Record<string, unknown>) =>
  tool(name).execute(args, { toolCallId: 'c1', signal: new AbortController().signal, onUpdate: () => {} });

describe('the MCP client over Streamable HTTP', () => {
  test('lists the server’s tools as mcp__srv__<tool>, with their schemas', () => {
    expect(
      client
        .tools()
        .map((t) => t.name)
        .sort(),
    ).toEqual(['mcp__srv__echo', 'mcp__srv__fail', 'mcp__srv__image']);
    expect(tool('mcp__srv__echo').parameters).toMatchObject({ type: 'object', required: ['text'] });
  });

  test('calls: text, an image, and a failure the model sees', async () => {
    expect((await run('mcp__srv__echo', { text: 'hi' })).content).toEqual([{ type: 'text', text: 'echo: hi' }]);
    const image = await run('mcp__srv__image', {});
    expect(image.content[0]).toMatchObject({ type: 'image', mimeType: 'image/png' });
    const failed = await run('mcp__srv__fail', {});
    expect(failed.isError).toBe(true);
    expect(failed.content).toEqual([{ type: 'text', text: 'it broke' }]);
  });

  test('an agent on the mock model calls an MCP tool and gets its result', async () => {
    const session = await mockSession({
      turns: [
        {
          content: [{ type: 'toolCall', id: 'toolu_1', name: 'mcp__srv__echo', arguments: { text: 'from the agent' } }],
          stopReason: 'toolUse',
        },
        { content: [{ type: 'text', text: 'The server echoed it.' }] },
      ],
    });
    const model: Model = {
      id: 'claude-mock',
      name: 'mock',
      api: 'anthropic-messages',
      provider: 'anthropic',
      baseUrl: session.baseUrl,
      reasoning: false,
      input: ['text'],
      cost: { input: 0, output: 0, cacheRead: 0, cacheWrite: 0 },
      contextWindow: 200_000,
      maxTokens: 1_000,
    };
    const agent = new Agent({ model, tools: client.tools(), streamOptions: { apiKey: 'k' } });
    const result = await agent.prompt('echo something');
    await session.close();
    expect(result.stopReason).toBe('stop');
    const toolResult = agent.state.messages.find((m): m is ToolResultMessage => m.role === 'toolResult');
    expect(toolResult).toMatchObject({ isError: false, content: [{ type: 'text', text: 'echo: from the agent' }] });
  });
});
