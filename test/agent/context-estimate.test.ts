/**
 * The token estimate against real counts: every recorded provider stream in
 * test/fixtures, replayed through its protocol, and the reply's estimate
 * compared with the output tokens the provider reported for it. Hidden
 * reasoning (tokens billed as output but not streamed) is taken out of the
 * provider's count, from the usage fields each recording carries. Measured:
 * 0.95× the counted tokens over the 12 replies together, 0.64× (Bedrock's
 * Claude) to 2.0× (a Gemini tool call) per reply. The estimate only covers
 * what came after the last reply, and the reserve absorbs its error.
 */
import { describe, expect, test } from 'vitest';
import { estimateMessageTokens } from '../../src/agent/context-estimate.js';
import type { AssistantMessage } from '../../src/ai/types.js';
import { sseEvent } from '../../testing/script.js';
import { bedrockEvent } from '../../testing/wire/bedrock-converse-stream.js';
import { anthropicClearThinking, anthropicJsonTool, anthropicText } from '../fixtures/anthropic-recorded.js';
import { bedrockReasoning, bedrockText, bedrockToolCall } from '../fixtures/bedrock-recorded.js';
import { googleText, googleToolCall } from '../fixtures/google-recorded.js';
import { alibabaToolCall, azureModelRouter, xaiToolCall } from '../fixtures/openai-recorded.js';
import { azureText, azureToolCall } from '../fixtures/openai-responses-recorded.js';
import { mockSession } from '../support/mock.js';
import { type Protocol, protocols, toBase64 } from '../support/protocols.js';

const protocol = (name: string) => protocols.find((p) => p.name === name) as Protocol;

const sse = (lines: readonly string[], named: boolean) =>
  lines.map((line) => (named ? sseEvent(line, (JSON.parse(line) as { type: string }).type) : sseEvent(line)));
const frames = (lines: readonly string[]) =>
  lines.map((line) => {
    const [entry] = Object.entries(JSON.parse(line) as Record<string, Record<string, unknown>>);
    if (!entry) throw new Error(`empty recorded line: ${line}`);
    return { base64: toBase64(bedrockEvent(entry[0], entry[1], false)) };
  });

/** `hidden`: reasoning tokens the recording bills as output but never streams (its usage says how many). */
const recordings = [
  { name: 'anthropic text', api: 'anthropic-messages', events: sse(anthropicText, true), hidden: 0 },
  // Claude 4 models bill the whole thinking but stream a summary of it: how much is hidden is not reported.
  { name: 'anthropic thinking', api: 'anthropic-messages', events: sse(anthropicClearThinking, true), hidden: NaN },
  { name: 'anthropic tool call', api: 'anthropic-messages', events: sse(anthropicJsonTool, true), hidden: 0 },
  { name: 'qwen tool call', api: 'openai-completions', events: sse(alibabaToolCall, false), hidden: 0 },
  // completion_tokens_details.reasoning_tokens
  { name: 'grok tool call', api: 'openai-completions', events: sse(xaiToolCall, false), hidden: 196 },
  { name: 'azure model router', api: 'openai-completions', events: sse(azureModelRouter, false), hidden: 64 },
  { name: 'responses text', api: 'openai-responses', events: sse(azureText, true), hidden: 0 },
  { name: 'responses tool call', api: 'openai-responses', events: sse(azureToolCall, true), hidden: 0 },
  // usageMetadata.thoughtsTokenCount: thoughts are counted but not sent.
  { name: 'gemini text', api: 'google-generative-ai', events: sse(googleText, false), hidden: 185 },
  { name: 'gemini tool call', api: 'google-generative-ai', events: sse(googleToolCall, false), hidden: 45 },
  { name: 'bedrock text', api: 'bedrock-converse-stream', events: frames(bedrockText), hidden: 0 },
  { name: 'bedrock reasoning', api: 'bedrock-converse-stream', events: frames(bedrockReasoning), hidden: 0 },
  { name: 'bedrock tool call', api: 'bedrock-converse-stream', events: frames(bedrockToolCall), hidden: 0 },
];

async function replay(api: string, events: (string | { base64: string })[]): Promise<AssistantMessage> {
  const p = protocol(api);
  const contentType = api === 'bedrock-converse-stream' ? 'application/vnd.amazon.eventstream' : undefined;
  const session = await mockSession({
    turns: [contentType ? { type: 'raw', events, contentType } : { type: 'raw', events }],
  });
  const message = await p
    .fn(p.model(session.baseUrl), { messages: [{ role: 'user', content: 'hi', timestamp: 1 }] }, p.auth)
    .result();
  await session.close();
  return message;
}

describe('the token estimate against the providers’ own counts', () => {
  test('each recorded reply is estimated within 0.6× to 2.5× of its visible output tokens, and all of them together at 0.9× to 1.6×', async () => {
    let estimated = 0;
    let counted = 0;
    for (const recording of recordings) {
      const message = await replay(recording.api, recording.events);
      expect(message.stopReason, `${recording.name}: ${message.errorMessage}`).not.toBe('error');
      if (Number.isNaN(recording.hidden)) continue;
      const estimate = estimateMessageTokens(message);
      const visible = message.usage.output - recording.hidden;
      expect(visible, recording.name).toBeGreaterThan(0);
      const ratio = estimate / visible;
      expect(ratio, `${recording.name}: ${estimate} estimated, ${visible} counted`).toBeGreaterThanOrEqual(0.6);
      expect(ratio, `${recording.name}: ${estimate} estimated, ${visible} counted`).toBeLessThanOrEqual(2.5);
      estimated += estimate;
      counted += visible;
    }
    expect(estimated / counted).toBeGreaterThanOrEqual(0.9);
    expect(estimated / counted).toBeLessThanOrEqual(1.6);
  });
});
