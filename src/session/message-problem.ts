/**
 * Checks a stored message before it goes back into an agent's history: a
 * line someone edited, or one written by another version, would otherwise
 * break the next request or the cost line.
 */

/**
 * What keeps `value` from being a message the agent can send again, or
 * `undefined` when nothing does. A message with a role this file does not
 * know is accepted when it has a string `role` and a numeric `timestamp`:
 * applications add their own message types by declaration merging, and the
 * default `convertToLlm` leaves unknown roles out of requests.
 */
export function messageProblem(value: unknown): string | undefined {
  if (!isRecord(value)) return 'not an object';
  if (typeof value.role !== 'string') return 'no role';
  if (typeof value.timestamp !== 'number') return 'no numeric timestamp';
  switch (value.role) {
    case 'user':
      return typeof value.content === 'string' || isPartList(value.content, USER_PARTS)
        ? undefined
        : 'user content is neither text nor a list of text and image parts';
    case 'assistant':
      if (!isPartList(value.content, ASSISTANT_PARTS)) return 'assistant content is not a list of valid parts';
      if (!STOP_REASONS.has(value.stopReason)) return 'no valid stopReason';
      if (!['api', 'provider', 'model'].every((key) => typeof value[key] === 'string')) {
        return 'api, provider or model is missing';
      }
      return isRecord(value.usage) && isRecord(value.usage.cost) ? undefined : 'usage is missing';
    case 'toolResult':
      if (typeof value.toolCallId !== 'string' || typeof value.toolName !== 'string') {
        return 'toolCallId or toolName is missing';
      }
      if (typeof value.isError !== 'boolean') return 'isError is not a boolean';
      return isPartList(value.content, USER_PARTS) ? undefined : 'tool result content is not a list of valid parts';
    case 'compactionSummary':
      if (typeof value.summary !== 'string') return 'the summary is not text';
      return typeof value.tokensBefore === 'number' ? undefined : 'no numeric tokensBefore';
    default:
      return undefined;
  }
}

type PartCheck = (part: Record<string, unknown>) => boolean;

const textPart: PartCheck = (part) => typeof part.text === 'string';
const USER_PARTS: Record<string, PartCheck> = {
  text: textPart,
  image: (part) => typeof part.data === 'string' && typeof part.mimeType === 'string',
};
const ASSISTANT_PARTS: Record<string, PartCheck> = {
  text: textPart,
  thinking: (part) => typeof part.thinking === 'string',
  toolCall: (part) => typeof part.id === 'string' && typeof part.name === 'string' && isRecord(part.arguments),
};
const STOP_REASONS = new Set<unknown>(['stop', 'length', 'toolUse', 'error', 'aborted']);

function isPartList(value: unknown, checks: Record<string, PartCheck>): boolean {
  return (
    Array.isArray(value) &&
    value.every((part) => isRecord(part) && typeof part.type === 'string' && checks[part.type]?.(part) === true)
  );
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
