/**
 * A durable session server in a function: the routes of
 * `src/agent/session-protocol.ts` over Request and Response, for one session,
 * with the frames scripted by the test (`emit`) instead of a running agent.
 * Pass `server.fetch` as `connectAgent`'s `fetch`. Web standards only, so it
 * runs in Node, Chromium and workerd alike.
 */
import { AgentEventEncoder } from '../../src/agent/agent-event-wire.js';
import {
  type AgentSessionResync,
  type AgentSessionState,
  type AgentSessionStatus,
  formatSessionEventId,
  parseSessionEventId,
} from '../../src/agent/session-protocol.js';
import type { AgentEvent, AgentMessage, PendingApproval } from '../../src/agent/types.js';
import type { AssistantMessage, UserMessage } from '../../src/ai/types.js';

export interface FakeRequest {
  url: string;
  method: string;
  /** After `/sessions/:id`: `/prompt`, `/events`, or `` for the state. */
  route: string;
  headers: Headers;
  body: unknown;
}

interface Frame {
  seq: number;
  text: string;
}

const bytes = new TextEncoder();

export class FakeSessionServer {
  readonly requests: FakeRequest[] = [];
  epoch = 1;
  status: AgentSessionStatus = 'idle';
  readonly messages: AgentMessage[] = [];
  pendingApprovals: PendingApproval[] = [];
  /** Sent as `retry:` when a stream opens. */
  retry: number | undefined;
  /** Replays this many frames from before the client's Last-Event-ID too, as a careless server might. */
  overlap = 0;
  /** Scripted answers by `METHOD route`, such as `POST /prompt`, instead of the protocol's. */
  readonly answers = new Map<string, () => Response>();
  #frames: Frame[] = [];
  #seq = 0;
  #encoder = new AgentEventEncoder();
  /** The seq of the streaming assistant message's `message_start`. */
  #messageStart: number | undefined;
  #streams = new Set<ReadableStreamDefaultController<Uint8Array>>();

  constructor(readonly sessionId = 'session-1') {}

  get openStreams(): number {
    return this.#streams.size;
  }

  /** Requests to a route, such as `GET /events`. */
  sent(route: string): FakeRequest[] {
    return this.requests.filter((request) => `${request.method} ${request.route}` === route);
  }

  /** The id of the last frame. */
  get lastEventId(): string {
    return formatSessionEventId({ epoch: this.epoch, seq: this.#seq, stored: this.messages.length });
  }

  /** Sends an agent event to every open stream and keeps it for replays; returns its id. */
  emit(event: AgentEvent): string {
    if (event.type === 'agent_start') this.status = 'running';
    if (event.type === 'agent_end') this.status = event.pendingApprovals?.length ? 'awaiting_approval' : 'idle';
    if (event.type === 'message_end') this.messages.push(event.message);
    const seq = ++this.#seq;
    if (event.type === 'message_start' && event.message.role === 'assistant') this.#messageStart = seq;
    if (event.type === 'message_end') this.#messageStart = undefined;
    const id = formatSessionEventId({ epoch: this.epoch, seq, stored: this.messages.length });
    const frame = { seq, text: `id: ${id}\n${this.#encoder.encode(event)}` };
    this.#frames.push(frame);
    for (const stream of this.#streams) stream.enqueue(bytes.encode(frame.text));
    return id;
  }

  emitAll(events: AgentEvent[]): void {
    for (const event of events) this.emit(event);
  }

  /** Sends a comment, as an idle stream does. */
  keepAlive(): void {
    for (const stream of this.#streams) stream.enqueue(bytes.encode(': keep-alive\n\n'));
  }

  /** Breaks every open stream, as a dropped connection does. */
  breakStreams(): void {
    for (const stream of this.#streams) stream.error(new TypeError('network connection lost'));
    this.#streams.clear();
  }

  /** Sends `text` as it is to every open stream, unkept: a frame that is not the wire format. */
  raw(text: string): void {
    for (const stream of this.#streams) stream.enqueue(bytes.encode(text));
  }

  /** A new start of the object (as after an eviction): a new epoch, no frames held, streams broken. */
  restart(): void {
    this.breakStreams();
    this.epoch++;
    this.#seq = 0;
    this.#frames = [];
    this.#encoder = new AgentEventEncoder();
    this.#messageStart = undefined;
  }

  /** Ends every open stream normally. */
  endStreams(): void {
    for (const stream of this.#streams) stream.close();
    this.#streams.clear();
  }

  /**
   * Drops the buffered frames, all of them or those before the streaming
   * message's `message_start`: ids before that are no longer replayable.
   */
  forget(keepStreamingMessage: boolean): void {
    const from = keepStreamingMessage ? (this.#messageStart ?? this.#seq + 1) : this.#seq + 1;
    this.#frames = this.#frames.filter((frame) => frame.seq >= from);
  }

  fetch = async (url: string, init: RequestInit): Promise<Response> => {
    const match = /\/sessions\/([^/]+)(\/.*)?$/.exec(new URL(url).pathname);
    const method = init.method ?? 'GET';
    const headers = new Headers(init.headers);
    const route = match?.[2] ?? '';
    const body = typeof init.body === 'string' ? JSON.parse(init.body) : undefined;
    this.requests.push({ url, method, route, headers, body });
    if (match?.[1] !== this.sessionId) return json(404, { error: `no session ${match?.[1]}` });
    const scripted = this.answers.get(`${method} ${route}`);
    if (scripted) return scripted();
    switch (`${method} ${route}`) {
      case 'GET /events':
        return this.#events(headers.get('last-event-id'), init.signal ?? undefined);
      case 'GET ':
        return json(200, this.#state());
      case 'POST /prompt':
        if (this.status !== 'idle') return json(409, { error: 'a run is in progress' });
        return json(202, { status: 'running' });
      case 'POST /steer':
      case 'POST /follow-up':
        if (this.status !== 'running') return json(409, { error: 'no run is in progress' });
        return new Response(null, { status: 202 });
      case 'POST /abort':
        return json(200, { aborted: this.status === 'running' });
      case 'POST /approve':
      case 'POST /deny': {
        const { toolCallId } = body as { toolCallId: string };
        const pending = this.pendingApprovals.filter((call) => call.toolCallId !== toolCallId);
        if (pending.length === this.pendingApprovals.length) {
          return json(404, { error: `no pending call ${toolCallId}` });
        }
        this.pendingApprovals = pending;
        if (pending.length === 0) this.status = 'running';
        return json(202, { status: this.status });
      }
    }
    return json(404, { error: `no route ${method} ${route}` });
  };

  #state(): AgentSessionState {
    const first = this.messages.find((message) => message.role === 'user') as UserMessage | undefined;
    return {
      id: this.sessionId,
      title: typeof first?.content === 'string' ? first.content : '',
      createdAt: '2026-01-01T00:00:00.000Z',
      updatedAt: '2026-01-01T00:00:00.000Z',
      messageCount: this.messages.length,
      status: this.status,
      messages: this.messages,
      pendingApprovals: this.pendingApprovals,
    };
  }

  /** As the protocol says: the frames after a held id, or a resync and the streaming message from its start. */
  #events(lastEventId: string | null, signal: AbortSignal | undefined): Response {
    const id = parseSessionEventId(lastEventId);
    const oldest = this.#frames[0]?.seq ?? this.#seq + 1;
    const opening = this.retry === undefined ? [] : [`retry: ${this.retry}\n\n`];
    if (id && id.epoch === this.epoch && id.seq >= oldest - 1 && id.seq <= this.#seq) {
      opening.push(...this.#after(id.seq - this.overlap));
    } else {
      const fromIndex = Math.min(id?.stored ?? 0, this.messages.length);
      const start = this.#messageStart !== undefined && this.#messageStart >= oldest ? this.#messageStart : undefined;
      const from = start ?? this.#seq + 1;
      const resync: AgentSessionResync = {
        type: 'resync',
        fromIndex,
        messages: this.messages.slice(fromIndex),
        status: this.status,
        pendingApprovals: this.pendingApprovals,
      };
      const resyncId = formatSessionEventId({ epoch: this.epoch, seq: from - 1, stored: this.messages.length });
      opening.push(`id: ${resyncId}\nevent: resync\ndata: ${JSON.stringify(resync)}\n\n`, ...this.#after(from - 1));
    }
    let stream!: ReadableStreamDefaultController<Uint8Array>;
    const body = new ReadableStream<Uint8Array>({
      start: (controller) => {
        stream = controller;
        for (const text of opening) controller.enqueue(bytes.encode(text));
        this.#streams.add(controller);
      },
      cancel: () => void this.#streams.delete(stream),
    });
    signal?.addEventListener('abort', () => this.#streams.delete(stream), { once: true });
    return new Response(body, { headers: { 'content-type': 'text/event-stream' } });
  }

  #after(seq: number): string[] {
    return this.#frames.filter((frame) => frame.seq > seq).map((frame) => frame.text);
  }
}

function json(status: number, body: unknown): Response {
  return new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });
}

const ZERO_USAGE = {
  input: 0,
  output: 0,
  cacheRead: 0,
  cacheWrite: 0,
  totalTokens: 0,
  cost: { input: 0, output: 0, cacheRead: 0, cacheWrite: 0, total: 0 },
};

/**
 * The events of a run that answers `prompt` with `reply`, streamed in
 * `pieces`: each `message_update` holds a snapshot of the partial as it was,
 * as the encoder would have seen the live one.
 */
export function scriptedRun(prompt: string, pieces: string[]): AgentEvent[] {
  const user: UserMessage = { role: 'user', content: prompt, timestamp: 1 };
  const partial = (text: string | undefined): AssistantMessage => ({
    role: 'assistant',
    content: text === undefined ? [] : [{ type: 'text', text }],
    api: 'anthropic-messages',
    provider: 'anthropic',
    model: 'claude-mock',
    usage: ZERO_USAGE,
    stopReason: 'stop',
    timestamp: 2,
  });
  const reply = pieces.join('');
  const final = partial(reply);
  const events: AgentEvent[] = [
    { type: 'agent_start' },
    { type: 'turn_start' },
    { type: 'message_start', message: user },
    { type: 'message_end', message: user },
    { type: 'message_start', message: partial(undefined) },
  ];
  const empty = partial('');
  events.push({
    type: 'message_update',
    message: empty,
    assistantMessageEvent: { type: 'text_start', contentIndex: 0, partial: empty },
  });
  let sofar = '';
  for (const piece of pieces) {
    sofar += piece;
    const message = partial(sofar);
    events.push({
      type: 'message_update',
      message,
      assistantMessageEvent: { type: 'text_delta', contentIndex: 0, delta: piece, partial: message },
    });
  }
  events.push(
    {
      type: 'message_update',
      message: final,
      assistantMessageEvent: { type: 'text_end', contentIndex: 0, content: reply, partial: final },
    },
    { type: 'message_end', message: final },
    {
      type: 'turn_end',
      message: final,
      toolResults: [],
      contextUsage: { tokens: 0, contextWindow: 200_000, percent: 0 },
    },
    { type: 'agent_end', messages: [user, final], stopReason: 'stop' },
  );
  return events;
}
