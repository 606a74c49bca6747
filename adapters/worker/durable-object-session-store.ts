/**
 * `SessionStore` over a Durable Object's SQLite (`ctx.storage.sql`): the
 * session format's entries as JSON, in parts of at most `ENTRY_PART_CHARS`
 * (Cloudflare caps a row at 2 MB, and a message with an image or a long tool
 * result is bigger), and a summary row per session so that `list()` reads
 * one row a session. SQLite in a Durable Object is
 * synchronous and its writes are durable before the object's next output
 * leaves, so `append` has stored the entry when it returns.
 */
import { SESSION_ID_PATTERN } from '../../src/agent/session-protocol.js';
import { sessionTitle } from '../../src/session/session-title.js';
import type { SessionEntry, SessionInfo, SessionStore } from '../../src/session/types.js';
import type { SqlStorage } from './durable-types.js';

/** Made once per store: the tables, if they are not there yet. */
const SCHEMA = `
CREATE TABLE IF NOT EXISTS qcore_session_entries (
  session_id TEXT NOT NULL,
  seq INTEGER NOT NULL,
  part INTEGER NOT NULL,
  -- The entry's place among the session's messages; NULL for entries that are not messages.
  message_index INTEGER,
  entry TEXT NOT NULL,
  PRIMARY KEY (session_id, seq, part)
);
CREATE TABLE IF NOT EXISTS qcore_sessions (
  id TEXT PRIMARY KEY,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  title TEXT NOT NULL,
  message_count INTEGER NOT NULL,
  entry_count INTEGER NOT NULL,
  -- Raised by every append, so list() orders by the last one even within one millisecond.
  touched INTEGER NOT NULL
);`;

/**
 * Characters of an entry's JSON per row: at most 3 bytes each in UTF-8, so a
 * part stays well under Cloudflare's 2 MB a row.
 */
export const ENTRY_PART_CHARS = 512 * 1024;

export class DurableObjectSessionStore implements SessionStore {
  readonly #sql: SqlStorage;

  /** `sql` is the object's `ctx.storage.sql` (a SQLite-backed class: `new_sqlite_classes` in its migration). */
  constructor(sql: SqlStorage) {
    this.#sql = sql;
    sql.exec(SCHEMA);
  }

  async append(sessionId: string, entry: SessionEntry): Promise<void> {
    this.appendSync(sessionId, entry);
  }

  /** `append` without the promise, for a caller inside the object that must have it stored before it goes on. */
  appendSync(sessionId: string, entry: SessionEntry): void {
    checkId(sessionId);
    const json = JSON.stringify(entry);
    const now = new Date().toISOString();
    const summary = this.#sql
      .exec<{ entry_count: number; message_count: number; title: string }>(
        'SELECT entry_count, message_count, title FROM qcore_sessions WHERE id = ?',
        sessionId,
      )
      .toArray()[0];
    const isMessage = entry.type === 'message';
    const title = summary?.title || (isMessage && entry.message.role === 'user' ? sessionTitle(entry.message) : '');
    const createdAt = entry.type === 'session' && !summary ? entry.createdAt : now;
    const touched =
      (this.#sql.exec<{ last: number | null }>('SELECT MAX(touched) AS last FROM qcore_sessions').one().last ?? 0) + 1;
    for (let part = 0, at = 0; at < json.length || part === 0; part++, at += ENTRY_PART_CHARS) {
      this.#sql.exec(
        'INSERT INTO qcore_session_entries (session_id, seq, part, message_index, entry) VALUES (?, ?, ?, ?, ?)',
        sessionId,
        summary?.entry_count ?? 0,
        part,
        isMessage ? (summary?.message_count ?? 0) : null,
        json.slice(at, at + ENTRY_PART_CHARS),
      );
    }
    if (summary) {
      this.#sql.exec(
        'UPDATE qcore_sessions SET updated_at = ?, title = ?, message_count = ?, entry_count = ?, touched = ? WHERE id = ?',
        now,
        title,
        summary.message_count + (isMessage ? 1 : 0),
        summary.entry_count + 1,
        touched,
        sessionId,
      );
    } else {
      this.#sql.exec(
        'INSERT INTO qcore_sessions (id, created_at, updated_at, title, message_count, entry_count, touched) VALUES (?, ?, ?, ?, ?, 1, ?)',
        sessionId,
        createdAt,
        now,
        title,
        isMessage ? 1 : 0,
        touched,
      );
    }
  }

  async read(sessionId: string): Promise<SessionEntry[]> {
    checkId(sessionId);
    return joinParts(
      this.#sql.exec<{ seq: number; entry: string }>(
        'SELECT seq, entry FROM qcore_session_entries WHERE session_id = ? ORDER BY seq, part',
        sessionId,
      ),
    );
  }

  /** The stored messages from `fromIndex` on (counting `message` entries from 0), in order. */
  readMessagesFrom(sessionId: string, fromIndex: number): SessionEntry[] {
    checkId(sessionId);
    return joinParts(
      this.#sql.exec<{ seq: number; entry: string }>(
        'SELECT seq, entry FROM qcore_session_entries WHERE session_id = ? AND message_index >= ? ORDER BY seq, part',
        sessionId,
        fromIndex,
      ),
    );
  }

  async list(): Promise<SessionInfo[]> {
    return this.#infos('ORDER BY touched DESC');
  }

  /** The one session's summary, or undefined before its first entry. */
  info(sessionId: string): SessionInfo | undefined {
    return this.#infos('WHERE id = ?', sessionId)[0];
  }

  #infos(clause: string, ...bindings: string[]): SessionInfo[] {
    return this.#sql
      .exec<{ id: string; created_at: string; updated_at: string; title: string; message_count: number }>(
        `SELECT id, created_at, updated_at, title, message_count FROM qcore_sessions ${clause}`,
        ...bindings,
      )
      .toArray()
      .map((row) => ({
        id: row.id,
        createdAt: row.created_at,
        updatedAt: row.updated_at,
        title: row.title,
        messageCount: row.message_count,
      }));
  }
}

/** Entries from rows in (seq, part) order: the parts of one seq joined, then parsed. */
function joinParts(rows: Iterable<{ seq: number; entry: string }>): SessionEntry[] {
  const entries: SessionEntry[] = [];
  let seq = -1;
  let parts: string[] = [];
  const flush = (): void => {
    if (parts.length > 0) entries.push(JSON.parse(parts.length === 1 ? (parts[0] as string) : parts.join('')));
    parts = [];
  };
  for (const row of rows) {
    if (row.seq !== seq) flush();
    seq = row.seq;
    parts.push(row.entry);
  }
  flush();
  return entries;
}

function checkId(sessionId: string): void {
  if (!SESSION_ID_PATTERN.test(sessionId)) {
    throw new Error(
      `DurableObjectSessionStore: session id ${JSON.stringify(sessionId.slice(0, 140))} is not 1–128 characters of [A-Za-z0-9_-]`,
    );
  }
}
