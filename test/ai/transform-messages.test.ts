import { describe, expect, test } from 'vitest';
import { normalizeToolCallId, transformMessages } from '../../src/ai/transform-messages.js';
import type { AssistantMessage, Message, Model } from '../../src/ai/types.js';
import { emptyUsage } from '../../src/ai/usage.js';

const target: Model = {
  id: 'gpt-test',
  name: 'GPT test',
  api: 'openai-completions',
  provider: 'openai',
  baseUrl: 'http://127.0.0.1:1/v1',
  reasoning: true,
  input: ['text'],
  cost: { input: 1, output: 1, cacheRead: 0, cacheWrite: 0 },
  contextWindow: 100_000,
  maxTokens: 4_000,
};

function assistant(content: AssistantMessage['content'], extra: Partial<AssistantMessage> = {}): AssistantMessage {
  return {
    role: 'assistant',
    content,
    api: 'anthropic-messages',
    provider: 'anthropic',
    model: 'claude-test',
    usage: emptyUsage(),
    stopReason: 'toolUse',
    timestamp: 1,
    ...extra,
  };
}

describe('transformMessages', () => {
  test('thinking from another model becomes plain text; its provider data is dropped', () => {
    const messages: Message[] = [
      { role: 'user', content: 'hi', timestamp: 0 },
      assistant(
        [
          { type: 'thinking', thinking: 'let me think', providerData: { signature: 'sig' } },
          { type: 'thinking', thinking: '', redacted: true, providerData: { data: 'opaque' } },
          { type: 'text', text: 'hello', providerData: { id: 'x' } },
        ],
        { stopReason: 'stop' },
      ),
    ];
    const out = transformMessages(messages, target);
    expect((out[1] as AssistantMessage).content).toEqual([
      { type: 'text', text: 'let me think' },
      { type: 'text', text: 'hello' },
    ]);
  });

  test('the same model keeps thinking and provider data unchanged', () => {
    const same = assistant([{ type: 'thinking', thinking: 't', providerData: { signature: 's' } }], {
      api: target.api,
      provider: target.provider,
      model: target.id,
      stopReason: 'stop',
    });
    expect(transformMessages([same], target)[0]).toEqual(same);
  });

  test('errored and aborted turns are skipped with their tool results', () => {
    const messages: Message[] = [
      { role: 'user', content: 'a', timestamp: 0 },
      assistant([{ type: 'toolCall', id: 'dead', name: 'read', arguments: {} }], { stopReason: 'aborted' }),
      { role: 'toolResult', toolCallId: 'dead', toolName: 'read', content: [], isError: true, timestamp: 2 },
      assistant([{ type: 'text', text: 'partial' }], { stopReason: 'error', errorMessage: 'boom' }),
      { role: 'user', content: 'b', timestamp: 3 },
    ];
    const out = transformMessages(messages, target);
    expect(out.map((m) => m.role)).toEqual(['user', 'user']);
  });

  test('tool-call ids are normalised the same way in the call and its result', () => {
    const longId = `toolu_${'a'.repeat(30)}|fc_${'b'.repeat(30)}`;
    const messages: Message[] = [
      assistant([{ type: 'toolCall', id: longId, name: 'read', arguments: { path: 'x' } }]),
      {
        role: 'toolResult',
        toolCallId: longId,
        toolName: 'read',
        content: [{ type: 'text', text: 'ok' }],
        isError: false,
        timestamp: 2,
      },
    ];
    const out = transformMessages(messages, target, (id) => normalizeToolCallId(id, 40));
    const call = (out[0] as AssistantMessage).content[0];
    const result = out[1];
    expect(call?.type === 'toolCall' && call.id).toMatch(/^[A-Za-z0-9_-]{1,40}$/);
    expect(result?.role === 'toolResult' && result.toolCallId).toBe(call?.type === 'toolCall' && call.id);
  });

  test('a tool call without a result gets a synthetic error result before the next message', () => {
    const messages: Message[] = [
      assistant([
        { type: 'toolCall', id: 'a', name: 'read', arguments: {} },
        { type: 'toolCall', id: 'b', name: 'ls', arguments: {} },
      ]),
      { role: 'toolResult', toolCallId: 'a', toolName: 'read', content: [], isError: false, timestamp: 2 },
      { role: 'user', content: 'next', timestamp: 3 },
    ];
    const out = transformMessages(messages, target);
    expect(out.map((m) => m.role)).toEqual(['assistant', 'toolResult', 'toolResult', 'user']);
    const synthetic = out[2];
    expect(synthetic?.role === 'toolResult' && [synthetic.toolCallId, synthetic.isError]).toEqual(['b', true]);
  });

  test('the context stays plain JSON', () => {
    const messages: Message[] = [
      { role: 'user', content: [{ type: 'text', text: 'x' }], timestamp: 0 },
      assistant([{ type: 'toolCall', id: 'a', name: 'read', arguments: { n: 1 } }]),
    ];
    const roundTripped = JSON.parse(JSON.stringify(messages)) as Message[];
    expect(transformMessages(roundTripped, target)).toEqual(transformMessages(messages, target));
  });
});

describe('normalizeToolCallId', () => {
  test('keeps valid ids, cleans invalid ones, and hashes long ones without collisions', () => {
    expect(normalizeToolCallId('call_abc-1', 40)).toBe('call_abc-1');
    expect(normalizeToolCallId('a.b|c', 40)).toBe('a_b_c');
    const a = normalizeToolCallId(`${'x'.repeat(50)}1`, 40);
    const b = normalizeToolCallId(`${'x'.repeat(50)}2`, 40);
    expect(a).toHaveLength(40);
    expect(a).not.toBe(b);
  });
});
