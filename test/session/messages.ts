/** Messages and a fake agent for the session tests; web standards only. */
import type { AgentEvent, AgentMessage, CompactionSummaryMessage } from '../../src/agent/types.js';
import type { AssistantMessage, Model, ToolResultMessage, UserMessage } from '../../src/ai/types.js';
import type { RecordableAgent } from '../../src/session/index.js';

/** What `message_end` carries: every message but a compaction summary. */
type EndedMessage = Extract<AgentEvent, { type: 'message_end' }>['message'];

let clock = 1_700_000_000_000;

export function user(text: string): UserMessage {
  return { role: 'user', content: text, timestamp: clock++ };
}

export function assistant(text: string, model = 'model-a', provider = 'prov'): AssistantMessage {
  return {
    role: 'assistant',
    content: [{ type: 'text', text }],
    api: 'anthropic-messages',
    provider,
    model,
    usage: {
      input: 1,
      output: 2,
      cacheRead: 0,
      cacheWrite: 0,
      totalTokens: 3,
      cost: { input: 0, output: 0, cacheRead: 0, cacheWrite: 0, total: 0 },
    },
    stopReason: 'stop',
    timestamp: clock++,
  };
}

export function toolResult(text: string): ToolResultMessage {
  return {
    role: 'toolResult',
    toolCallId: `call-${clock}`,
    toolName: 'read',
    content: [{ type: 'text', text }],
    isError: false,
    timestamp: clock++,
  };
}

export function modelNamed(id: string, provider = 'prov'): Model {
  return { id, provider } as unknown as Model;
}

/**
 * Behaves as the agent does towards a recorder: each added message is pushed
 * to the history and emitted as `message_end`; a compaction emits
 * `compaction_end` with an index into the history as it was, then replaces
 * the history with the summary followed by the kept tail.
 */
export class FakeAgent implements RecordableAgent {
  readonly state: { model: Model; messages: AgentMessage[] };
  readonly #listeners = new Set<(event: AgentEvent) => void>();

  constructor(messages: AgentMessage[] = [], model = modelNamed('model-a')) {
    this.state = { model, messages: [...messages] };
  }

  subscribe(listener: (event: AgentEvent) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  emit(event: AgentEvent): void {
    for (const listener of this.#listeners) listener(event);
  }

  add(...messages: EndedMessage[]): void {
    for (const message of messages) {
      this.state.messages.push(message);
      this.emit({ type: 'message_end', message });
    }
  }

  compact(firstKeptIndex: number, summary: string): CompactionSummaryMessage {
    const message: CompactionSummaryMessage = {
      role: 'compactionSummary',
      summary,
      tokensBefore: 1000 + firstKeptIndex,
      timestamp: clock++,
    };
    this.emit({
      type: 'compaction_end',
      ok: true,
      reason: 'threshold',
      summary,
      tokensBefore: message.tokensBefore,
      tokensAfter: 100,
      firstKeptIndex,
      message,
    });
    this.state.messages = [message, ...this.state.messages.slice(firstKeptIndex)];
    return message;
  }
}
