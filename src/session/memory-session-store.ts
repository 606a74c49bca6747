/**
 * A `SessionStore` in memory: for tests, for a page that need not survive a
 * reload, and as the reference the other stores behave like.
 */
import { sessionTitle } from './session-title.js';
import type { SessionEntry, SessionInfo, SessionStore } from './types.js';

interface StoredSession {
  entries: SessionEntry[];
  info: SessionInfo;
  /** Whether the first user message was seen: the title is its text, even when that is empty. */
  titled: boolean;
}

/**
 * Keeps deep copies (`structuredClone`): a message the agent changes after
 * it was appended does not change what was stored, and what `read` returns
 * can be changed freely. An entry that cannot be cloned (it holds a
 * function, say) makes `append` reject.
 */
export class MemorySessionStore implements SessionStore {
  /** In the order of their last append, the most recent last: `list()` needs no sort. */
  readonly #sessions = new Map<string, StoredSession>();

  async append(sessionId: string, entry: SessionEntry): Promise<void> {
    const copy = structuredClone(entry);
    const now = new Date().toISOString();
    let session = this.#sessions.get(sessionId);
    if (session) this.#sessions.delete(sessionId);
    else {
      session = {
        entries: [],
        info: { id: sessionId, createdAt: now, updatedAt: now, title: '', messageCount: 0 },
        titled: false,
      };
    }
    this.#sessions.set(sessionId, session);
    const { info } = session;
    if (copy.type === 'session' && session.entries.length === 0) info.createdAt = copy.createdAt;
    if (copy.type === 'message') {
      info.messageCount++;
      if (!session.titled && copy.message.role === 'user') {
        info.title = sessionTitle(copy.message);
        session.titled = true;
      }
    }
    info.updatedAt = now;
    session.entries.push(copy);
  }

  async read(sessionId: string): Promise<SessionEntry[]> {
    const session = this.#sessions.get(sessionId);
    return session ? structuredClone(session.entries) : [];
  }

  async list(): Promise<SessionInfo[]> {
    return Array.from(this.#sessions.values(), (session) => ({ ...session.info })).reverse();
  }
}
