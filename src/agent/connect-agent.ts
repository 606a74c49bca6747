import { baseUrlProblem } from '../ai/base-url.js';
import { errorKind } from '../ai/error-kind.js';
import { EventStream } from '../ai/event-stream.js';
import { fetchSameOrigin, RedirectRefusedError } from '../ai/guarded-fetch.js';
import { clipText, headerSecrets, redactSecrets } from '../ai/redact.js';
import { readServerSentEvents } from '../ai/sse.js';
import type { ErrorInfo, ErrorKind, UserMessage } from '../ai/types.js';
import { AgentEventDecoder, AgentWireError } from './agent-event-wire.js';
import {
  type AgentSessionConnection,
  type ConnectSessionOptions,
  connectSession,
  describe,
  errorText,
  MAX_MESSAGE_CHARS,
} from './connect-session.js';
import type { AgentEvent, AgentMessage, AgentStopReason, TurnMessage } from './types.js';

/** What to run: a new prompt, or a session's messages ending in the new input (run like `continue()`). */
export type ConnectAgentInput = { prompt: string | UserMessage } | { messages: AgentMessage[] };

export interface ConnectAgentOptions {
  /** Sent with the request, such as `authorization`. */
  headers?: Record<string, string>;
  /** Aborting cancels the request, which aborts the run on the server. */
  signal?: AbortSignal;
  /** Default: the global `fetch`. */
  fetch?: (url: string, init: RequestInit) => Promise<Response>;
}

/** What the remote run's `agent_end` said, its error's kind included. */
export interface ConnectAgentResult extends Partial<ErrorInfo> {
  /** The messages the run added, as in `agent_end`. */
  messages: TurnMessage[];
  stopReason: AgentStopReason;
  errorMessage?: string;
}

export type AgentConnection = EventStream<AgentEvent, ConnectAgentResult>;

const ABORTED = 'The run was aborted by the client';

/**
 * Runs an agent on a `createAgentHandler` endpoint and streams its events,
 * rebuilt so that they look like a local Agent's. Never throws: HTTP and
 * network failures end the stream with an `agent_end` whose stopReason is
 * `error`, and an abort through `signal` with `aborted`.
 *
 * The headers go only to the URL's origin: a redirect elsewhere is an error
 * (in a browser, any redirect is), and error messages never quote the values
 * of credential headers such as `authorization`.
 *
 * ```ts
 * const run = connectAgent('https://agent.example.workers.dev', { prompt: 'Hi' }, { headers });
 * for await (const event of run) if (event.type === 'message_update') render(event.message);
 * const { messages, stopReason } = await run.result();
 * ```
 */
export function connectAgent(url: string, input: ConnectAgentInput, options?: ConnectAgentOptions): AgentConnection;
/**
 * Follows a durable session (`createAgentSessionHandler` at `url`, its
 * base): its runs' events, whoever started them, across reconnects that
 * resume from the last event seen; and sends it prompts, steering, aborts and
 * approvals. See `AgentSessionConnection`.
 *
 * ```ts
 * const session = connectAgent('https://agents.example.com', { sessionId, headers });
 * session.subscribe((event) => (event.type === 'resync' ? reset(event) : render(event)));
 * await session.prompt('Hi');
 * ```
 */
export function connectAgent(url: string, options: ConnectSessionOptions): AgentSessionConnection;
export function connectAgent(
  url: string,
  input: ConnectAgentInput | ConnectSessionOptions,
  options: ConnectAgentOptions = {},
): AgentConnection | AgentSessionConnection {
  if ('sessionId' in input) return connectSession(url, input);
  const out: AgentConnection = new EventStream(
    (event) => event.type === 'agent_end',
    (event) => {
      if (event.type !== 'agent_end') throw new Error('not agent_end');
      const { type: _type, ...result } = event;
      return result;
    },
  );
  void run(url, input, options, out);
  return out;
}

async function run(
  url: string,
  input: ConnectAgentInput,
  options: ConnectAgentOptions,
  out: AgentConnection,
): Promise<void> {
  const decoder = new AgentEventDecoder();
  const signal = options.signal;
  const secrets = headerSecrets(options.headers);
  const end = (stopReason: 'aborted' | 'error', errorMessage: string, info?: ErrorInfo): void => {
    // A server's own error text can be as long as an SSE line; redacted first, then cut.
    const message = clipText(redactSecrets(errorMessage, secrets), MAX_MESSAGE_CHARS);
    for (const event of decoder.interrupt(stopReason, message, info)) out.push(event);
  };
  const fail = (errorMessage: string, errorKind: ErrorKind, errorStatus?: number): void =>
    end('error', errorMessage, errorStatus === undefined ? { errorKind } : { errorKind, errorStatus });
  if (signal?.aborted) return end('aborted', ABORTED);
  const problem = baseUrlProblem(url, 'connectAgent: the URL');
  if (problem) return fail(problem, 'invalid_request');

  let response: Response;
  try {
    const doFetch = options.fetch ?? ((target: string, init: RequestInit) => fetch(target, init));
    const init: RequestInit = {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'text/event-stream', ...options.headers },
      body: JSON.stringify(input),
    };
    if (signal) init.signal = signal;
    response = await fetchSameOrigin(doFetch, url, init, 'connectAgent: the server');
  } catch (error) {
    if (signal?.aborted) return end('aborted', ABORTED);
    if (error instanceof RedirectRefusedError) return fail(error.message, 'invalid_output');
    return fail(`connectAgent: the request to ${withoutQuery(url)} failed: ${describe(error)}`, 'network');
  }
  if (!response.ok) {
    const text = await errorText(response, secrets);
    return fail(`connectAgent: HTTP ${response.status}: ${text}`, errorKind(response.status, text), response.status);
  }
  const type = response.headers.get('content-type') ?? '';
  if (!response.body || !type.includes('text/event-stream')) {
    void response.body?.cancel().catch(() => {});
    return fail(`connectAgent: expected an event stream, got ${type || 'no content type'}`, 'invalid_output');
  }

  let failure: string | undefined;
  let failureKind: ErrorKind = 'network';
  try {
    await readServerSentEvents(
      response.body,
      (message) => {
        if (decoder.isEnded) return;
        try {
          out.push(decoder.decode(message.event ?? 'message', message.data));
        } catch (error) {
          failure = `connectAgent: ${describe(error)}`;
          failureKind = error instanceof AgentWireError ? error.kind : 'invalid_output';
          throw error;
        }
      },
      undefined,
      // A fetch that ignores the signal (one that calls a handler in-process) must still stop.
      signal,
    );
  } catch (error) {
    if (failure === undefined && !signal?.aborted)
      failure = `connectAgent: reading the stream failed: ${describe(error)}`;
  }
  if (decoder.isEnded) return;
  if (failure !== undefined) return fail(failure, failureKind);
  if (signal?.aborted) return end('aborted', ABORTED);
  fail('connectAgent: the stream ended before the run did (no agent_end)', 'network');
}

/** The URL for a message: its query may carry a token. */
function withoutQuery(url: string): string {
  const cut = url.search(/[?#]/);
  return cut === -1 ? url : url.slice(0, cut);
}
