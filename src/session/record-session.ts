/**
 * Writes an agent's conversation to a `SessionStore` as it happens: each
 * finished message, each model switch and each compaction, in order.
 */
import type { AgentEvent, AgentMessage, CompactionEndEvent } from '../agent/types.js';
import type { Model } from '../ai/types.js';
import type { LoadedSession } from './load-session.js';
import { SESSION_FORMAT_VERSION, type SessionEntry, type SessionStore } from './types.js';

/** What `recordSession` needs of an agent; the `Agent` class is one. */
export interface RecordableAgent {
  subscribe(listener: (event: AgentEvent) => void): () => void;
  readonly state: { readonly model: Model; readonly messages: readonly AgentMessage[] };
}

export interface RecordSessionOptions {
  store: SessionStore;
  sessionId: string;
  /** Written in the header, for `--continue`-style lookups by directory. */
  cwd?: string;
  /**
   * What `loadSession` returned for this session when the agent was given
   * its `messages`: the recording goes on after them. Without it the session
   * is new, the agent's history should be empty, and a header is written
   * before the first entry.
   */
  resumed?: LoadedSession;
  /** Called once, with the first append that fails; nothing is written after it. */
  onError?(error: unknown): void;
}

export interface SessionRecording {
  /** Resolves once every entry so far has been appended (or the recording failed). Never rejects. */
  flush(): Promise<void>;
  /** Stops listening to the agent; entries already queued are still appended. */
  stop(): void;
}

type Compaction = Extract<CompactionEndEvent, { ok: true }>;

/**
 * Records what the agent adds to its history from now on: a `message` entry
 * for each `message_end`, a `model_change` entry before an assistant message
 * whose provider or model differs from the last one recorded, and a
 * `compaction` entry for each successful `compaction_end`. The header is
 * written just before the first entry, naming the model in use then, unless
 * the resumed session has one.
 *
 * Appends run one at a time, in order. When none is pending, the next starts
 * at once, inside the event, so a store that writes synchronously (the JSONL
 * file) has the message on disk before the agent goes on.
 */
export function recordSession(agent: RecordableAgent, options: RecordSessionOptions): SessionRecording {
  const { store, sessionId, resumed } = options;
  let needsHeader = resumed?.header === undefined;
  let lastModel = resumed?.model;

  // The agent's history is `[summary?, ...kept messages, ...new messages]`; the
  // session holds every message ever appended, so a compaction's index into
  // the history must be moved into the session's numbering. `base` is the
  // session index of the first message the history keeps verbatim, `offset`
  // is 1 when the history opens with a summary (which has no session index),
  // and `skipped` lists session indexes from `base` on that the history lacks
  // (invalid entries `loadSession` dropped). Each compaction moves `base` to
  // the session index of its first kept message. Without `resumed`, messages
  // the agent already holds are not in the session: `base` goes below 0 so
  // that the next message is index 0, and indexes below 0 read as 0.
  let offset = agent.state.messages[0]?.role === 'compactionSummary' ? 1 : 0;
  let base = resumed ? resumed.firstKeptIndex : offset - agent.state.messages.length;
  let skipped = resumed?.skippedIndexes ?? [];
  const sessionIndex = (historyIndex: number): number => {
    let index = Math.max(0, base + Math.max(0, historyIndex - offset));
    for (const hole of skipped) {
      if (hole > index) break;
      index++;
    }
    return index;
  };

  let failed = false;
  let pending = 0;
  let chain: Promise<void> = Promise.resolve();
  const attempt = async (entry: SessionEntry): Promise<void> => {
    try {
      if (!failed) await store.append(sessionId, entry);
    } catch (error) {
      if (!failed) {
        failed = true;
        options.onError?.(error);
      }
    } finally {
      pending--;
    }
  };
  const writeHeader = (): void => {
    if (!needsHeader) return;
    needsHeader = false;
    const { model } = agent.state;
    lastModel = { provider: model.provider, model: model.id };
    append({
      type: 'session',
      version: SESSION_FORMAT_VERSION,
      ...(options.cwd === undefined ? {} : { cwd: options.cwd }),
      createdAt: new Date().toISOString(),
      provider: model.provider,
      model: model.id,
    });
  };
  const append = (entry: SessionEntry): void => {
    if (failed) return;
    pending++;
    chain = pending === 1 ? attempt(entry) : chain.then(() => attempt(entry));
  };
  const write = (entry: SessionEntry): void => {
    writeHeader();
    append(entry);
  };

  const compacted = (event: Compaction): void => {
    const firstKeptIndex = sessionIndex(event.firstKeptIndex);
    write({
      type: 'compaction',
      summary: event.summary,
      firstKeptIndex,
      tokensBefore: event.tokensBefore,
      tokensAfter: event.tokensAfter,
      timestamp: event.message.timestamp,
    });
    base = firstKeptIndex;
    offset = 1;
    skipped = skipped.filter((hole) => hole > base);
  };

  const unsubscribe = agent.subscribe((event) => {
    if (event.type === 'message_end') {
      const { message } = event;
      if (message.role === 'assistant') {
        writeHeader();
        if (lastModel?.provider !== message.provider || lastModel.model !== message.model) {
          lastModel = { provider: message.provider, model: message.model };
          append({ type: 'model_change', provider: message.provider, model: message.model });
        }
      }
      write({ type: 'message', message });
    } else if (event.type === 'compaction_end' && event.ok) {
      compacted(event);
    }
  });

  return {
    flush: async () => {
      // Appends queued while waiting are waited for too.
      while (pending > 0) await chain;
    },
    stop: unsubscribe,
  };
}
