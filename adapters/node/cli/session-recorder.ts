/**
 * Keeps the current conversation's session, if any: a new one in
 * `$QCORE_HOME/sessions/<id>.jsonl` or any file `--session` names, resumed
 * with `loadSession` and recorded with `recordSession` through a
 * `JsonlSessionStore`. A disk that refuses writes gets one warning instead
 * of breaking the run.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, rmSync } from 'node:fs';
import { type LoadedSession, loadSession } from '../../../src/session/load-session.js';
import { type RecordableAgent, recordSession, type SessionRecording } from '../../../src/session/record-session.js';
import { JsonlSessionStore } from '../jsonl-session-store.js';
import { CliError } from './errors.js';
import { type SessionChoice, sessionsFor } from './session-picker.js';

interface CurrentSession {
  store: JsonlSessionStore;
  sessionId: string;
  /** What the session held when it was opened; undefined for a new one. */
  resumed: LoadedSession | undefined;
}

export class SessionRecorder {
  readonly #sessions: JsonlSessionStore | undefined;
  #current: CurrentSession | undefined;
  #agent: RecordableAgent | undefined;
  #recording: SessionRecording | undefined;
  #unsubscribe: (() => void) | undefined;

  constructor(
    private readonly options: {
      /** Undefined with `--no-session`: nothing is ever written. */
      sessionsDir: string | undefined;
      cwd: string;
      warn: (message: string) => void;
    },
  ) {
    const { sessionsDir, warn } = options;
    this.#sessions =
      sessionsDir === undefined ? undefined : new JsonlSessionStore({ dir: sessionsDir, onWarning: warn });
  }

  get enabled(): boolean {
    return this.#sessions !== undefined;
  }

  /** Where this conversation is saved; the file appears with the first message. */
  get path(): string | undefined {
    return this.#current?.store.pathOf(this.#current.sessionId);
  }

  /** Starts a new session, for a new conversation. */
  startNew(): void {
    if (!this.#sessions) return;
    this.#use({ store: this.#sessions, sessionId: newSessionId(), resumed: undefined });
  }

  /** This directory's sessions, newest first, for `--resume`. */
  async choices(): Promise<SessionChoice[]> {
    return this.#sessions ? sessionsFor(this.#sessions, this.options.cwd) : [];
  }

  /** The file of the session last written to for this directory (its header's `cwd`), if any. */
  async findLatest(): Promise<string | undefined> {
    if (!this.#sessions) return undefined;
    const id = await this.#sessions.findLatest((header) => header.cwd === this.options.cwd);
    return id === undefined ? undefined : this.#sessions.pathOf(id);
  }

  /**
   * Makes `path` this conversation's session: what it holds is loaded (the
   * last compaction's summary and the messages after it), with a warning for
   * each line skipped, and the conversation goes on in the same file.
   * Undefined when the file does not exist yet.
   */
  async open(path: string): Promise<LoadedSession | undefined> {
    const { store, sessionId } = JsonlSessionStore.forFile(path, { onWarning: this.options.warn });
    let resumed: LoadedSession | undefined;
    if (existsSync(path)) {
      try {
        const { entries, lines } = await store.readWithLines(sessionId);
        resumed = loadSession(entries, { where: (index) => `${path}:${lines[index]}` });
      } catch (error) {
        throw new CliError(`cannot read the session file ${path}: ${reasonOf(error)}`);
      }
      for (const warning of resumed.warnings) this.options.warn(warning);
    }
    this.#use({ store, sessionId, resumed });
    return resumed;
  }

  /** Records `agent` into the current session, and into each one `startNew` opens later. */
  attach(agent: RecordableAgent): void {
    this.#agent = agent;
    this.#unsubscribe?.();
    this.#unsubscribe = agent.subscribe((event) => {
      if (event.type === 'agent_end' && event.stopReason === 'error') void this.#dropIfNeverAnswered(agent);
    });
    this.#record();
  }

  /**
   * A new session whose runs all failed before the model answered (no
   * network, a refused key) is not worth a file: it is removed, and the next
   * prompt starts a new one.
   */
  async #dropIfNeverAnswered(agent: RecordableAgent): Promise<void> {
    const current = this.#current;
    if (!current || current.resumed || !this.#sessions) return;
    const answered = agent.state.messages.some(
      (message) => message.role === 'assistant' && message.stopReason !== 'error',
    );
    if (answered) return;
    await this.#recording?.flush();
    if (this.#current !== current) return;
    try {
      rmSync(current.store.pathOf(current.sessionId), { force: true });
    } catch {
      // Left as it is: a file we cannot remove is one we could not have written either.
    }
    this.startNew();
  }

  #use(session: CurrentSession): void {
    this.#current = session;
    this.#record();
  }

  #record(): void {
    this.#recording?.stop();
    this.#recording = undefined;
    const current = this.#current;
    if (!this.#agent || !current) return;
    const path = current.store.pathOf(current.sessionId);
    this.#recording = recordSession(this.#agent, {
      store: current.store,
      sessionId: current.sessionId,
      cwd: this.options.cwd,
      ...(current.resumed ? { resumed: current.resumed } : {}),
      onError: (error) => {
        this.options.warn(`cannot write the session file ${path} (${reasonOf(error)}); this conversation is not saved`);
      },
    });
  }
}

/** Ids start with their creation time, so that they sort as they were made. */
export function newSessionId(now = new Date()): string {
  return `${now.toISOString().replace(/[:.]/g, '-')}-${randomBytes(4).toString('hex')}`;
}

function reasonOf(error: unknown): string {
  return error instanceof Error && 'code' in error ? String(error.code) : String(error);
}
