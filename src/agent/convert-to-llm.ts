import type { Message, UserMessage } from '../ai/types.js';
import { compactionSummaryText } from './compaction.js';
import type { AgentMessage } from './types.js';

/**
 * What the model sees of the agent's history by default: user, assistant
 * and tool-result messages as they are, a compaction summary as a user
 * message (joined to the user message after it, since some providers refuse
 * two user turns in a row), and nothing of custom message types. A custom
 * `convertToLlm` can call this for the messages it does not handle itself.
 */
export function defaultConvertToLlm(messages: readonly AgentMessage[]): Message[] {
  const out: Message[] = [];
  for (let i = 0; i < messages.length; i++) {
    const message = messages[i] as AgentMessage;
    if (typeof message !== 'object' || message === null) continue;
    switch (message.role) {
      case 'user':
      case 'assistant':
      case 'toolResult':
        out.push(message);
        break;
      case 'compactionSummary': {
        const text = compactionSummaryText(message);
        const next = messages[i + 1];
        if (next?.role === 'user') {
          const content =
            typeof next.content === 'string'
              ? [
                  { type: 'text' as const, text },
                  { type: 'text' as const, text: next.content },
                ]
              : [{ type: 'text' as const, text }, ...next.content];
          out.push({ role: 'user', content, timestamp: next.timestamp });
          i++;
        } else {
          const summary: UserMessage = { role: 'user', content: text, timestamp: message.timestamp };
          out.push(summary);
        }
        break;
      }
    }
  }
  return out;
}

/**
 * `defaultConvertToLlm` kept up to date as the history grows, so that a turn
 * converts only the messages added since the last one. The history must
 * only grow between calls; after it is replaced or cut (a compaction),
 * `reset()`.
 */
export class IncrementalConversion {
  #converted: Message[] = [];
  #upTo = 0;

  /**
   * `copy`: a new array, for a stream function that may keep its context.
   * Without it, the array the next call will grow: `stream()` and the
   * protocols read it only while the request is built.
   */
  convert(messages: readonly AgentMessage[], copy: boolean): Message[] {
    // A summary at the end may yet be joined to the user message that comes next: convert it again then.
    if (messages.length < this.#upTo || (this.#upTo > 0 && messages[this.#upTo - 1]?.role === 'compactionSummary')) {
      this.reset();
    }
    if (this.#upTo < messages.length) {
      for (const message of defaultConvertToLlm(messages.slice(this.#upTo))) this.#converted.push(message);
      this.#upTo = messages.length;
    }
    return copy ? this.#converted.slice() : this.#converted;
  }

  reset(): void {
    this.#converted = [];
    this.#upTo = 0;
  }
}
