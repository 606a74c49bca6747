/**
 * Repairs the usage figures of a stored reply, so that accounting never
 * turns a readable session into an unusable one.
 */
import type { AgentMessage } from '../agent/types.js';

/**
 * The message with usage figures that are not finite numbers read as 0: a
 * session written before costs were guarded may hold `null` for a `NaN`, and
 * accounting is no reason to drop a reply. Other roles come back unchanged.
 */
export function withCleanUsage(message: AgentMessage): AgentMessage {
  if (message.role !== 'assistant') return message;
  const finite = (value: unknown) => (typeof value === 'number' && Number.isFinite(value) ? value : 0);
  const { usage } = message;
  const cost = usage.cost;
  return {
    ...message,
    usage: {
      input: finite(usage.input),
      output: finite(usage.output),
      cacheRead: finite(usage.cacheRead),
      cacheWrite: finite(usage.cacheWrite),
      totalTokens: finite(usage.totalTokens),
      cost: {
        input: finite(cost.input),
        output: finite(cost.output),
        cacheRead: finite(cost.cacheRead),
        cacheWrite: finite(cost.cacheWrite),
        total: finite(cost.total),
      },
    },
  };
}
