/**
 * Reading the Anthropic Messages requests the mock server recorded, and
 * writing the replies it sends back.
 */
import type { MockBlock, MockReply, MockRequest } from '../../../testing/script.js';

export interface WireBlock {
  type: string;
  text?: string;
  id?: string;
  name?: string;
  input?: Record<string, unknown>;
  tool_use_id?: string;
  content?: string | WireBlock[];
  is_error?: boolean;
}

export interface WireMessage {
  role: 'user' | 'assistant';
  content: string | WireBlock[];
}

export interface WireBody {
  model: string;
  system?: { type: 'text'; text: string }[];
  messages: WireMessage[];
  tools?: { name: string }[];
  thinking?: { type: string; budget_tokens: number };
}

export function body(request: MockRequest | undefined): WireBody {
  if (!request) throw new Error('no such request');
  return request.body as WireBody;
}

export function systemPrompt(request: MockRequest | undefined): string {
  return (body(request).system ?? []).map((block) => block.text).join('\n');
}

/** Every text in a request's conversation: prompts, replies and tool results. */
export function conversationText(request: MockRequest | undefined): string {
  return body(request)
    .messages.map((message) => blocksText(message.content))
    .join('\n');
}

/** The tool results in a request, by the name of the tool that was called. */
export function toolResults(request: MockRequest | undefined): { name: string; text: string; isError: boolean }[] {
  const names = new Map<string, string>();
  const results: { name: string; text: string; isError: boolean }[] = [];
  for (const message of body(request).messages) {
    if (typeof message.content === 'string') continue;
    for (const block of message.content) {
      if (block.type === 'tool_use' && block.id && block.name) names.set(block.id, block.name);
      if (block.type === 'tool_result') {
        results.push({
          name: names.get(block.tool_use_id ?? '') ?? '?',
          text: blocksText(block.content ?? ''),
          isError: block.is_error === true,
        });
      }
    }
  }
  return results;
}

function blocksText(content: string | WireBlock[]): string {
  if (typeof content === 'string') return content;
  return content
    .map((block) => {
      if (block.type === 'tool_use') return JSON.stringify(block.input);
      if (block.type === 'tool_result') return blocksText(block.content ?? '');
      return block.text ?? '';
    })
    .join('\n');
}

export function textReply(text: string, usage = { input: 100, output: 20 }): MockReply {
  return { content: [{ type: 'text', text }], usage };
}

export function toolReply(...calls: { name: string; arguments: Record<string, unknown> }[]): MockReply {
  const content: MockBlock[] = calls.map((call, index) => ({
    type: 'toolCall',
    id: `toolu_${call.name}_${index}`,
    name: call.name,
    arguments: call.arguments,
  }));
  return { content, stopReason: 'toolUse', usage: { input: 100, output: 30 } };
}
