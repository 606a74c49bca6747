/**
 * Rebuilds an agent's history from a session's entries, honouring the last
 * compaction, and says what it had to skip.
 */
import type { AgentMessage, CompactionSummaryMessage } from '../agent/types.js';
import { withCleanUsage } from './clean-usage.js';
import { isRecord, messageProblem } from './message-problem.js';
import { SESSION_FORMAT_VERSION, type SessionEntry, type SessionHeaderEntry } from './types.js';

export interface LoadedSession {
  /**
   * The agent's history: every message, or after a compaction its summary
   * followed by the messages from `firstKeptIndex` on.
   */
  messages: AgentMessage[];
  /** The session's first `session` entry. */
  header?: SessionHeaderEntry;
  /** The model of the last `session` or `model_change` entry: the one the session last used. */
  model?: { provider: string; model: string };
  /** The last compaction's `firstKeptIndex` (clamped to the session), 0 without one. */
  firstKeptIndex: number;
  /** How many `message` entries the session holds, skipped ones included: the next message's index. */
  messageCount: number;
  /**
   * The indexes, from `firstKeptIndex` on, of `message` entries skipped as
   * invalid, in ascending order: `messages` lacks them. `recordSession` needs
   * them to map the agent's history onto the session.
   */
  skippedIndexes: number[];
  /** One line for each entry skipped or repaired. */
  warnings: string[];
}

export interface LoadSessionOptions {
  /** Names entry `index` in warnings; default `entry N`. A file store names the line. */
  where?: (index: number) => string;
}

/**
 * The history an agent resumes a session with, in one pass over `entries`.
 * Entries that cannot be used (an invalid message, an unknown type) are
 * skipped with a warning, never thrown on: a session edited by hand or
 * written by another version still opens.
 */
export function loadSession(entries: readonly SessionEntry[], options: LoadSessionOptions = {}): LoadedSession {
  const where = options.where ?? ((index: number) => `entry ${index}`);
  const warnings: string[] = [];
  // One slot per `message` entry, `undefined` for a skipped one, so indexes stay the session's.
  const slots: (AgentMessage | undefined)[] = [];
  let header: SessionHeaderEntry | undefined;
  let model: { provider: string; model: string } | undefined;
  let compaction: { summary: string; firstKeptIndex: number; tokensBefore: number; timestamp: number } | undefined;

  entries.forEach((entry: unknown, index) => {
    if (!isRecord(entry)) {
      warnings.push(`skipped an unknown entry at ${where(index)}`);
      return;
    }
    switch (entry.type) {
      case 'message': {
        const problem = messageProblem(entry.message);
        if (problem === undefined) slots.push(withCleanUsage(entry.message as AgentMessage));
        else {
          slots.push(undefined);
          warnings.push(`skipped an entry that is not a valid message at ${where(index)} (${problem})`);
        }
        return;
      }
      case 'session': {
        const problem = headerProblem(entry);
        if (problem !== undefined) {
          warnings.push(`skipped an invalid session entry at ${where(index)} (${problem})`);
          return;
        }
        const valid = entry as unknown as SessionHeaderEntry;
        if (!header && valid.version > SESSION_FORMAT_VERSION) {
          warnings.push(
            `the session was written in format version ${valid.version}, newer than ${SESSION_FORMAT_VERSION}; entries this version does not know are skipped`,
          );
        }
        header ??= valid;
        model = { provider: valid.provider, model: valid.model };
        return;
      }
      case 'model_change':
        if (typeof entry.provider === 'string' && typeof entry.model === 'string') {
          model = { provider: entry.provider, model: entry.model };
        } else warnings.push(`skipped an invalid model_change entry at ${where(index)} (provider or model is missing)`);
        return;
      case 'compaction': {
        const problem = compactionProblem(entry);
        if (problem !== undefined) {
          warnings.push(`skipped an invalid compaction entry at ${where(index)} (${problem})`);
          return;
        }
        // A compaction can only keep messages written before it.
        let firstKeptIndex = entry.firstKeptIndex as number;
        if (firstKeptIndex < 0 || firstKeptIndex > slots.length) {
          const clamped = Math.min(Math.max(firstKeptIndex, 0), slots.length);
          warnings.push(
            `the compaction at ${where(index)} keeps messages from index ${firstKeptIndex}, but the session then held ${slots.length}; keeping them from ${clamped}`,
          );
          firstKeptIndex = clamped;
        }
        compaction = {
          summary: entry.summary as string,
          firstKeptIndex,
          tokensBefore: entry.tokensBefore as number,
          timestamp: entry.timestamp as number,
        };
        return;
      }
      default:
        warnings.push(`skipped an unknown entry at ${where(index)}`);
    }
  });

  const firstKeptIndex = compaction?.firstKeptIndex ?? 0;
  const messages: AgentMessage[] = [];
  const skippedIndexes: number[] = [];
  if (compaction) {
    const summary: CompactionSummaryMessage = {
      role: 'compactionSummary',
      summary: compaction.summary,
      tokensBefore: compaction.tokensBefore,
      timestamp: compaction.timestamp,
    };
    messages.push(summary);
  }
  for (let index = firstKeptIndex; index < slots.length; index++) {
    const message = slots[index];
    if (message) messages.push(message);
    else skippedIndexes.push(index);
  }
  const loaded: LoadedSession = { messages, firstKeptIndex, messageCount: slots.length, skippedIndexes, warnings };
  if (header) loaded.header = header;
  if (model) loaded.model = model;
  return loaded;
}

function headerProblem(entry: Record<string, unknown>): string | undefined {
  if (typeof entry.version !== 'number') return 'no numeric version';
  if (typeof entry.provider !== 'string' || typeof entry.model !== 'string') return 'provider or model is missing';
  if (typeof entry.createdAt !== 'string') return 'no createdAt';
  if (entry.cwd !== undefined && typeof entry.cwd !== 'string') return 'cwd is not text';
  return undefined;
}

function compactionProblem(entry: Record<string, unknown>): string | undefined {
  if (typeof entry.summary !== 'string') return 'the summary is not text';
  if (!Number.isInteger(entry.firstKeptIndex)) return 'firstKeptIndex is not an integer';
  for (const key of ['tokensBefore', 'tokensAfter', 'timestamp']) {
    if (typeof entry[key] !== 'number') return `no numeric ${key}`;
  }
  return undefined;
}
