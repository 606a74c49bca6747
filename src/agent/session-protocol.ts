/**
 * The durable session protocol: an agent session that lives on a server (a
 * Durable Object per session, `defineAgentSession` in `qcore/worker`) and
 * the client that follows it (`connectAgent(url, { sessionId })`). Types and
 * the few pure helpers both sides share; no I/O.
 *
 * Routes, relative to the handler's base URL (bodies are JSON):
 *
 *   POST /sessions/:id/prompt     { prompt }   → 202 { status }: starts a run (409 while one runs or waits for approval)
 *   POST /sessions/:id/steer      { prompt }   → 202: delivered to the running run (409 when none runs)
 *   POST /sessions/:id/follow-up  { prompt }   → 202: run after the running run (409 when none runs)
 *   POST /sessions/:id/abort                   → 200 { aborted }: whether a run was running
 *   POST /sessions/:id/approve    { toolCallId }          → 202 { status }
 *   POST /sessions/:id/deny       { toolCallId, reason? } → 202 { status }
 *        (once every pending call has an answer, the run goes on with `continue()`; 404 for an id not pending)
 *   GET  /sessions/:id/events     → text/event-stream, honouring `Last-Event-ID` (or `?lastEventId=`)
 *   GET  /sessions/:id            → AgentSessionState (404 for a session this identity does not own or never wrote)
 *   GET  /sessions                → { sessions: AgentSessionSummary[] }, most recently updated first
 *
 * The event stream: each frame is `id: <event id>\nevent: <type>\ndata: <json>\n\n`, where the
 * type and data are the agent wire format of `agent-event-wire.ts` (one `AgentEventEncoder` per
 * session, so `message_update` carries deltas), plus one frame of this protocol's own:
 * `event: resync` with `AgentSessionResync`. A stream opens with `retry: <ms>` and sends
 * `: keep-alive` comments while idle. A run's events go from `agent_start` to `agent_end`, and
 * the stream stays open across runs.
 *
 * Joining: with a `Last-Event-ID` the server still holds, the frames after it follow. Otherwise
 * (a first connection, an id from before the object was evicted, or one too old for the
 * buffer) the server sends `resync` first: the stored messages the client has not seen, and
 * whether a run is going; then the running message's frames from its `message_start`, if the
 * buffer still holds it; then the live frames. A client drops whatever partial message it had
 * when `resync` comes, and puts `messages` at `fromIndex` of the stored messages: the store may
 * hold messages no frame announced (the error results written for tool calls an eviction cut).
 *
 * A tool call that `beforeToolCall` holds for approval gets no `tool_execution_start`: the run
 * ends with `agent_end` whose `pendingApprovals` lists it, and `resync` and `GET /sessions/:id`
 * carry the same list.
 */
import type { AgentMessage, PendingApproval } from './types.js';

/** Where a session is: between runs, running, or stopped on calls that wait for approve or deny. */
export type AgentSessionStatus = 'idle' | 'running' | 'awaiting_approval';

/** One session in `GET /sessions`. */
export interface AgentSessionSummary {
  id: string;
  /** The start of the first user message, on one line; empty before there is one. */
  title: string;
  /** ISO 8601. */
  updatedAt: string;
  /** Messages stored, compacted ones included. */
  messageCount: number;
}

/** `GET /sessions/:id`. */
export interface AgentSessionState extends AgentSessionSummary {
  /** ISO 8601. */
  createdAt: string;
  status: AgentSessionStatus;
  /** Every stored message, in order (compaction does not remove them from the record). */
  messages: AgentMessage[];
  /** With `awaiting_approval`: the calls waiting for an answer. */
  pendingApprovals: PendingApproval[];
}

/** The `resync` frame: what a client that missed frames needs before the live ones. */
export interface AgentSessionResync {
  type: 'resync';
  /** The index in the session's stored messages of `messages[0]`: what the client already has. */
  fromIndex: number;
  /** The stored messages from `fromIndex` on. */
  messages: AgentMessage[];
  status: AgentSessionStatus;
  pendingApprovals: PendingApproval[];
}

/**
 * An event id: `<epoch>.<seq>.<stored>`. `epoch` counts the object's starts
 * (so an id from before an eviction is recognised as such), `seq` counts
 * frames within an epoch, and `stored` is how many messages were stored when
 * the frame went out (what a `resync` starts from). Opaque to clients, which
 * only send the last one back.
 */
export interface AgentSessionEventId {
  epoch: number;
  seq: number;
  stored: number;
}

export function formatSessionEventId(id: AgentSessionEventId): string {
  return `${id.epoch}.${id.seq}.${id.stored}`;
}

/** The parts of an event id, or undefined for anything that is not one. */
export function parseSessionEventId(text: string | null | undefined): AgentSessionEventId | undefined {
  const match = /^(\d{1,15})\.(\d{1,15})\.(\d{1,15})$/.exec(text ?? '');
  if (!match) return undefined;
  return { epoch: Number(match[1]), seq: Number(match[2]), stored: Number(match[3]) };
}

/** Session ids in URLs: 1–128 of `[A-Za-z0-9_-]`, so they need no escaping and name one object. */
export const SESSION_ID_PATTERN = /^[A-Za-z0-9_-]{1,128}$/;
