/**
 * Reads and checks the body a client POSTs to `createAgentHandler`. Every
 * refusal names what was wrong, so a client author can fix the request from
 * the 400 alone.
 */

import type { UserMessage } from '../../ai/types.js';
import type { AgentMessage } from '../types.js';

export type AgentRunInput = { kind: 'prompt'; message: UserMessage } | { kind: 'messages'; messages: AgentMessage[] };

export type Checked<T> = { ok: true; value: T } | { ok: false; status: 400 | 413; error: string };

export const DEFAULT_MAX_BODY_BYTES = 4 * 1024 * 1024;

/** The body as text, refused with 413 past `maxBytes` without reading the rest. */
export async function readBodyText(request: Request, maxBytes: number): Promise<Checked<string>> {
  const tooLarge = { ok: false, status: 413, error: `the request body is larger than ${maxBytes} bytes` } as const;
  const declared = Number(request.headers.get('content-length'));
  if (Number.isFinite(declared) && declared > maxBytes) return tooLarge;
  if (!request.body) return { ok: true, value: '' };
  const reader = request.body.getReader();
  const decoder = new TextDecoder();
  let size = 0;
  let text = '';
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > maxBytes) {
      void reader.cancel().catch(() => {});
      return tooLarge;
    }
    text += decoder.decode(value, { stream: true });
  }
  return { ok: true, value: text + decoder.decode() };
}

const USAGE = 'POST a JSON object with "prompt" (a string or a user message) or "messages" (a session\'s messages)';

/** `{ prompt }` or `{ messages }`, as `connectAgent` sends them. */
export function parseAgentRequest(text: string): Checked<AgentRunInput> {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch (error) {
    return bad(`the request body is not JSON (${error instanceof Error ? error.message : String(error)}): ${USAGE}`);
  }
  if (!isObject(body)) return bad(`the request body is not a JSON object: ${USAGE}`);
  const hasPrompt = body.prompt !== undefined;
  const hasMessages = body.messages !== undefined;
  if (hasPrompt === hasMessages) {
    return bad(
      hasPrompt ? 'send either "prompt" or "messages", not both' : `neither "prompt" nor "messages": ${USAGE}`,
    );
  }
  if (hasPrompt) {
    const message = toUserMessage(body.prompt);
    return typeof message === 'string' ? bad(`"prompt" ${message}`) : { ok: true, value: { kind: 'prompt', message } };
  }
  return checkMessages(body.messages);
}

function checkMessages(messages: unknown): Checked<AgentRunInput> {
  if (!Array.isArray(messages) || messages.length === 0) return bad('"messages" must be a non-empty array');
  for (const [index, message] of messages.entries()) {
    if (!isObject(message) || typeof message.role !== 'string') {
      return bad(`"messages[${index}]" is not a message: it needs a string "role"`);
    }
    if (message.role === 'user') {
      const problem = toUserMessage(message);
      if (typeof problem === 'string') return bad(`"messages[${index}]" ${problem}`);
    }
  }
  const last = messages[messages.length - 1] as { role: string; stopReason?: unknown };
  if (last.role === 'assistant' && (last.stopReason === 'stop' || last.stopReason === 'length')) {
    return bad('"messages" ends in a finished reply: add the new user message last');
  }
  return { ok: true, value: { kind: 'messages', messages: messages as AgentMessage[] } };
}

/** The prompt as a user message, or what is wrong with it. */
function toUserMessage(prompt: unknown): UserMessage | string {
  if (typeof prompt === 'string') {
    return prompt.trim() === '' ? 'is empty' : { role: 'user', content: prompt, timestamp: Date.now() };
  }
  if (!isObject(prompt) || prompt.role !== 'user') return 'must be a string or a message with role "user"';
  const content = prompt.content;
  const contentOk =
    typeof content === 'string' ||
    (Array.isArray(content) &&
      content.every(
        (part) =>
          isObject(part) &&
          ((part.type === 'text' && typeof part.text === 'string') ||
            (part.type === 'image' && typeof part.data === 'string' && typeof part.mimeType === 'string')),
      ));
  if (!contentOk) return 'needs "content": a string, or an array of text and image parts';
  if (prompt.timestamp !== undefined && typeof prompt.timestamp !== 'number')
    return 'has a "timestamp" that is not a number';
  const message: UserMessage = {
    role: 'user',
    content: content as UserMessage['content'],
    timestamp: typeof prompt.timestamp === 'number' ? prompt.timestamp : Date.now(),
  };
  return message;
}

function bad(error: string): { ok: false; status: 400; error: string } {
  return { ok: false, status: 400, error };
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
