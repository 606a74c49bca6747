import type { AssistantMessage, Message, Model, ToolCall, ToolResultMessage } from './types.js';

/**
 * Prepares a history for `model`, whatever produced it, so a conversation can
 * move between providers:
 * - errored and aborted assistant turns are dropped, with their tool results;
 * - thinking from another model becomes plain text, and opaque provider data
 *   from another model is removed;
 * - tool-call ids are rewritten into a form the target accepts, the same way
 *   in the call and in its result;
 * - a tool call with no result gets a synthetic error result.
 */
export function transformMessages(
  messages: readonly Message[],
  model: Model,
  normalizeId: (id: string) => string = (id) => id,
): Message[] {
  const out: Message[] = [];
  const droppedCalls = new Set<string>();
  const idMap = new Map<string, string>();
  let pending: ToolCall[] = [];
  let pendingTimestamp = 0;

  const flushPending = () => {
    for (const call of pending) out.push(syntheticResult(call, pendingTimestamp));
    pending = [];
  };

  for (const message of messages) {
    if (message.role === 'assistant') {
      flushPending();
      if (message.stopReason === 'error' || message.stopReason === 'aborted') {
        for (const part of message.content) if (part.type === 'toolCall') droppedCalls.add(part.id);
        continue;
      }
      const converted = convertAssistant(message, model, normalizeId, idMap);
      if (converted.content.length === 0) continue;
      out.push(converted);
      pending = converted.content.filter((part): part is ToolCall => part.type === 'toolCall');
      pendingTimestamp = message.timestamp;
    } else if (message.role === 'toolResult') {
      if (droppedCalls.has(message.toolCallId)) continue;
      const id = idMap.get(message.toolCallId) ?? normalizeId(message.toolCallId);
      const index = pending.findIndex((call) => call.id === id);
      if (index === -1) continue; // A result for no known call would be rejected by every provider.
      pending.splice(index, 1);
      out.push(id === message.toolCallId ? message : { ...message, toolCallId: id });
    } else {
      flushPending();
      out.push(message);
    }
  }
  flushPending();
  return out;
}

function convertAssistant(
  message: AssistantMessage,
  model: Model,
  normalizeId: (id: string) => string,
  idMap: Map<string, string>,
): AssistantMessage {
  const sameModel = message.provider === model.provider && message.api === model.api && message.model === model.id;
  const content: AssistantMessage['content'] = [];
  for (const part of message.content) {
    if (part.type === 'toolCall') {
      const id = normalizeId(part.id);
      if (id !== part.id) idMap.set(part.id, id);
      const call: ToolCall = { type: 'toolCall', id, name: part.name, arguments: part.arguments };
      if (sameModel && part.providerData) call.providerData = part.providerData;
      content.push(call);
    } else if (part.type === 'thinking') {
      if (sameModel) content.push(part);
      else if (!part.redacted && part.thinking.trim()) content.push({ type: 'text', text: part.thinking });
    } else if (sameModel || !part.providerData) {
      content.push(part);
    } else {
      content.push({ type: 'text', text: part.text });
    }
  }
  return { ...message, content };
}

/** Dated like the call's turn, so the same history always transforms to the same messages. */
function syntheticResult(call: ToolCall, timestamp: number): ToolResultMessage {
  return {
    role: 'toolResult',
    toolCallId: call.id,
    toolName: call.name,
    content: [{ type: 'text', text: 'No result was recorded for this tool call.' }],
    isError: true,
    timestamp,
  };
}

/**
 * Rewrites a tool-call id into `[A-Za-z0-9_-]{1,maxLength}`. Ids that are
 * already valid come back unchanged; a shortened id keeps a hash of the
 * original, so two long ids do not collide.
 */
export function normalizeToolCallId(id: string, maxLength: number): string {
  // A valid id comes back as the same string: `clean` equals it.
  const clean = id.replace(/[^A-Za-z0-9_-]/g, '_') || 'call';
  if (clean.length <= maxLength) return clean;
  return `${clean.slice(0, maxLength - 9)}_${hash(id)}`;
}

function hash(text: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return (h >>> 0).toString(16).padStart(8, '0');
}
