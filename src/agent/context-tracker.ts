/**
 * How full the context window is, kept incrementally: the last reply's
 * `usage.totalTokens` (the provider's own count of everything it read and
 * wrote, cached input included), plus an estimate for each message added
 * since. Adding a message costs one pass over that message; only a new
 * history (a compaction, a reset) is walked whole.
 */
import type { AssistantMessage } from '../ai/types.js';
import { estimateMessageTokens } from './context-estimate.js';
import type { AgentMessage, ContextUsage } from './types.js';

export class ContextTracker {
  /** The last counted reply's `totalTokens`; undefined while no reply in the history has been counted. */
  #anchor: number | undefined;
  /** Estimated tokens of the messages after the anchor, or of every message when there is none. */
  #tail = 0;
  /** System prompt and tools, which the anchor already counts. */
  #fixed = 0;

  constructor(messages: readonly AgentMessage[] = [], fixed = 0) {
    this.reset(messages, fixed);
  }

  /** What the next request would hold, in tokens. */
  get tokens(): number {
    return this.#anchor === undefined ? this.#fixed + this.#tail : this.#anchor + this.#tail;
  }

  usage(contextWindow: number): ContextUsage {
    const tokens = this.tokens;
    const percent = contextWindow > 0 ? Math.min(100, (tokens / contextWindow) * 100) : 100;
    return { tokens, contextWindow, percent };
  }

  add(message: AgentMessage): void {
    if (isCounted(message)) {
      this.#anchor = message.usage.totalTokens;
      this.#tail = 0;
    } else {
      this.#tail += estimateMessageTokens(message);
    }
  }

  /** The system prompt or tools changed: the anchor counted the old ones. */
  setFixed(fixed: number): void {
    if (this.#anchor !== undefined) this.#anchor = Math.max(0, this.#anchor + fixed - this.#fixed);
    this.#fixed = fixed;
  }

  /**
   * Starts over from a whole history. After a compaction, the replies kept
   * verbatim were counted against the longer history, so only a reply newer
   * than the summary can be the anchor.
   */
  reset(messages: readonly AgentMessage[], fixed: number): void {
    this.#fixed = fixed;
    this.#anchor = undefined;
    this.#tail = 0;
    const first = messages[0];
    const since = first?.role === 'compactionSummary' ? first.timestamp : Number.NEGATIVE_INFINITY;
    let start = 0;
    for (let i = messages.length - 1; i >= 0; i--) {
      const message = messages[i] as AgentMessage;
      if (isCounted(message) && message.timestamp >= since) {
        this.#anchor = message.usage.totalTokens;
        start = i + 1;
        break;
      }
    }
    for (let i = start; i < messages.length; i++) this.#tail += estimateMessageTokens(messages[i] as AgentMessage);
  }
}

/** A reply the provider counted: it carries the size of everything up to and including itself. */
function isCounted(message: AgentMessage): message is AssistantMessage {
  return (
    message.role === 'assistant' &&
    message.stopReason !== 'error' &&
    message.stopReason !== 'aborted' &&
    message.usage.totalTokens > 0
  );
}
