import { EventStream } from '../ai/event-stream.js';
import { readServerSentEvents } from '../ai/sse.js';
import type { UserMessage } from '../ai/types.js';
import { AgentEventDecoder } from './agent-event-wire.js';
import type { AgentEvent, AgentMessage, AgentStopReason } from './types.js';

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

export interface ConnectAgentResult {
  /** The messages the run added, as in `agent_end`. */
  messages: AgentMessage[];
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
 * ```ts
 * const run = connectAgent('https://agent.example.workers.dev', { prompt: 'Hi' }, { headers });
 * for await (const event of run) if (event.type === 'message_update') render(event.message);
 * const { messages, stopReason } = await run.result();
 * ```
 */
export function connectAgent(
  url: string,
  input: ConnectAgentInput,
  options: ConnectAgentOptions = {},
): AgentConnection {
  const out: AgentConnection = new EventStream(
    (event) => event.type === 'agent_end',
    (event) => {
      if (event.type !== 'agent_end') throw new Error('not agent_end');
      const result: ConnectAgentResult = { messages: event.messages, stopReason: event.stopReason };
      if (event.errorMessage !== undefined) result.errorMessage = event.errorMessage;
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
  const end = (stopReason: 'aborted' | 'error', errorMessage: string): void => {
    for (const event of decoder.interrupt(stopReason, errorMessage)) out.push(event);
  };
  if (signal?.aborted) return end('aborted', ABORTED);

  let response: Response;
  try {
    const doFetch = options.fetch ?? ((target: string, init: RequestInit) => fetch(target, init));
    const init: RequestInit = {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'text/event-stream', ...options.headers },
      body: JSON.stringify(input),
    };
    if (signal) init.signal = signal;
    response = await doFetch(url, init);
  } catch (error) {
    if (signal?.aborted) return end('aborted', ABORTED);
    return end('error', `connectAgent: the request to ${url} failed: ${describe(error)}`);
  }
  if (!response.ok) return end('error', `connectAgent: HTTP ${response.status}: ${await errorText(response)}`);
  const type = response.headers.get('content-type') ?? '';
  if (!response.body || !type.includes('text/event-stream')) {
    void response.body?.cancel().catch(() => {});
    return end('error', `connectAgent: expected an event stream, got ${type || 'no content type'}`);
  }

  let failure: string | undefined;
  try {
    await readServerSentEvents(
      response.body,
      (message) => {
        if (decoder.isEnded) return;
        try {
          out.push(decoder.decode(message.event ?? 'message', message.data));
        } catch (error) {
          failure = `connectAgent: ${describe(error)}`;
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
  if (failure !== undefined) return end('error', failure);
  if (signal?.aborted) return end('aborted', ABORTED);
  end('error', 'connectAgent: the stream ended before the run did (no agent_end)');
}

async function errorText(response: Response): Promise<string> {
  let body = '';
  try {
    body = (await response.text()).trim();
  } catch {
    // The status alone has to do.
  }
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
  if (message.length > 500) message = `${message.slice(0, 500)}…`;
  return message || response.statusText || 'no details';
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
