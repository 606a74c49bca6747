/**
 * Keeps the current conversation's session file, if any: opens a new one
 * or resumes one, records each finished message, and survives a disk that
 * refuses writes by warning once instead of breaking the run.
 */
import type { AgentMessage } from '../../../src/agent/types.js';
import type { Model } from '../../../src/ai/types.js';
import { newSessionPath, SessionWriter } from './sessions.js';

export class SessionRecorder {
  private writer: SessionWriter | undefined;
  private failed = false;

  constructor(
    private readonly options: {
      /** Undefined with `--no-session`: nothing is ever written. */
      sessionsDir: string | undefined;
      cwd: string;
      currentModel: () => Model;
      warn: (message: string) => void;
    },
  ) {}

  get enabled(): boolean {
    return this.options.sessionsDir !== undefined;
  }

  /** Where this conversation is saved; the file appears with the first message. */
  get path(): string | undefined {
    return this.writer?.path;
  }

  /** Starts a new session file, for a new conversation. */
  startNew(): void {
    if (this.options.sessionsDir === undefined) return;
    this.open(newSessionPath(this.options.sessionsDir));
  }

  /** Appends to `path`, which may already hold a conversation. */
  open(path: string): void {
    this.failed = false;
    this.writer = new SessionWriter(path, () => {
      const model = this.options.currentModel();
      return {
        type: 'session',
        version: 1,
        cwd: this.options.cwd,
        createdAt: new Date().toISOString(),
        provider: model.provider,
        model: model.id,
      };
    });
  }

  record(message: AgentMessage): void {
    if (!this.writer || this.failed) return;
    try {
      this.writer.append(message);
    } catch (error) {
      this.failed = true;
      const reason = error instanceof Error && 'code' in error ? String(error.code) : String(error);
      this.options.warn(
        `cannot write the session file ${this.writer.path} (${reason}); this conversation is not saved`,
      );
    }
  }
}
