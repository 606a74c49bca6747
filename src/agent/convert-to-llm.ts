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
