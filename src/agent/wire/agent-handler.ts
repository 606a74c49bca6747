/**
 * An agent as an HTTP endpoint, for Cloudflare Workers and any runtime whose
 * handlers take a `Request` and return a `Response`. Each request runs a
 * fresh Agent and streams its events in the wire format `connectAgent` reads.
 */
import { Agent } from '../agent.js';
import { AgentEventEncoder, encodeAgentWireError } from '../agent-event-wire.js';
import type { AgentEvent, AgentOptions } from '../types.js';
import { DEFAULT_MAX_BODY_BYTES, parseAgentRequest, readBodyText } from './agent-request.js';
import { type CorsOptions, corsHeaders, preflightResponse } from './cors.js';
import { jsonError, withHeaders } from './responses.js';

export interface AgentHandlerContext<Env> {
  request: Request;
  env: Env;
}

export interface AgentHandlerOptions<Env = unknown> extends AgentOptions {
  /**
   * Decides who may run the agent: `false` answers 401, a `Response` is sent
   * as is (a 403, say). **Without it anyone who can reach the URL runs the
   * agent on your API key.** It is the one place for authentication. It runs
   * only for a POST whose Content-Type is `application/json` (anything else is
   * refused with 415 first), which a page on another site can send only
   * through CORS. A credential the browser attaches by itself, such as a
   * cookie, still needs a check of the `Origin` header here.
   */
  authorize?: (request: Request, env: Env) => boolean | Response | Promise<boolean | Response>;
  /** Largest request body accepted, in bytes; more is refused with 413. Default 4 MiB. */
  maxBodyBytes?: number;
  /** Lets browser pages on these origins call the endpoint. Default: no CORS headers. */
  cors?: CorsOptions;
  /**
   * How often an SSE comment goes out while the run lasts, in ms. Default
   * 5 000; 0 turns it off. It is how the runtime notices a client that left
   * while the model was thinking or a tool was running (workerd
   * learns of a disconnect only when a write fails, the second after the
   * client left), and it keeps idle connections open through proxies.
   */
  heartbeatMs?: number;
  /** Sees every event of the run, on the server: for logs, or to store the session. */
  onEvent?: (event: AgentEvent, context: AgentHandlerContext<Env>) => void;
}

/** Options, or a function that builds them for each request from the Worker's bindings. */
export type AgentHandlerSetup<Env> =
  | AgentHandlerOptions<Env>
  | ((env: Env, request: Request) => AgentHandlerOptions<Env> | Promise<AgentHandlerOptions<Env>>);

/** The part of a Worker's `ExecutionContext` the handler uses. */
export interface WaitUntilContext {
  waitUntil(promise: Promise<unknown>): void;
}

export type AgentFetchHandler<Env> = (request: Request, env: Env, ctx?: WaitUntilContext) => Promise<Response>;

const DEFAULT_HEARTBEAT_MS = 5_000;

const SSE_HEADERS: Record<string, string> = {
  'content-type': 'text/event-stream; charset=utf-8',
  'cache-control': 'no-cache, no-transform',
  'x-content-type-options': 'nosniff',
};

/**
 * Builds a `fetch` handler: `export default { fetch: createAgentHandler((env) => ({ … })) }`.
 *
 * Building it does no work: a Worker may not start timers, make ids or do
 * I/O at global scope, so options are resolved per request. A function
 * setup runs on every request, before `authorize`: keep it cheap and do not
 * connect to anything there. Fixed options share their tools (and so any
 * workspace) between requests; a function gives each request its own.
 *
 * The POST body is JSON (`Content-Type: application/json`, else 415):
 * `{ prompt }` or `{ messages }` (a session whose last message is the new
 * input; the options' own `messages` go first). The
 * client's messages are trusted as the conversation: `authorize` is what
 * decides who may talk to the model. A client that disconnects aborts the
 * run, through the body's `cancel()` and `request.signal` (the
 * `enable_request_signal` compatibility flag); the heartbeat makes sure the
 * runtime notices.
 */
export function createAgentHandler<Env = unknown>(setup: AgentHandlerSetup<Env>): AgentFetchHandler<Env> {
  return async (request, env, ctx) => {
    let options: AgentHandlerOptions<Env>;
    try {
      options = typeof setup === 'function' ? await setup(env, request) : setup;
    } catch (error) {
      console.error('createAgentHandler: building the options failed', error);
      return jsonError(500, 'the agent endpoint is misconfigured', {});
    }
    const cors = corsHeaders(options.cors, request);
    if (request.method === 'OPTIONS' && options.cors) return preflightResponse(options.cors, request);
    if (request.method !== 'POST') {
      const allow = options.cors ? 'POST, OPTIONS' : 'POST';
      return jsonError(405, `${request.method} is not allowed: POST a JSON body`, { ...cors, allow });
    }

    // A page on any site can POST text/plain or a form, with the user's cookies, and no preflight
    // asks first; application/json cannot be sent cross-site without CORS letting it through.
    if (!isJsonContentType(request.headers.get('content-type'))) {
      return jsonError(415, 'send the body as JSON, with Content-Type: application/json', {
        ...cors,
        'accept-post': 'application/json',
      });
    }

    if (options.authorize) {
      let verdict: boolean | Response;
      try {
        verdict = await options.authorize(request, env);
      } catch (error) {
        console.error('createAgentHandler: authorize threw', error);
        return jsonError(500, 'authorization failed', cors);
      }
      if (verdict instanceof Response) return withHeaders(verdict, cors);
      if (verdict !== true) return jsonError(401, 'unauthorized', { ...cors, 'www-authenticate': 'Bearer' });
    }

    const text = await readBodyText(request, options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES);
    if (!text.ok) return jsonError(text.status, text.error, cors);
    const input = parseAgentRequest(text.value);
    if (!input.ok) return jsonError(input.status, input.error, cors);

    const {
      authorize: _a,
      maxBodyBytes: _m,
      cors: _c,
      heartbeatMs = DEFAULT_HEARTBEAT_MS,
      onEvent,
      messages: history = [],
      ...agentOptions
    } = options;
    const run = input.value;
    const agent = new Agent({
      ...agentOptions,
      messages: run.kind === 'messages' ? [...history, ...run.messages] : history,
    });
    const context: AgentHandlerContext<Env> = { request, env };
    const bytes = new TextEncoder();
    const encoder = new AgentEventEncoder();
    let open = true;
    let heartbeat: ReturnType<typeof setInterval> | undefined;
    let stream!: ReadableStreamDefaultController<Uint8Array>;
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        stream = controller;
      },
      cancel() {
        open = false;
        clearInterval(heartbeat);
        agent.abort();
      },
    });
    const send = (chunk: string): void => {
      if (open) stream.enqueue(bytes.encode(chunk));
    };
    const close = (): void => {
      clearInterval(heartbeat);
      if (!open) return;
      open = false;
      stream.close();
    };
    agent.subscribe((event) => {
      if (onEvent) {
        try {
          onEvent(event, context);
        } catch (error) {
          console.error('createAgentHandler: onEvent threw', error);
        }
      }
      try {
        send(encoder.encode(event));
      } catch (error) {
        // An event that cannot be sent (a tool's details that are not JSON) would leave the client guessing.
        send(encodeAgentWireError(`an event could not be sent: ${describe(error)}`));
        close();
        agent.abort();
      }
    });

    const disconnected = (): void => agent.abort();
    request.signal?.addEventListener('abort', disconnected, { once: true });
    const done = (run.kind === 'prompt' ? agent.prompt(run.message) : agent.continue())
      .catch((error: unknown) => send(encodeAgentWireError(`the run failed: ${describe(error)}`)))
      .finally(() => {
        request.signal?.removeEventListener('abort', disconnected);
        close();
      });
    if (request.signal?.aborted) agent.abort();
    if (heartbeatMs > 0 && open) heartbeat = setInterval(() => send(': keep-alive\n\n'), heartbeatMs);
    ctx?.waitUntil(done);
    return new Response(body, { status: 200, headers: { ...SSE_HEADERS, ...cors } });
  };
}

function isJsonContentType(value: string | null): boolean {
  return value?.split(';')[0]?.trim().toLowerCase() === 'application/json';
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
