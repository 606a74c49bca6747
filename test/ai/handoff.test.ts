import { describe, expect, test } from 'vitest';
import { complete } from '../../src/ai/stream.js';
import type { Context, Model } from '../../src/ai/types.js';
import { mockSession } from '../support/mock.js';

const cost = { input: 1, output: 2, cacheRead: 0.1, cacheWrite: 1.25 };

function claude(baseUrl: string): Model {
  return {
    id: 'claude-handoff',
    name: 'Claude',
    api: 'anthropic-messages',
    provider: 'anthropic',
    baseUrl,
    reasoning: true,
    input: ['text', 'image'],
    cost,
    contextWindow: 200_000,
    maxTokens: 8_192,
  };
}

function kimi(baseUrl: string): Model {
  return {
    id: 'kimi-handoff',
    name: 'Kimi',
    api: 'openai-completions',
    provider: 'kimi',
    baseUrl: `${baseUrl}/v1`,
    reasoning: true,
    input: ['text'],
    cost,
    contextWindow: 256_000,
    maxTokens: 8_192,
    compat: { maxTokensField: 'max_tokens', sendReasoningContent: true, thinkingFormat: 'none' },
  };
}

const options = { apiKey: 'sk-handoff-secret' };

type Json = Record<string, unknown>;

describe('handoff between providers', () => {
  test('Claude → Kimi → Claude: thinking becomes text, ids stay paired, provider data stays home', async () => {
    const longId = `toolu_${'x'.repeat(50)}`; // fine for Anthropic (64), too long for OpenAI (40)
    const session = await mockSession({
      turns: [
        {
          content: [
            { type: 'thinking', thinking: 'I should list files.', signature: 'sig-claude-1' },
            { type: 'toolCall', id: longId, name: 'ls', arguments: { path: '.' } },
          ],
          stopReason: 'toolUse',
        },
        {
          variant: 'kimi',
          content: [
            { type: 'thinking', thinking: 'Two files.' },
            { type: 'toolCall', id: 'call_k1', name: 'read', arguments: { path: 'a.txt' } },
          ],
          stopReason: 'toolUse',
        },
        { content: [{ type: 'text', text: 'Done.' }] },
      ],
    });
    const context: Context = {
      systemPrompt: 'You are a coding agent.',
      messages: [{ role: 'user', content: 'What is here?', timestamp: 1 }],
      tools: [
        { name: 'ls', description: 'List', parameters: { type: 'object', properties: { path: { type: 'string' } } } },
        { name: 'read', description: 'Read', parameters: { type: 'object', properties: { path: { type: 'string' } } } },
      ],
    };

    const first = await complete(claude(session.baseUrl), context, options);
    expect(first.stopReason).toBe('toolUse');
    context.messages.push(first, {
      role: 'toolResult',
      toolCallId: longId,
      toolName: 'ls',
      content: [{ type: 'text', text: 'a.txt b.txt' }],
      isError: false,
      timestamp: 2,
    });

    const second = await complete(kimi(session.baseUrl), context, options);
    expect(second.stopReason).toBe('toolUse');
    context.messages.push(second, {
      role: 'toolResult',
      toolCallId: 'call_k1',
      toolName: 'read',
      content: [{ type: 'text', text: 'hello' }],
      isError: false,
      timestamp: 3,
    });

    const third = await complete(claude(session.baseUrl), context, options);
    expect(third.content).toEqual([{ type: 'text', text: 'Done.' }]);

    const requests = await session.requests();
    expect(requests).toHaveLength(3);

    // To Kimi: Claude's thinking is plain text, the long id is shortened the same way twice.
    const kimiMessages = (requests[1]!.body as { messages: Json[] }).messages;
    const kimiAssistant = kimiMessages.find((m) => m.role === 'assistant') as Json;
    const kimiTool = kimiMessages.find((m) => m.role === 'tool') as Json;
    expect(JSON.stringify(kimiAssistant)).toContain('I should list files.');
    expect(JSON.stringify(kimiAssistant)).not.toContain('sig-claude-1');
    const calls = kimiAssistant.tool_calls as { id: string }[];
    expect(calls[0]?.id.length).toBeLessThanOrEqual(40);
    expect(kimiTool.tool_call_id).toBe(calls[0]?.id);

    // Back to Claude: its own thinking keeps the signature; Kimi's thinking is text.
    const claudeMessages = (requests[2]!.body as { messages: { role: string; content: Json[] | string }[] }).messages;
    const blocks = claudeMessages.flatMap((m) => (Array.isArray(m.content) ? m.content : []));
    expect(blocks).toContainEqual(expect.objectContaining({ type: 'thinking', signature: 'sig-claude-1' }));
    expect(blocks.some((b) => b.type === 'text' && b.text === 'Two files.')).toBe(true);
    const toolUses = blocks.filter((b) => b.type === 'tool_use');
    const toolResults = blocks.filter((b) => b.type === 'tool_result');
    expect(toolUses.map((b) => b.id)).toEqual(toolResults.map((b) => b.tool_use_id));
    expect(toolUses.map((b) => b.id)).toEqual([longId, 'call_k1']);
  });

  test('an aborted turn and an orphaned tool call do not break the next provider', async () => {
    const session = await mockSession({ turns: [{ variant: 'openai', content: [{ type: 'text', text: 'ok' }] }] });
    const context: Context = {
      messages: [
        { role: 'user', content: 'go', timestamp: 1 },
        {
          role: 'assistant',
          content: [{ type: 'toolCall', id: 'toolu_orphan', name: 'ls', arguments: {} }],
          api: 'anthropic-messages',
          provider: 'anthropic',
          model: 'claude-handoff',
          usage: {
            input: 0,
            output: 0,
            cacheRead: 0,
            cacheWrite: 0,
            totalTokens: 0,
            cost: { input: 0, output: 0, cacheRead: 0, cacheWrite: 0, total: 0 },
          },
          stopReason: 'toolUse',
          timestamp: 2,
        },
        {
          role: 'assistant',
          content: [{ type: 'text', text: 'half a sent' }],
          api: 'anthropic-messages',
          provider: 'anthropic',
          model: 'claude-handoff',
          usage: {
            input: 0,
            output: 0,
            cacheRead: 0,
            cacheWrite: 0,
            totalTokens: 0,
            cost: { input: 0, output: 0, cacheRead: 0, cacheWrite: 0, total: 0 },
          },
          stopReason: 'aborted',
          timestamp: 3,
        },
        { role: 'user', content: 'again', timestamp: 4 },
      ],
    };
    const message = await complete(kimi(session.baseUrl), context, options);
    expect(message.stopReason).toBe('stop');
    const sent = ((await session.requests())[0]!.body as { messages: Json[] }).messages;
    expect(sent.map((m) => m.role)).toEqual(['user', 'assistant', 'tool', 'user']);
    expect(sent[2]?.tool_call_id).toBe('toolu_orphan');
    expect(JSON.stringify(sent)).not.toContain('half a sent');
  });
});
