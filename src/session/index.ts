/**
 * Sessions as data: a conversation as an append-only list of typed entries
 * (`types.ts`), the `SessionStore` interface every store implements, the
 * memory store, `loadSession` (entries → the agent's history, honouring the
 * last compaction) and `recordSession` (an agent's events → entries).
 *
 * Belongs here: the session format and what reads or writes it with web
 * standards only, the same in every runtime. Does not belong: stores that
 * need a runtime (the JSONL file store is in `adapters/node/`), or anything
 * that runs the agent (`src/agent`, which knows nothing of sessions).
 */
export type { LoadedSession, LoadSessionOptions } from './load-session.js';
export { loadSession } from './load-session.js';
export { MemorySessionStore } from './memory-session-store.js';
export type { RecordableAgent, RecordSessionOptions, SessionRecording } from './record-session.js';
export { recordSession } from './record-session.js';
export type * from './types.js';
export { SESSION_FORMAT_VERSION } from './types.js';
