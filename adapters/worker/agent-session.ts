/**
 * `defineAgentSession(setup)`: the Durable Object class that holds one agent
 * session (one object per conversation). Its history is in the object's
 * SQLite, in the session format; its live events go to every client watching
 * (`SessionEventLog`); a run goes on when its client leaves; an eviction in
 * the middle of a run is repaired by an alarm; approvals wait in storage.
 * The same class also serves each identity's list of sessions (an object of
 * its own per identity), since one object cannot see another's storage.
 *
 * Requests reach it only from `createAgentSessionHandler`, which has already
 * authorized them and says who asks (`x-qcore-identity`) and which session
 * (`x-qcore-session`); a Durable Object cannot be reached from outside the
 * Worker, so those headers are trusted here.
 */
import { Agent } from '../../src/agent/agent.js';
import type { AgentSessionState, AgentSessionStatus, AgentSessionSummary } from '../../src/agent/session-protocol.js';
import type {
  AgentMessage,
  AgentOptions,
  AgentRunResult,
  ApprovalDecision,
  PendingApproval,
} from '../../src/agent/types.js';
import { parseAgentRequest } from '../../src/agent/wire/agent-request.js';
import { jsonError } from '../../src/agent/wire/responses.js';
import { SessionEventLog } from '../../src/agent/wire/session-event-log.js';
import { registerBuiltinApis } from '../../src/ai/providers/register-all.js';
import type { AssistantMessage, ToolCall, ToolResultMessage } from '../../src/ai/types.js';
import { loadSession } from '../../src/session/load-session.js';
import { recordSession } from '../../src/session/record-session.js';
import type { SessionMessageEntry } from '../../src/session/types.js';
import { DurableObjectSessionStore } from './durable-object-session-store.js';
import type { DurableObjectNamespace, DurableObjectState } from './durable-types.js';

/** What `setup` gives for a session: an agent's options, without the history (the object keeps that). */
export type AgentSessionConfig = Omit<AgentOptions, 'messages' | 'pendingApprovals'>;

/** Builds a session's agent from the Worker's bindings: model, tools, system prompt, keys. */
export type AgentSessionSetup<Env> = (env: Env, sessionId: string) => AgentSessionConfig | Promise<AgentSessionConfig>;

export interface AgentSessionOptions {
  /** The binding of this class's namespace, to reach each identity's session list. Default `AGENT_SESSIONS`. */
  binding?: string;
  /** A run with no event for this long is aborted. Default 10 minutes. */
  idleTimeoutMs?: number;
  /** How often a running session's alarm checks on it (and resumes a run an eviction cut). Default 30 s. */
  watchdogMs?: number;
  /** Bytes of events kept for clients that reconnect. Default 4 MiB. */
  maxBufferBytes?: number;
  /** How often an idle event stream gets a keep-alive comment, in ms. Default 15 000. */
  heartbeatMs?: number;
  /** The `retry:` the event stream asks clients to wait before reconnecting, in ms. Default 1 000. */
  retryMs?: number;
}

/** The class `defineAgentSession` returns: export it from the Worker under the binding's `class_name`. */
export interface AgentSessionClass<Env> {
  new (ctx: DurableObjectState, env: Env): AgentSessionObject;
}

/** What the runtime calls on the object. */
export interface AgentSessionObject {
  fetch(request: Request): Promise<Response>;
  alarm(): Promise<void>;
}

/** A class to extend: `DurableObject` from `cloudflare:workers`, or anything with its constructor. */
export type DurableObjectBaseClass = abstract new (ctx: DurableObjectState, env: never) => object;

/**
 * What sessions extend where `cloudflare:workers` cannot be imported (Node,
 * for types and tests): a class with `DurableObject`'s constructor. The
 * runtime needs only `fetch` and `alarm` from the class, which this provides.
 * Under workerd the entry's `workerd` condition passes the real one.
 */
class DurableObjectStandIn {
  constructor(
    readonly ctx: DurableObjectState,
    readonly env: unknown,
  ) {}
}

/** Internal headers from the handler: who asks, and for which session. */
export const IDENTITY_HEADER = 'x-qcore-identity';
export const SESSION_HEADER = 'x-qcore-session';

/** What is kept of the run between requests, so that an eviction loses none of it. */
interface RunRecord {
  status: AgentSessionStatus;
  pendingApprovals?: PendingApproval[];
  decisions?: Record<string, ApprovalDecision>;
}

const DEFAULT_IDLE_TIMEOUT_MS = 10 * 60 * 1000;
const DEFAULT_WATCHDOG_MS = 30 * 1000;
const INTERRUPTED =
  'The session was interrupted (its Durable Object was restarted) before this tool call finished; it may or may not have run.';

export function defineAgentSession<Env>(
  setup: AgentSessionSetup<Env>,
  options: AgentSessionOptions = {},
): AgentSessionClass<Env> {
  return defineAgentSessionOn(DurableObjectStandIn, setup, options);
}

/** `defineAgentSession` with the class to extend given: the `workerd` entry passes `DurableObject`. */
export function defineAgentSessionOn<Env>(
  base: DurableObjectBaseClass,
  setup: AgentSessionSetup<Env>,
  options: AgentSessionOptions = {},
): AgentSessionClass<Env> {
  const idleTimeoutMs = options.idleTimeoutMs ?? DEFAULT_IDLE_TIMEOUT_MS;
  const watchdogMs = options.watchdogMs ?? DEFAULT_WATCHDOG_MS;
  const binding = options.binding ?? 'AGENT_SESSIONS';

  class AgentSession extends (base as unknown as new (ctx: DurableObjectState, env: Env) => object) {
    readonly #state: DurableObjectState;
    readonly #env: Env;
    readonly #store: DurableObjectSessionStore;
    #epoch = 0;
    #sessionId: string | undefined;
    #identity: string | undefined;
    #log: SessionEventLog | undefined;
    #agent: Agent | undefined;
    #building: Promise<Agent> | undefined;
    /** The run going on in this instance, if any. */
    #running: Promise<void> | undefined;
    #lastEventAt = 0;

    constructor(ctx: DurableObjectState, env: Env) {
      super(ctx, env);
      this.#state = ctx;
      this.#env = env;
      // Eager: a dynamic import of a protocol is not allowed inside an object under the test pool.
      registerBuiltinApis();
      this.#store = new DurableObjectSessionStore(ctx.storage.sql);
      ctx.storage.sql.exec('CREATE TABLE IF NOT EXISTS qcore_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)');
      ctx.storage.sql.exec(
        'CREATE TABLE IF NOT EXISTS qcore_index (id TEXT PRIMARY KEY, title TEXT NOT NULL, updated_at TEXT NOT NULL, message_count INTEGER NOT NULL)',
      );
      // Each start is a new epoch: event ids from before it are known to be gone from memory.
      this.#epoch = Number(this.#meta('epoch') ?? '0') + 1;
      this.#setMeta('epoch', String(this.#epoch));
      this.#sessionId = this.#meta('session') ?? undefined;
      this.#identity = this.#meta('identity') ?? undefined;
    }

    async fetch(request: Request): Promise<Response> {
      const url = new URL(request.url);
      const identity = request.headers.get(IDENTITY_HEADER) ?? '';
      if (url.pathname === '/index/list') return Response.json({ sessions: this.#listIndex() });
      if (url.pathname === '/index/touch') {
        this.#touchIndex((await request.json()) as AgentSessionSummary);
        return new Response(null, { status: 204 });
      }
      const sessionId = request.headers.get(SESSION_HEADER) ?? '';
      if (this.#identity !== undefined && this.#identity !== identity) return notFound();
      if (this.#sessionId !== undefined && this.#sessionId !== sessionId) return notFound();
      if (this.#sessionId === undefined) {
        this.#sessionId = sessionId;
        this.#identity = identity;
      }
      const action = url.pathname.slice(1);
      try {
        switch (`${request.method} ${action}`) {
          case 'GET events':
            return this.#events(request, url);
          case 'GET state':
            return this.#stateResponse();
          case 'POST prompt':
            return await this.#prompt(request);
          case 'POST steer':
          case 'POST follow-up':
            return await this.#queue(request, action);
          case 'POST abort':
            return this.#abort();
          case 'POST approve':
          case 'POST deny':
            return await this.#answer(request, action);
          default:
            return jsonError(404, `no route ${request.method} /sessions/:id/${action}`);
        }
      } catch (error) {
        return jsonError(error instanceof RequestError ? error.status : 500, describe(error));
      }
    }

    /** The watchdog: ends a run that stopped moving, and takes up a run an eviction cut. */
    async alarm(): Promise<void> {
      const record = this.#runRecord();
      if (record.status !== 'running') return;
      if (this.#running) {
        if (Date.now() - this.#lastEventAt > idleTimeoutMs) this.#agent?.abort();
        await this.#state.storage.setAlarm(Date.now() + watchdogMs);
        return;
      }
      await this.#resumeInterrupted();
    }

    // ------------------------------------------------------------ routes

    #events(request: Request, url: URL): Response {
      const lastEventId = request.headers.get('last-event-id') ?? url.searchParams.get('lastEventId');
      return this.#eventLog().connect(
        lastEventId,
        (fromIndex) => {
          const record = this.#runRecord();
          return {
            messages: this.#messagesFrom(fromIndex),
            status: record.status,
            pendingApprovals: record.pendingApprovals ?? [],
          };
        },
        request.signal,
      );
    }

    #stateResponse(): Response {
      const sessionId = this.#sessionId as string;
      const info = this.#store.info(sessionId);
      if (!info) return notFound();
      const record = this.#runRecord();
      const state: AgentSessionState = {
        id: sessionId,
        title: info.title,
        createdAt: info.createdAt,
        updatedAt: info.updatedAt,
        messageCount: info.messageCount,
        status: record.status,
        messages: this.#messagesFrom(0),
        pendingApprovals: record.pendingApprovals ?? [],
      };
      return Response.json(state);
    }

    async #prompt(request: Request): Promise<Response> {
      const input = parseAgentRequest(await request.text());
      if (!input.ok) throw new RequestError(input.status, input.error);
      if (input.value.kind !== 'prompt') {
        throw new RequestError(400, 'send { "prompt": … }: the session keeps its own history');
      }
      const agent = await this.#ensureAgent();
      // Checked after the last await: two prompts at once cannot both pass it.
      const record = this.#runRecord();
      if (record.status === 'running') {
        throw new RequestError(409, 'a run is in progress: steer it, follow up, or abort it');
      }
      if (record.status === 'awaiting_approval') {
        throw new RequestError(409, 'the run waits for approve or deny of its pending tool calls');
      }
      const message = input.value.message;
      this.#startRun(() => agent.prompt(message));
      return Response.json({ status: 'running' }, { status: 202 });
    }

    async #queue(request: Request, action: string): Promise<Response> {
      const input = parseAgentRequest(await request.text());
      if (!input.ok) throw new RequestError(input.status, input.error);
      if (input.value.kind !== 'prompt') throw new RequestError(400, `send { "prompt": … } to ${action}`);
      if (!this.#running || !this.#agent)
        throw new RequestError(409, `no run is in progress to ${action}: prompt instead`);
      if (action === 'steer') this.#agent.steer(input.value.message);
      else this.#agent.followUp(input.value.message);
      return Response.json({ status: 'running' }, { status: 202 });
    }

    #abort(): Response {
      if (this.#running) {
        this.#agent?.abort();
        return Response.json({ aborted: true });
      }
      // A run an eviction cut, not yet taken up by the alarm: it simply ends.
      if (this.#runRecord().status === 'running') {
        this.#setRunRecord({ status: 'idle' });
        return Response.json({ aborted: true });
      }
      return Response.json({ aborted: false });
    }

    async #answer(request: Request, action: string): Promise<Response> {
      const body = await readJsonObject(request);
      const toolCallId = body.toolCallId;
      if (typeof toolCallId !== 'string' || toolCallId === '') {
        throw new RequestError(400, `send { "toolCallId": "…"${action === 'deny' ? ', "reason"?: "…"' : ''} }`);
      }
      const reason = body.reason;
      if (reason !== undefined && typeof reason !== 'string') throw new RequestError(400, 'reason must be a string');
      const agent = await this.#ensureAgent();
      // Checked after the last await, so that two answers at once cannot both start the run.
      const record = this.#runRecord();
      const pending = record.pendingApprovals ?? [];
      if (record.status !== 'awaiting_approval' || !pending.some((call) => call.toolCallId === toolCallId)) {
        throw new RequestError(404, `no tool call ${JSON.stringify(toolCallId.slice(0, 100))} awaits approval`);
      }
      const decision: ApprovalDecision =
        action === 'approve'
          ? { approved: true }
          : reason === undefined
            ? { approved: false }
            : { approved: false, reason };
      if (decision.approved) agent.approve(toolCallId);
      else agent.deny(toolCallId, decision.reason);
      const decisions = { ...record.decisions, [toolCallId]: decision };
      this.#setRunRecord({ ...record, decisions });
      if (pending.every((call) => decisions[call.toolCallId] !== undefined)) {
        this.#startRun(() => agent.continue());
        return Response.json({ status: 'running' }, { status: 202 });
      }
      return Response.json({ status: 'awaiting_approval' }, { status: 202 });
    }

    // ------------------------------------------------------------ runs

    #startRun(run: () => Promise<AgentRunResult>): void {
      this.#setRunRecord({ status: 'running' });
      this.#lastEventAt = Date.now();
      const done = (async () => {
        await this.#state.storage.setAlarm(Date.now() + watchdogMs);
        this.#touchOwnIndex();
        let result: AgentRunResult | undefined;
        try {
          result = await run();
        } catch (error) {
          console.error('AgentSession: the run failed', error);
        }
        const awaiting = result?.stopReason === 'awaiting_approval';
        this.#setRunRecord(
          awaiting
            ? { status: 'awaiting_approval', pendingApprovals: result?.pendingApprovals ?? [] }
            : { status: 'idle' },
        );
        await this.#state.storage.deleteAlarm();
        this.#touchOwnIndex();
      })().finally(() => {
        this.#running = undefined;
      });
      this.#running = done;
      this.#state.waitUntil?.(done);
    }

    /** After an eviction cut a run: settle the calls it left without results, then go on. */
    async #resumeInterrupted(): Promise<void> {
      const sessionId = this.#sessionId as string;
      const { messages } = loadSession(await this.#store.read(sessionId));
      const last = messages.at(-1);
      if (!last || (last.role === 'assistant' && !hasToolCalls(last))) {
        // The run had finished its last reply: nothing to take up.
        this.#setRunRecord({ status: 'idle' });
        await this.#state.storage.deleteAlarm();
        return;
      }
      const missing = unansweredCalls(messages);
      if (missing.length > 0) {
        // Results were never stored for these calls, and running them again could repeat what they did.
        for (const result of interruptedResults(missing)) {
          this.#store.appendSync(sessionId, { type: 'message', message: result } satisfies SessionMessageEntry);
        }
        this.#agent = undefined;
      }
      const agent = await this.#ensureAgent();
      this.#startRun(() => agent.continue());
    }

    /** The session's agent, built once per instance from `setup` and the stored history. */
    #ensureAgent(): Promise<Agent> {
      if (this.#agent) return Promise.resolve(this.#agent);
      this.#building ??= (async () => {
        const sessionId = this.#sessionId as string;
        const config = await setup(this.#env, sessionId);
        const entries = await this.#store.read(sessionId);
        const loaded = loadSession(entries);
        const record = this.#runRecord();
        const pendingApprovals = record.status === 'awaiting_approval' ? record.pendingApprovals : undefined;
        const agent = new Agent({
          ...config,
          messages: loaded.messages,
          ...(pendingApprovals?.length ? { pendingApprovals } : {}),
        });
        for (const [id, decision] of Object.entries(record.decisions ?? {})) {
          if (decision.approved) agent.approve(id);
          else agent.deny(id, decision.reason);
        }
        recordSession(agent, {
          store: this.#store,
          sessionId,
          ...(entries.length > 0 ? { resumed: loaded } : {}),
          onError: (error) => console.error('AgentSession: storing the session failed', error),
        });
        const log = this.#eventLog();
        agent.subscribe((event) => {
          this.#lastEventAt = Date.now();
          // recordSession writes every message_end as one entry, but may queue it behind the header (a new
          // session's first prompt): counted here, not read back from the store, so the frame counts it.
          if (event.type === 'message_end') log.stored++;
          log.push(event);
          // The identity's list follows each stored message, so a new session shows with its title at once.
          if (event.type === 'message_end') this.#touchOwnIndex();
        });
        this.#agent = agent;
        return agent;
      })().finally(() => {
        this.#building = undefined;
      });
      return this.#building;
    }

    #eventLog(): SessionEventLog {
      this.#log ??= new SessionEventLog({
        epoch: this.#epoch,
        stored: this.#store.info(this.#sessionId as string)?.messageCount ?? 0,
        ...(options.maxBufferBytes !== undefined ? { maxBufferBytes: options.maxBufferBytes } : {}),
        ...(options.heartbeatMs !== undefined ? { heartbeatMs: options.heartbeatMs } : {}),
        ...(options.retryMs !== undefined ? { retryMs: options.retryMs } : {}),
      });
      return this.#log;
    }

    #messagesFrom(fromIndex: number): AgentMessage[] {
      return this.#store
        .readMessagesFrom(this.#sessionId as string, fromIndex)
        .flatMap((entry) => (entry.type === 'message' ? [entry.message] : []));
    }

    // ------------------------------------------------------------ storage

    #meta(key: string): string | undefined {
      return this.#state.storage.sql
        .exec<{ value: string }>('SELECT value FROM qcore_meta WHERE key = ?', key)
        .toArray()[0]?.value;
    }

    #setMeta(key: string, value: string): void {
      this.#state.storage.sql.exec(
        'INSERT INTO qcore_meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value',
        key,
        value,
      );
    }

    #runRecord(): RunRecord {
      const text = this.#meta('run');
      return text ? (JSON.parse(text) as RunRecord) : { status: 'idle' };
    }

    #setRunRecord(record: RunRecord): void {
      if (this.#sessionId !== undefined && this.#meta('session') === undefined) {
        this.#setMeta('session', this.#sessionId);
        this.#setMeta('identity', this.#identity ?? '');
      }
      this.#setMeta('run', JSON.stringify(record));
    }

    /** Tells the identity's list object how this session stands now. */
    #touchOwnIndex(): void {
      const sessionId = this.#sessionId as string;
      const info = this.#store.info(sessionId);
      const namespace = (this.#env as Record<string, unknown>)[binding] as DurableObjectNamespace | undefined;
      if (!namespace) return;
      const summary: AgentSessionSummary = {
        id: sessionId,
        title: info?.title ?? '',
        updatedAt: info?.updatedAt ?? new Date().toISOString(),
        messageCount: info?.messageCount ?? 0,
      };
      const index = namespace.get(namespace.idFromName(indexObjectName(this.#identity ?? '')));
      this.#state.waitUntil?.(
        index
          .fetch(new Request('https://agent-session/index/touch', { method: 'POST', body: JSON.stringify(summary) }))
          .then((response) => void response.body?.cancel())
          .catch((error: unknown) => console.error('AgentSession: updating the session list failed', error)),
      );
    }

    #touchIndex(summary: AgentSessionSummary): void {
      this.#state.storage.sql.exec(
        `INSERT INTO qcore_index (id, title, updated_at, message_count) VALUES (?, ?, ?, ?)
         ON CONFLICT (id) DO UPDATE SET title = excluded.title, updated_at = excluded.updated_at, message_count = excluded.message_count`,
        summary.id,
        summary.title,
        summary.updatedAt,
        summary.messageCount,
      );
    }

    #listIndex(): AgentSessionSummary[] {
      return this.#state.storage.sql
        .exec<{ id: string; title: string; updated_at: string; message_count: number }>(
          'SELECT id, title, updated_at, message_count FROM qcore_index ORDER BY updated_at DESC, id',
        )
        .toArray()
        .map((row) => ({ id: row.id, title: row.title, updatedAt: row.updated_at, messageCount: row.message_count }));
    }
  }
  return AgentSession as unknown as AgentSessionClass<Env>;
}

/** The object that holds `sessionId` for `identity`: each identity's sessions are its own, by name. */
export function sessionObjectName(identity: string, sessionId: string): string {
  return `session:${identity.length}:${identity}:${sessionId}`;
}

/** The object that lists `identity`'s sessions. */
export function indexObjectName(identity: string): string {
  return `index:${identity.length}:${identity}`;
}

class RequestError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

async function readJsonObject(request: Request): Promise<Record<string, unknown>> {
  let value: unknown;
  try {
    value = JSON.parse(await request.text());
  } catch {
    throw new RequestError(400, 'the body is not JSON');
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new RequestError(400, 'the body must be a JSON object');
  }
  return value as Record<string, unknown>;
}

function hasToolCalls(message: AssistantMessage): boolean {
  return message.content.some((part) => part.type === 'toolCall');
}

/** The calls of the last reply that have no result after it. */
function unansweredCalls(messages: readonly AgentMessage[]): ToolCall[] {
  const index = messages.findLastIndex((message) => message.role === 'assistant');
  const assistant = messages[index] as AssistantMessage | undefined;
  if (!assistant) return [];
  const answered = new Set(
    messages.slice(index + 1).flatMap((message) => (message.role === 'toolResult' ? [message.toolCallId] : [])),
  );
  return assistant.content.filter((part): part is ToolCall => part.type === 'toolCall' && !answered.has(part.id));
}

/** An error result for each call: the run that would have given them their results is gone. */
function interruptedResults(calls: readonly ToolCall[]): ToolResultMessage[] {
  return calls.map((call) => ({
    role: 'toolResult' as const,
    toolCallId: call.id,
    toolName: call.name,
    content: [{ type: 'text' as const, text: INTERRUPTED }],
    isError: true,
    timestamp: Date.now(),
  }));
}

function notFound(): Response {
  return jsonError(404, 'no such session');
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
