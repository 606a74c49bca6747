/**
 * A `SessionStore` in the browser's IndexedDB, so a page's conversations
 * survive reloads: raw IndexedDB, no dependency. Entries are kept as
 * structured clones, one record each; each session's summary is kept beside
 * them and updated in the same transaction, so `list()` reads the summaries
 * only, however long the sessions are.
 */
import { sessionTitle } from '../../src/session/session-title.js';
import type { SessionEntry, SessionInfo, SessionStore } from '../../src/session/types.js';

export interface IndexedDbSessionStoreOptions {
  /** The IndexedDB database. Default `qcore-sessions`. */
  name?: string;
}

const DEFAULT_NAME = 'qcore-sessions';
const VERSION = 1;
/** One record per entry, keyed `[sessionId, seq]`: a key range over one id reads its entries in append order. */
const ENTRIES = 'entries';
/** One `StoredSummary` per session, keyed by its id. */
const SESSIONS = 'sessions';
/** On `StoredSummary.touched`: the sessions in the order of their last append. */
const BY_TOUCHED = 'touched';

/** What `sessions` holds: `SessionInfo` and what the next append needs to keep it right. */
interface StoredSummary extends SessionInfo {
  /** Whether the first user message was seen: the title is its text, even when that is empty. */
  titled: boolean;
  /** How many entries the session holds: the next entry's `seq`. */
  entryCount: number;
  /**
   * One more than the greatest `touched` in the database when this session
   * was last appended to. `updatedAt` cannot order two appends in the same
   * millisecond, nor appends from tabs whose clocks disagree; this can.
   */
  touched: number;
}

/**
 * Sessions in one IndexedDB database (default `qcore-sessions`): an `entries`
 * object store keyed `[sessionId, seq]` and a `sessions` store of summaries.
 * Several instances, tabs included, can share a database: appends are
 * transactions, which IndexedDB runs one at a time.
 *
 * `append` resolves once its transaction has committed with `strict`
 * durability, that is flushed to disk: there is one append per completed
 * message, few enough to afford it, and a resolved append must survive a
 * crash as the JSONL store's do. An entry that cannot be cloned (it holds a
 * function, say) makes `append` reject, and nothing of it is stored.
 *
 * A session id must be a non-empty string without a path separator, `..` or
 * NUL: the JSONL store's rule, so that a session can be moved to a file of
 * the same name.
 *
 * The connection is opened on first use. It is closed when another page
 * upgrades or deletes the database (`versionchange`), and opened again by
 * the next call; `close()` closes it now.
 */
export class IndexedDbSessionStore implements SessionStore {
  /** The IndexedDB database's name. */
  readonly name: string;
  #db: Promise<IDBDatabase> | undefined;

  constructor(options: IndexedDbSessionStoreOptions = {}) {
    this.name = options.name ?? DEFAULT_NAME;
  }

  async append(sessionId: string, entry: SessionEntry): Promise<void> {
    checkId(sessionId);
    const tx = await this.#transaction([ENTRIES, SESSIONS], 'readwrite');
    let failure: unknown;
    const done = committed(tx, () => failure);
    const sessions = tx.objectStore(SESSIONS);
    const current = sessions.get(sessionId);
    const latest = sessions.index(BY_TOUCHED).openKeyCursor(null, 'prev');
    // Requests in one transaction succeed in the order they were made: `current` has its result here.
    latest.onsuccess = () => {
      const found = current.result as StoredSummary | undefined;
      const touched = (typeof latest.result?.key === 'number' ? latest.result.key : 0) + 1;
      const now = new Date().toISOString();
      const summary: StoredSummary = found
        ? { ...found, updatedAt: now, touched }
        : {
            id: sessionId,
            createdAt: now,
            updatedAt: now,
            title: '',
            messageCount: 0,
            titled: false,
            entryCount: 0,
            touched,
          };
      try {
        // Throws a DataCloneError at once for an entry that cannot be stored.
        tx.objectStore(ENTRIES).add(entry, [sessionId, summary.entryCount]);
      } catch (error) {
        failure = error;
        tx.abort();
        return;
      }
      if (entry.type === 'session' && summary.entryCount === 0) summary.createdAt = entry.createdAt;
      if (entry.type === 'message') {
        summary.messageCount++;
        if (!summary.titled && entry.message.role === 'user') {
          summary.title = sessionTitle(entry.message);
          summary.titled = true;
        }
      }
      summary.entryCount++;
      sessions.put(summary);
    };
    try {
      await done;
    } catch (error) {
      throw new Error(
        `cannot append a ${entry.type} entry to session ${JSON.stringify(sessionId)} in IndexedDB "${this.name}": ${reasonOf(error)}`,
        { cause: error },
      );
    }
  }

  async read(sessionId: string): Promise<SessionEntry[]> {
    checkId(sessionId);
    const tx = await this.#transaction([ENTRIES], 'readonly');
    const request = tx.objectStore(ENTRIES).getAll(IDBKeyRange.bound([sessionId, 0], [sessionId, Infinity]));
    await committed(tx);
    return request.result as SessionEntry[];
  }

  async list(): Promise<SessionInfo[]> {
    const tx = await this.#transaction([SESSIONS], 'readonly');
    const request = tx.objectStore(SESSIONS).index(BY_TOUCHED).getAll();
    await committed(tx);
    return (request.result as StoredSummary[]).reverse().map(({ id, createdAt, updatedAt, title, messageCount }) => ({
      id,
      createdAt,
      updatedAt,
      title,
      messageCount,
    }));
  }

  /** Closes the connection (pending transactions still finish); the next call opens it again. */
  close(): void {
    const db = this.#db;
    this.#db = undefined;
    void db?.then(
      (connection) => connection.close(),
      () => undefined,
    );
  }

  /** A transaction on the open connection, opening it again once when it was closed under us. */
  async #transaction(stores: string[], mode: IDBTransactionMode): Promise<IDBTransaction> {
    const options: IDBTransactionOptions = mode === 'readwrite' ? { durability: 'strict' } : {};
    const opening = this.#open();
    const db = await opening;
    try {
      return db.transaction(stores, mode, options);
    } catch (error) {
      if (!(error instanceof DOMException && error.name === 'InvalidStateError')) throw error;
      // Closed since it was opened: by `close()`, or by the browser (when site data is cleared, say).
      if (this.#db === opening) this.#db = undefined;
      return (await this.#open()).transaction(stores, mode, options);
    }
  }

  #open(): Promise<IDBDatabase> {
    if (this.#db) return this.#db;
    const forget = () => {
      if (this.#db === opening) this.#db = undefined;
    };
    const opening: Promise<IDBDatabase> = openDatabase(this.name).then(
      (db) => {
        // Another page wants to upgrade or delete the database: let it, and open again on the next call.
        db.onversionchange = () => {
          db.close();
          forget();
        };
        db.onclose = forget;
        return db;
      },
      (error: unknown) => {
        forget(); // The next call tries again.
        throw error;
      },
    );
    this.#db = opening;
    return opening;
  }
}

function openDatabase(name: string): Promise<IDBDatabase> {
  if (typeof indexedDB === 'undefined') {
    return Promise.reject(new Error('IndexedDbSessionStore needs IndexedDB, which this runtime does not have'));
  }
  return new Promise((resolve, reject) => {
    const request = indexedDB.open(name, VERSION);
    request.onupgradeneeded = () => {
      const db = request.result;
      if (!db.objectStoreNames.contains(ENTRIES)) db.createObjectStore(ENTRIES);
      if (!db.objectStoreNames.contains(SESSIONS)) {
        db.createObjectStore(SESSIONS, { keyPath: 'id' }).createIndex(BY_TOUCHED, BY_TOUCHED);
      }
    };
    // `blocked` needs a connection at an older version, which ours close on `versionchange`:
    // the open goes on by itself once they have, so it is left to wait.
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => {
      const cause = request.error;
      const detail =
        cause?.name === 'VersionError'
          ? `it is at a version newer than ${VERSION}, written by a newer qcore`
          : (cause?.message ?? 'unknown error');
      reject(new Error(`cannot open the IndexedDB database "${name}" for sessions: ${detail}`, { cause }));
    };
  });
}

/** Resolves when `tx` commits; rejects with `failure()` or the transaction's error when it aborts. */
function committed(tx: IDBTransaction, failure: () => unknown = () => undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    tx.oncomplete = () => resolve();
    tx.onabort = () => reject(failure() ?? tx.error ?? new Error('the IndexedDB transaction was aborted'));
  });
}

function reasonOf(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}

function checkId(id: string): void {
  const problem = idProblem(id);
  if (problem) throw new Error(`invalid session id ${JSON.stringify(id)}: ${problem}`);
}

function idProblem(id: unknown): string | undefined {
  if (typeof id !== 'string') return 'it is not a string';
  if (id === '') return 'it is empty';
  if (id.includes('/') || id.includes('\\')) return 'it holds a path separator';
  if (id.includes('..')) return 'it holds ".."';
  if (id.includes('\0')) return 'it holds a NUL character';
  return undefined;
}
