/**
 * The client of a durable agent session (`connectAgent(url, { sessionId })`):
 * follows the session's event stream across reconnects and sends its
 * commands. The protocol is `session-protocol.ts`. Also the HTTP helpers
 * `connect-agent.ts` shares, so that neither imports the other at run time.
 */
import { baseUrlProblem } from '../ai/base-url.js';
import { EventStream } from '../ai/event-stream.js';
import { type FetchLike, fetchSameOrigin, RedirectRefusedError, readTextUpTo } from '../ai/guarded-fetch.js';
import { clipText, headerSecrets, redactSecrets } from '../ai/redact.js';
import { type EventSourceMessage, readServerSentEvents, StreamLimitError } from '../ai/sse.js';
import type { UserMessage } from '../ai/types.js';
import { AgentEventDecoder } from './agent-event-wire.js';
import {
  type AgentSessionResync,
  type AgentSessionState,
  type AgentSessionStatus,
  parseSessionEventId,
  SESSION_ID_PATTERN,
} from './session-protocol.js';
import type { AgentEvent } from './types.js';

export interface ConnectSessionOptions {
  /** The session to follow: 1–128 of `[A-Za-z0-9_-]`. */
  sessionId: string;
  /** Sent with every request, such as `authorization`; only to the URL's origin. */
  headers?: Record<string, string>;
  /** Aborting it is `close()`. Runs go on on the server: `abort()` stops one. */
  signal?: AbortSignal;
  /** Default: the global `fetch`. */
  fetch?: FetchLike;
  /**
   * Resume after this event id (the `lastEventId` of an earlier connection,
   * kept with the messages it delivered), instead of starting with a `resync`
   * of every stored message.
   */
  lastEventId?: string;
}

/**
 * The connection's own notices. `state` is
 * - `open`: the event stream is connected (again). With `error`: a frame
 *   could not be used (the server's `error` event, or data that does not
 *   decode) and was skipped; the stream goes on.
 * - `reconnecting`: the stream ended or broke, `error` says how; the next
 *   attempt, in `retryIn` ms, resumes after `lastEventId`.
 * - `closed`, the last event: `close()` or the `signal` (no `error`), or an
 *   answer a retry would not change, such as 401, 403 or 404 (`error`).
 */
export interface AgentSessionConnectionEvent {
  type: 'connection';
  state: 'open' | 'reconnecting' | 'closed';
  error?: string;
  retryIn?: number;
}

/**
 * What a session connection delivers, in order, each event once:
 * - the runs' `AgentEvent`s, rebuilt as a local Agent emits them;
 * - `resync`, when the client had missed frames the server no longer holds
 *   (and first on a connection without `lastEventId`): drop the partial
 *   message you show, put `messages` at index `fromIndex` of the stored
 *   messages you hold, and expect the running run (`status: 'running'`) to
 *   go on from the current message's `message_start`, or from a
 *   `message_end` whose start never came;
 * - `connection` notices.
 */
export type AgentSessionEvent = AgentEvent | AgentSessionResync | AgentSessionConnectionEvent;

/**
 * A session on a `createAgentSessionHandler` server. The event side never
 * throws: failures become `connection` events and reconnects. Commands
 * resolve to the server's answer or reject with an `AgentSessionError`.
 */
export interface AgentSessionConnection extends AsyncIterable<AgentSessionEvent> {
  readonly sessionId: string;
  /** The id of the last frame delivered: what a reconnect resumes after. */
  readonly lastEventId: string | undefined;
  /**
   * Calls `listener` with every event from now on; returns its unsubscribe.
   * Subscribe as soon as the connection is made: past events are not kept.
   * A listener that throws stops neither the others nor the stream.
   */
  subscribe(listener: (event: AgentSessionEvent) => void): () => void;
  /** Starts a run; rejects with status 409 while one runs or waits for approval. */
  prompt(prompt: string | UserMessage): Promise<{ status: AgentSessionStatus }>;
  /** Delivered to the running run; 409 when none runs. */
  steer(prompt: string | UserMessage): Promise<void>;
  /** Run after the running run; 409 when none runs. */
  followUp(prompt: string | UserMessage): Promise<void>;
  /** Stops the running run; `aborted` says whether one was running. */
  abort(): Promise<{ aborted: boolean }>;
  /** Answers a pending call (404 for one not pending); the run goes on once every call has an answer. */
  approve(toolCallId: string): Promise<{ status: AgentSessionStatus }>;
  deny(toolCallId: string, reason?: string): Promise<{ status: AgentSessionStatus }>;
  /** The session's record: status, every stored message, pending approvals. */
  state(): Promise<AgentSessionState>;
  /** Stops following and cancels requests in flight; the run on the server goes on. */
  close(): void;
}

/** A command the server refused (`status` set), or one that did not reach it. */
export class AgentSessionError extends Error {
  override name = 'AgentSessionError';
  constructor(
    message: string,
    readonly status?: number,
  ) {
    super(message);
  }
}

/** Characters of an HTTP error's message kept, after redaction. */
export const MAX_ERROR_CHARS = 500;
/** Characters of any error message kept, after redaction. */
export const MAX_MESSAGE_CHARS = 2000;
/** A command's answer, read at most: `state()` holds every stored message. */
const MAX_ANSWER_BYTES = 32 * 1024 * 1024;
const FIRST_BACKOFF_MS = 500;
const MAX_BACKOFF_MS = 30_000;

export function connectSession(url: string, options: ConnectSessionOptions): AgentSessionConnection {
  const { sessionId, signal } = options;
  const secrets = headerSecrets(options.headers);
  const doFetch = options.fetch ?? ((target: string, init: RequestInit) => fetch(target, init));
  const controller = new AbortController();
  const listeners = new Set<(event: AgentSessionEvent) => void>();
  const problem =
    baseUrlProblem(url, 'connectAgent: the URL') ??
    (SESSION_ID_PATTERN.test(sessionId)
      ? undefined
      : `connectAgent: the session id ${JSON.stringify(clipText(String(sessionId), 140))} is not 1-128 of [A-Za-z0-9_-]`);
  let lastEventId = options.lastEventId;
  // The last frame delivered, to drop one seen already: a server may replay past Last-Event-ID.
  let last = parseSessionEventId(lastEventId);
  // One decoder per run; a new one at each agent_start and at a resync.
  let decoder = new AgentEventDecoder();
  // Joined a run mid-message (after a resync): its updates are skipped until a message starts or ends.
  let joining = false;
  let ended: AgentSessionConnectionEvent | undefined;
  const clean = (text: string): string => clipText(redactSecrets(text, secrets), MAX_MESSAGE_CHARS);

  // Settles when the first attempt to open the event stream has: commands wait for it, so that a
  // run started at once is watched from its agent_start rather than caught up on by a resync.
  let firstAttempt!: () => void;
  const attempted = new Promise<void>((resolve) => {
    firstAttempt = resolve;
  });
  const emit = (event: AgentSessionEvent): void => {
    if (event.type === 'connection') firstAttempt();
    for (const listener of [...listeners]) {
      try {
        listener(event);
      } catch {
        // The listener's own failure: the others still get the event.
      }
    }
  };
  const close = (error?: string): void => {
    if (ended) return;
    ended =
      error === undefined ? { type: 'connection', state: 'closed' } : { type: 'connection', state: 'closed', error };
    controller.abort();
    signal?.removeEventListener('abort', onAbort);
    emit(ended);
    listeners.clear();
  };
  const onAbort = (): void => close();
  signal?.addEventListener('abort', onAbort, { once: true });

  const send = (method: string, path: string, body?: unknown, headers?: Record<string, string>): Promise<Response> => {
    const target = new URL(url);
    // On the URL's path, keeping its query (which may carry a token).
    target.pathname = `${target.pathname.replace(/\/+$/, '')}/sessions/${sessionId}${path}`;
    const init: RequestInit = {
      method,
      headers: {
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        ...options.headers,
        ...headers,
      },
      signal: controller.signal,
    };
    if (body !== undefined) init.body = JSON.stringify(body);
    return fetchSameOrigin(doFetch, target.href, init, 'connectAgent: the server');
  };

  const call = async <T>(method: 'GET' | 'POST', path: string, body?: unknown): Promise<T> => {
    const route = `connectAgent: ${method} /sessions/${sessionId}${path}`;
    if (problem) throw new AgentSessionError(problem);
    if (ended) throw new AgentSessionError(`${route}: the connection is closed`);
    await attempted;
    let response: Response;
    try {
      response = await send(method, path, body);
    } catch (error) {
      throw new AgentSessionError(clean(`${route} failed: ${describe(error)}`));
    }
    const { status } = response;
    if (!response.ok)
      throw new AgentSessionError(`${route}: HTTP ${status}: ${await errorText(response, secrets)}`, status);
    const text = await readTextUpTo(response, MAX_ANSWER_BYTES);
    try {
      return (text.trim() ? JSON.parse(text) : undefined) as T;
    } catch {
      throw new AgentSessionError(`${route}: the answer is not JSON, or longer than ${MAX_ANSWER_BYTES} bytes`, status);
    }
  };

  const onFrame = (frame: EventSourceMessage): void => {
    if (ended) return;
    const type = frame.event ?? 'message';
    const id = parseSessionEventId(frame.id);
    const resync = type === 'resync';
    // A new epoch always follows a resync, so only an older epoch or a smaller seq is a repeat.
    if (!resync && id && last && (id.epoch < last.epoch || (id.epoch === last.epoch && id.seq <= last.seq))) return;
    if (frame.id) lastEventId = frame.id;
    // After a resync the running message's frames may come with ids from before the resync's own.
    last = resync ? undefined : (id ?? last);
    try {
      if (resync) {
        const data = JSON.parse(frame.data) as AgentSessionResync | null;
        if (!Array.isArray(data?.messages)) throw new Error('the resync frame holds no messages');
        decoder = new AgentEventDecoder();
        joining = data.status === 'running';
        emit({ ...data, type: 'resync' });
        return;
      }
      if (type === 'agent_start') {
        decoder = new AgentEventDecoder();
        joining = false;
      }
      const event = decoder.decode(type, frame.data);
      if (event.type === 'message_start' || event.type === 'message_end') joining = false;
      emit(event);
    } catch (error) {
      // An update of a message whose start came before this client joined: its message_end brings it whole.
      if (joining && type === 'message_update') return;
      emit({ type: 'connection', state: 'open', error: clean(`connectAgent: ${describe(error)}`) });
    }
  };

  const follow = async (): Promise<void> => {
    if (problem) return close(problem);
    if (signal?.aborted) return close();
    const route = `connectAgent: GET /sessions/${sessionId}/events`;
    let retry: number | undefined;
    let failures = 0;
    while (!ended) {
      let error: string;
      try {
        const headers: Record<string, string> = { accept: 'text/event-stream' };
        if (lastEventId) headers['last-event-id'] = lastEventId;
        const response = await send('GET', '/events', undefined, headers);
        const { status } = response;
        const type = response.headers.get('content-type') ?? '';
        if (!response.ok) {
          error = `${route}: HTTP ${status}: ${await errorText(response, secrets)}`;
          // Unauthorised, not found and the like: the same request would get the same answer.
          if (status < 500 && status !== 408 && status !== 429) return close(error);
        } else if (!response.body || !type.includes('text/event-stream')) {
          void response.body?.cancel().catch(() => {});
          error = `${route}: expected an event stream, got ${type || 'no content type'}`;
        } else {
          emit({ type: 'connection', state: 'open' });
          await readServerSentEvents(
            response.body,
            onFrame,
            // Bytes arrived, keep-alives included: the stream was healthy, so backoff starts over.
            () => {
              failures = 0;
            },
            controller.signal,
            (ms) => {
              retry = ms;
            },
          );
          error = `${route}: the stream ended`;
        }
      } catch (caught) {
        if (ended) return;
        error = clean(`${route}: ${describe(caught)}`);
        // Would happen again: a redirect elsewhere, or a frame past the line bound, replayed on reconnect.
        if (caught instanceof RedirectRefusedError || caught instanceof StreamLimitError) return close(error);
      }
      if (ended) return;
      const base = retry ?? FIRST_BACKOFF_MS;
      const delay = Math.min(base * 2 ** failures++, Math.max(base, MAX_BACKOFF_MS));
      // Up to a quarter more, so that the clients of a restarted server spread out.
      const retryIn = Math.round(delay * (1 + Math.random() / 4));
      emit({ type: 'connection', state: 'reconnecting', error, retryIn });
      await new Promise<void>((resolve) => {
        const done = (): void => {
          clearTimeout(timer);
          controller.signal.removeEventListener('abort', done);
          resolve();
        };
        const timer = setTimeout(done, retryIn);
        controller.signal.addEventListener('abort', done);
      });
    }
  };
  // After the caller's synchronous subscribe, so that it sees every event.
  queueMicrotask(() => void follow());

  const subscribe = (listener: (event: AgentSessionEvent) => void): (() => void) => {
    if (!ended) listeners.add(listener);
    return () => void listeners.delete(listener);
  };
  const input = (prompt: string | UserMessage) => ({ prompt });
  return {
    sessionId,
    get lastEventId() {
      return lastEventId;
    },
    subscribe,
    prompt: (prompt) => call('POST', '/prompt', input(prompt)),
    steer: (prompt) => call('POST', '/steer', input(prompt)),
    followUp: (prompt) => call('POST', '/follow-up', input(prompt)),
    abort: () => call('POST', '/abort'),
    approve: (toolCallId) => call('POST', '/approve', { toolCallId }),
    // JSON leaves out a reason that is undefined.
    deny: (toolCallId, reason) => call('POST', '/deny', { toolCallId, reason }),
    state: () => call('GET', ''),
    close: () => close(),
    [Symbol.asyncIterator]() {
      // A queue only while someone iterates: nothing piles up for a connection used through subscribe.
      const queue = new EventStream<AgentSessionEvent, void>(
        (event) => event.type === 'connection' && event.state === 'closed',
        () => {},
      );
      const off = subscribe((event) => queue.push(event));
      if (ended) queue.push(ended);
      const events = queue[Symbol.asyncIterator]();
      return {
        next: () => events.next(),
        return: () => {
          off();
          return events.return!();
        },
      };
    },
  };
}

/** The server's message from an error answer: read up to a bound, redacted, then cut. */
export async function errorText(response: Response, secrets: readonly string[]): Promise<string> {
  const body = redactSecrets(await readTextUpTo(response), secrets).trim();
  let message = body;
  try {
    const parsed = JSON.parse(body) as { error?: unknown; message?: unknown };
    const error = parsed.error;
    if (typeof error === 'string') message = error;
    else if (
      typeof error === 'object' &&
      error !== null &&
      typeof (error as { message?: unknown }).message === 'string'
    ) {
      message = (error as { message: string }).message;
    } else if (typeof parsed.message === 'string') message = parsed.message;
  } catch {
    // Not JSON: the text is the message.
  }
  return clipText(message, MAX_ERROR_CHARS) || response.statusText || 'no details';
}

export function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
