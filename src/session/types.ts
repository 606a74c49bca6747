/**
 * The session format: a conversation as an append-only list of entries, the
 * same in every store (memory, a JSONL file, IndexedDB, a Durable Object).
 */
import type { AgentMessage } from '../agent/types.js';

/** The format's version, written in the `session` entry. Readers accept this and older ones. */
export const SESSION_FORMAT_VERSION = 1;

/** Opens a session: written once, before its first message. */
export interface SessionHeaderEntry {
  type: 'session';
  version: number;
  /** The directory the session worked in, where there is one; the CLI's `--continue` matches on it. */
  cwd?: string;
  /** ISO 8601. */
  createdAt: string;
  provider: string;
  model: string;
}

/** One completed message, in the order the agent's history holds them. */
export interface SessionMessageEntry {
  type: 'message';
  message: AgentMessage;
}

/** The model changed; the messages after it were made with this one. */
export interface SessionModelChangeEntry {
  type: 'model_change';
  provider: string;
  model: string;
}

/**
 * A compaction: from here on, the history is `summary` followed by the
 * session's messages from `firstKeptIndex` on. `firstKeptIndex` counts the
 * session's `message` entries from 0, in the order they were appended; the
 * messages before it stay in the store but are no longer sent.
 */
export interface SessionCompactionEntry {
  type: 'compaction';
  summary: string;
  firstKeptIndex: number;
  tokensBefore: number;
  tokensAfter: number;
  /** When the compaction happened (ms since the epoch); the summary message's timestamp. */
  timestamp: number;
}

export type SessionEntry = SessionHeaderEntry | SessionMessageEntry | SessionModelChangeEntry | SessionCompactionEntry;

/** What `SessionStore.list()` tells about one session. */
export interface SessionInfo {
  id: string;
  /** ISO 8601. */
  createdAt: string;
  /** ISO 8601: when the last entry was appended. */
  updatedAt: string;
  /** The start of the first user message, on one line; empty before there is one. */
  title: string;
  /** How many `message` entries the session holds, compacted ones included. */
  messageCount: number;
}

/**
 * Where sessions are kept. Stores are append-only: `append` resolves once the
 * entry is stored, so a crash loses nothing appended before it.
 */
export interface SessionStore {
  append(sessionId: string, entry: SessionEntry): Promise<void>;
  /** The session's entries in the order they were appended; `[]` for a session never written. */
  read(sessionId: string): Promise<SessionEntry[]>;
  /** Every session, most recently updated first. */
  list(): Promise<SessionInfo[]>;
}
