/**
 * Token estimates for what the provider has not counted yet: the messages
 * after the last reply, or a history that has no reply. A character rule,
 * not a tokenizer: tokenizers differ by provider and would cost a download
 * and time per message. Checked against real usage in the recorded streams
 * (`test/agent/context-estimate.test.ts`).
 */
import type { Tool } from '../ai/types.js';
import type { AgentMessage } from './types.js';

/** Characters per token: English prose runs near 4, code nearer 3.5. */
const CHARS_PER_TOKEN = 3.5;
/**
 * Role markers, separators and end-of-turn tokens each message costs; a tool
 * call adds its framing (Anthropic bills a short call at 45 to 50 output
 * tokens, of which its name and arguments are about 10).
 */
const MESSAGE_OVERHEAD = 8;
const TOOL_CALL_OVERHEAD = 12;
/**
 * An image, whatever its size: Anthropic bills about width × height / 750
 * (about 1,600 at the 1.15-megapixel cap) and OpenAI 765 to 1,105 at high
 * detail; the estimate takes the top of that range.
 */
const IMAGE_TOKENS = 1_600;

export function estimateTextTokens(text: string): number {
  return Math.ceil(text.length / CHARS_PER_TOKEN);
}

type Part = { type: string; text?: string; thinking?: string; name?: string; arguments?: unknown };

function partsTokens(parts: readonly Part[]): number {
  let chars = 0;
  let images = 0;
  let calls = 0;
  for (const part of parts) {
    switch (part.type) {
      case 'text':
        chars += part.text?.length ?? 0;
        break;
      case 'thinking':
        chars += part.thinking?.length ?? 0;
        break;
      case 'toolCall':
        chars += (part.name?.length ?? 0) + JSON.stringify(part.arguments ?? {}).length;
        calls++;
        break;
      case 'image':
        images++;
        break;
    }
  }
  return Math.ceil(chars / CHARS_PER_TOKEN) + images * IMAGE_TOKENS + calls * TOOL_CALL_OVERHEAD;
}

/** One message, as the model will read it. Costs one pass over the message, so each message is estimated once. */
export function estimateMessageTokens(message: AgentMessage): number {
  switch (message.role) {
    case 'user':
      return (
        MESSAGE_OVERHEAD +
        (typeof message.content === 'string' ? estimateTextTokens(message.content) : partsTokens(message.content))
      );
    case 'assistant':
      return MESSAGE_OVERHEAD + partsTokens(message.content);
    case 'toolResult':
      return MESSAGE_OVERHEAD + estimateTextTokens(message.toolName) + partsTokens(message.content);
    case 'compactionSummary':
      return MESSAGE_OVERHEAD + estimateTextTokens(message.summary) + SUMMARY_FRAME_TOKENS;
    default:
      // A custom message: what convertToLlm makes of it is unknown, so count all of it.
      return MESSAGE_OVERHEAD + estimateTextTokens(JSON.stringify(message));
  }
}

/** The words around a summary when it is sent (`compactionSummaryText`). */
const SUMMARY_FRAME_TOKENS = 40;

/** What every request carries besides the messages. */
export function estimateFixedTokens(systemPrompt: string | undefined, tools: readonly Tool[] | undefined): number {
  let tokens = systemPrompt ? estimateTextTokens(systemPrompt) : 0;
  for (const tool of tools ?? []) {
    tokens += estimateTextTokens(tool.name) + estimateTextTokens(tool.description);
    tokens += estimateTextTokens(JSON.stringify(tool.parameters));
  }
  return tokens;
}
