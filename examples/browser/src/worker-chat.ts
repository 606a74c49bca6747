/**
 * Worker mode: each chat is a session on a durable Worker (examples/worker,
 * a Durable Object per session). The agent, its model and its key are there;
 * the page follows the session with `connectAgent(url, { sessionId })` and
 * draws its runs from the events exactly as it draws the local agent's. A run
 * goes on in the Worker when the page closes or loses the connection, and a
 * page that comes back is sent the messages it missed (`resync`).
 *
 * The page keeps no copy of a session: a reload follows it again from the
 * start, drawing the `resync` of its stored messages (so it keeps no
 * `lastEventId` either, which is only worth keeping with the messages it
 * delivered).
 */
import {
  type AgentMessage,
  type AgentSessionConnection,
  type AgentSessionConnectionEvent,
  type AgentSessionEvent,
  type AgentSessionResync,
  type AgentSessionStatus,
  connectAgent,
  type PendingApproval,
} from 'qcore';
import type { ApprovalAnswers, ApprovalList } from './approval-list.js';
import type { ChatView } from './chat-view.js';
import type { HistoryEntry } from './history-list.js';
import { missingSetup, type Settings, workerUrl } from './settings.js';

/** The id of the Worker session on screen, so that a reload follows it again. */
const SESSION_KEY = 'qcore-example:worker-session';
/** Typing in the URL or secret field reconnects once the typing stops, not at every key. */
const RECONNECT_DELAY_MS = 500;
/** The Worker updates its list of sessions in the background after a run's last event: read it again then. */
const LIST_SETTLE_MS = 1500;

export type ConnectionState = 'none' | 'connecting' | 'open' | 'reconnecting' | 'closed';

export interface WorkerChatOptions {
  chat: ChatView;
  approvals: ApprovalList;
  /** Read when connecting: the URL and secret in effect then. */
  settings: Settings;
  storage: Storage | undefined;
  /** Running, waiting for approval or the connection changed: the page redraws its buttons and status. */
  onChange(): void;
  /** A run ended or another chat is on screen: the History list may have changed. */
  onHistory(): void;
}

export class WorkerChat {
  readonly #options: WorkerChatOptions;
  #id = newSessionId();
  #connection: AgentSessionConnection | undefined;
  /** The URL and secret `#connection` was made with. */
  #credentials = '';
  /** The session's stored messages as this page knows them: a `resync`'s `fromIndex` counts in them. */
  #messages: AgentMessage[] = [];
  #status: AgentSessionStatus = 'idle';
  #pending: PendingApproval[] = [];
  /** A reply is streaming on screen; a `resync` drops it. */
  #partial = false;
  /** The connection has delivered its `resync`, which is newer than a `state()` asked for at the same time. */
  #resynced = false;
  /** The chat on screen may not be `#messages` (another connection drew it): the next resync redraws. */
  #stale = true;
  /** A prompt is on its way to the Worker. */
  #sending = false;
  /** Counts `agent_start`s, to tell whether the run a prompt started has been seen. */
  #runsSeen = 0;
  #state: ConnectionState = 'none';
  #active = false;
  #reconnect: ReturnType<typeof setTimeout> | undefined;
  readonly #answers: ApprovalAnswers = {
    approve: (toolCallId) => this.#answer('approve', toolCallId),
    deny: (toolCallId) => this.#answer('deny', toolCallId),
  };

  constructor(options: WorkerChatOptions) {
    this.#options = options;
  }

  /** The session on screen. */
  get id(): string {
    return this.#id;
  }

  /** A run goes on in the Worker, or a prompt is on its way there. */
  get running(): boolean {
    return this.#sending || this.#status === 'running';
  }

  /** The run stopped on calls that wait for Approve or Deny. */
  get awaiting(): boolean {
    return this.#status === 'awaiting_approval';
  }

  get connectionState(): ConnectionState {
    return this.#state;
  }

  /** For the status line: what the chat is doing, which Worker, and where its secret is kept. */
  statusText(): string {
    const { settings } = this.#options;
    const url = workerUrl(settings);
    const where = url ? `Worker ${url.host}` : 'no Worker URL';
    const secret = settings.workerSecret
      ? settings.rememberSecret
        ? 'secret remembered'
        : 'secret in memory'
      : 'no secret';
    const state =
      this.#state === 'reconnecting'
        ? 'Reconnecting…'
        : this.running
          ? 'Working…'
          : this.awaiting
            ? 'Waiting for approval'
            : this.#state === 'closed'
              ? 'Disconnected'
              : 'Ready';
    return `${state} · ${where} · ${secret}`;
  }

  /**
   * Worker mode on: the session on screen at the last visit, or a new one.
   * `clear` wipes what the page showed before (the page's welcome stays on
   * a first load).
   */
  start(clear: boolean): void {
    this.#active = true;
    this.#switch(this.#remembered() ?? newSessionId(), clear);
  }

  /** Worker mode off: stop following (the Worker's run goes on). */
  leave(): void {
    this.#active = false;
    clearTimeout(this.#reconnect);
    this.#disconnect();
    this.#options.approvals.clear();
  }

  /** A new session, under a new random id: the Worker makes it with its first prompt. */
  newChat(): void {
    const id = newSessionId();
    this.#switch(id, true);
    this.#remember(id);
  }

  /** Opens a session from History: its record first (`state()`), then its events. */
  async open(id: string): Promise<void> {
    if (id === this.#id) return;
    this.#switch(id, true);
    this.#remember(id);
    const connection = this.#connection;
    if (!connection) return;
    try {
      const state = await connection.state();
      // The connection's resync came first, and anything after it is newer than this answer.
      if (connection !== this.#connection || this.#resynced) return;
      this.#render(state.messages, state.status, state.pendingApprovals);
    } catch (error) {
      if (connection === this.#connection)
        this.#options.chat.notice(`Could not open the chat: ${messageOf(error)}`, 'error');
    }
  }

  /** Sends a prompt; false when the Worker did not take it (the reason is in the chat). */
  async send(text: string): Promise<boolean> {
    const connection = this.#connect();
    if (!connection) return false;
    this.#remember(this.#id);
    const seen = this.#runsSeen;
    this.#sending = true;
    this.#options.onChange();
    try {
      const { status } = await connection.prompt(text);
      // Running until the run's own events say otherwise, unless they came before this answer did.
      if (connection === this.#connection && this.#runsSeen === seen) this.#status = status;
      return true;
    } catch (error) {
      if (connection === this.#connection) {
        this.#options.chat.notice(`The Worker did not take the prompt: ${messageOf(error)}`, 'error');
      }
      return false;
    } finally {
      this.#sending = false;
      this.#options.onChange();
    }
  }

  /** Stop: aborts the Worker's run. */
  async stop(): Promise<void> {
    const connection = this.#connect();
    if (!connection) return;
    try {
      await connection.abort();
    } catch (error) {
      this.#options.chat.notice(`Could not stop the run: ${messageOf(error)}`, 'error');
    }
  }

  /** The settings changed: once the typing stops, follow the session with the new URL or secret. */
  settingsChanged(): void {
    if (!this.#active) return;
    clearTimeout(this.#reconnect);
    this.#reconnect = setTimeout(() => {
      if (missingSetup(this.#options.settings)) {
        // Not followed any more: what is on screen is redrawn by the next connection's resync.
        if (this.#connection) this.#stale = true;
        this.#disconnect();
      } else this.#connect();
      this.#options.onChange();
    }, RECONNECT_DELAY_MS);
  }

  /** The Worker's sessions for this secret, most recently updated first (`GET /sessions`). */
  async list(): Promise<HistoryEntry[]> {
    const { settings } = this.#options;
    const problem = missingSetup(settings);
    if (problem) throw new Error(problem);
    const target = workerUrl(settings) as URL;
    target.pathname = `${target.pathname.replace(/\/+$/, '')}/sessions`;
    // No redirects: the secret goes to the Worker's origin and nowhere else.
    const response = await fetch(target, {
      headers: { authorization: `Bearer ${settings.workerSecret}` },
      redirect: 'error',
    });
    if (!response.ok) {
      void response.body?.cancel().catch(() => {});
      throw new Error(`the Worker answered GET /sessions with HTTP ${response.status}`);
    }
    const body = (await response.json()) as { sessions?: unknown } | null;
    if (!Array.isArray(body?.sessions)) throw new Error('the Worker’s GET /sessions holds no list of sessions');
    return body.sessions.filter(isHistoryEntry);
  }

  // ------------------------------------------------------------ the session on screen

  #switch(id: string, clear: boolean): void {
    this.#disconnect();
    this.#id = id;
    this.#messages = [];
    this.#status = 'idle';
    this.#pending = [];
    this.#partial = false;
    this.#options.approvals.clear();
    if (clear) this.#options.chat.clear();
    // An empty session draws nothing, so the page's welcome stays until there is something.
    this.#stale = false;
    this.#connect();
    this.#options.onChange();
    this.#options.onHistory();
  }

  /** The connection for the settings in effect, made (again) when they changed; none while they are incomplete. */
  #connect(): AgentSessionConnection | undefined {
    clearTimeout(this.#reconnect);
    const { settings } = this.#options;
    if (missingSetup(settings)) return undefined;
    const url = settings.workerUrl.trim();
    const credentials = `${url}\n${settings.workerSecret}`;
    if (this.#connection && this.#credentials === credentials) return this.#connection;
    const before = this.#credentials.split('\n')[0];
    this.#disconnect();
    // Another Worker may hold something else under this id: what is on screen is redrawn from its resync.
    if (before && before !== url) this.#stale = true;
    const connection = connectAgent(url, {
      sessionId: this.#id,
      headers: { authorization: `Bearer ${settings.workerSecret}` },
    });
    this.#connection = connection;
    this.#credentials = credentials;
    this.#state = 'connecting';
    this.#resynced = false;
    connection.subscribe((event) => {
      if (connection === this.#connection) this.#onEvent(event);
    });
    return connection;
  }

  #disconnect(): void {
    const connection = this.#connection;
    // Cleared first, so that the connection's last event is not taken for news.
    this.#connection = undefined;
    this.#credentials = '';
    this.#state = 'none';
    this.#sending = false;
    connection?.close();
  }

  #onEvent(event: AgentSessionEvent): void {
    if (event.type === 'connection') {
      this.#onConnection(event);
      return;
    }
    if (event.type === 'resync') {
      this.#onResync(event);
      return;
    }
    const { chat } = this.#options;
    chat.handle(event);
    switch (event.type) {
      case 'agent_start':
        this.#runsSeen++;
        this.#status = 'running';
        this.#pending = [];
        this.#options.approvals.clear();
        break;
      case 'message_start':
        if (event.message.role === 'assistant') this.#partial = true;
        break;
      case 'message_end':
        this.#partial = false;
        this.#messages.push(event.message);
        break;
      case 'agent_end':
        this.#status = event.stopReason === 'awaiting_approval' ? 'awaiting_approval' : 'idle';
        this.#pending = event.pendingApprovals ?? [];
        this.#showApprovals();
        this.#options.onHistory();
        setTimeout(() => this.#options.onHistory(), LIST_SETTLE_MS);
        break;
      default:
        return;
    }
    this.#options.onChange();
  }

  #onConnection(event: AgentSessionConnectionEvent): void {
    const { chat } = this.#options;
    if (event.state === 'open') {
      // A frame that could not be used was skipped; the stream goes on.
      if (event.error) chat.notice(event.error, 'error');
      this.#state = 'open';
    } else if (event.state === 'reconnecting') {
      this.#state = 'reconnecting';
    } else {
      // An answer a retry would not change (401, 404, …): the next prompt or answer connects again.
      if (event.error) chat.notice(`Stopped following the chat on the Worker: ${event.error}`, 'error');
      this.#connection = undefined;
      this.#credentials = '';
      this.#state = 'closed';
      this.#status = 'idle';
      this.#stale = true;
    }
    this.#options.onChange();
  }

  /**
   * The messages this page missed, from `fromIndex` of the stored ones, and
   * where the run stands; a run that goes on sends its current reply again
   * from its start. What is on screen is redrawn from them.
   */
  #onResync(resync: AgentSessionResync): void {
    this.#resynced = true;
    if (resync.fromIndex > this.#messages.length) {
      // Stored messages this page never saw an event for (the Worker settled calls an eviction cut):
      // follow again from the start, whose resync brings every message.
      this.#messages = [];
      this.#stale = true;
      this.#disconnect();
      this.#connect();
      return;
    }
    const messages = [...this.#messages.slice(0, resync.fromIndex), ...resync.messages];
    this.#render(messages, resync.status, resync.pendingApprovals);
  }

  #render(messages: AgentMessage[], status: AgentSessionStatus, pending: PendingApproval[]): void {
    const unchanged =
      !this.#stale &&
      !this.#partial &&
      status !== 'running' &&
      status === this.#status &&
      messages.length === this.#messages.length &&
      idsOf(pending) === idsOf(this.#pending);
    this.#messages = messages;
    this.#status = status;
    this.#pending = pending;
    this.#partial = false;
    this.#stale = false;
    if (!unchanged) this.#options.chat.show(messages, { open: status !== 'idle', held: pending });
    this.#showApprovals();
    this.#options.onChange();
  }

  #showApprovals(): void {
    const { approvals } = this.#options;
    if (this.#status === 'awaiting_approval' && this.#pending.length > 0) approvals.show(this.#pending, this.#answers);
    else approvals.clear();
  }

  async #answer(action: 'approve' | 'deny', toolCallId: string): Promise<void> {
    const connection = this.#connect();
    if (!connection) {
      const problem = missingSetup(this.#options.settings) ?? 'not connected';
      this.#options.chat.notice(problem, 'error');
      throw new Error(problem);
    }
    try {
      if (action === 'approve') await connection.approve(toolCallId);
      else await connection.deny(toolCallId);
    } catch (error) {
      this.#options.chat.notice(`Could not ${action} the call: ${messageOf(error)}`, 'error');
      throw error;
    }
  }

  #remembered(): string | undefined {
    try {
      const id = this.#options.storage?.getItem(SESSION_KEY) ?? undefined;
      return id && SESSION_ID.test(id) ? id : undefined;
    } catch {
      return undefined;
    }
  }

  #remember(id: string): void {
    try {
      this.#options.storage?.setItem(SESSION_KEY, id);
    } catch {
      // Without storage a reload starts a new chat; History still lists this one.
    }
  }
}

/** What the Worker accepts as a session id. */
const SESSION_ID = /^[A-Za-z0-9_-]{1,128}$/;

/** 32 hex digits: random enough that nobody guesses another's session, and a valid id as it is. */
export function newSessionId(): string {
  return crypto.randomUUID().replaceAll('-', '');
}

function isHistoryEntry(value: unknown): value is HistoryEntry {
  if (typeof value !== 'object' || value === null) return false;
  const entry = value as Record<string, unknown>;
  return (
    typeof entry.id === 'string' &&
    SESSION_ID.test(entry.id) &&
    typeof entry.title === 'string' &&
    typeof entry.updatedAt === 'string' &&
    typeof entry.messageCount === 'number'
  );
}

function idsOf(calls: readonly PendingApproval[]): string {
  return calls.map((call) => call.toolCallId).join('\n');
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
