/**
 * MCP's Streamable HTTP transport (spec 2025-06-18), on fetch alone: each
 * message is a POST whose answer is JSON or an event stream of messages; the
 * session id from `initialize` goes with every later request; a GET event
 * stream, when the server offers one, brings its notifications. A server
 * that refuses the first POST with 400, 404 or 405 is tried with the older
 * HTTP+SSE transport (spec 2024-11-05): a GET event stream whose `endpoint`
 * event names the URL to POST to, with every answer on that stream.
 */
import { type FetchLike, fetchSameOrigin, readTextUpTo } from '../ai/guarded-fetch.js';
import { clipText, headerSecrets, redactSecrets } from '../ai/redact.js';
import { readServerSentEvents } from '../ai/sse.js';
import type { JsonRpcMessage, McpTransport, McpTransportHandlers } from './transport.js';

/** Headers, or a function asked before each request (for tokens that expire). */
export type McpHeaders = Record<string, string> | (() => Record<string, string> | Promise<Record<string, string>>);

export interface HttpTransportOptions {
  /** The server's name, in errors. */
  name: string;
  url: string;
  headers?: McpHeaders;
  fetch?: FetchLike;
  /** Opens the GET event stream for server notifications after `initialize`. Default true. */
  openEventStream?: boolean;
}

/** The largest JSON answer read: 16 MiB. An event stream's events are bounded by `readServerSentEvents`. */
export const MAX_MCP_MESSAGE_BYTES = 16 * 1024 * 1024;
/** Characters of an error body kept in a message. */
const MAX_ERROR_CHARS = 500;
/** How long the older transport's `endpoint` event is awaited. */
const ENDPOINT_TIMEOUT_MS = 30_000;

/** Reads a JSON body of at most `maxBytes`; longer is an error, not a cut. */
async function readJsonUpTo(response: Response, maxBytes: number, who: string): Promise<unknown> {
  const reader = response.body?.getReader();
  if (!reader) return undefined;
  const decoder = new TextDecoder();
  let text = '';
  let read = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    read += value.length;
    if (read > maxBytes) {
      reader.cancel().catch(() => {});
      throw new Error(`${who} sent a message over the ${maxBytes}-byte limit`);
    }
    text += decoder.decode(value, { stream: true });
  }
  text += decoder.decode();
  if (text.trim() === '') return undefined;
  try {
    return JSON.parse(text);
  } catch {
    throw new Error(`${who} sent a body that is not JSON: ${clipText(text, 200)}`);
  }
}

/** A Streamable HTTP transport, falling back to HTTP+SSE. */
export function createHttpTransport(options: HttpTransportOptions): McpTransport {
  const { url, name } = options;
  const who = `MCP server "${name}"`;
  const doFetch: FetchLike = options.fetch ?? ((input, init) => fetch(input, init));
  const closing = new AbortController();
  let handlers: McpTransportHandlers | undefined;
  let sessionId: string | undefined;
  let protocolVersion: string | undefined;
  let initializeId: string | number | undefined;
  /** Set once the older transport is in use: where to POST. */
  let legacyEndpoint: string | undefined;
  let ended = false;

  const resolveHeaders = async (): Promise<Record<string, string>> =>
    typeof options.headers === 'function' ? await options.headers() : { ...options.headers };

  const errorFrom = async (response: Response, what: string, secrets: string[]): Promise<Error> => {
    const body = clipText(redactSecrets((await readTextUpTo(response)).trim(), secrets), MAX_ERROR_CHARS);
    return new Error(`${who}: ${what} answered HTTP ${response.status}${body ? `: ${body}` : ''}`);
  };

  const deliver = (value: unknown): void => {
    for (const message of Array.isArray(value) ? value : [value]) {
      if (typeof message !== 'object' || message === null) continue;
      const msg = message as JsonRpcMessage;
      if (initializeId !== undefined && msg.id === initializeId && msg.method === undefined) {
        const version = (msg.result as { protocolVersion?: unknown } | undefined)?.protocolVersion;
        if (typeof version === 'string') protocolVersion = version;
        initializeId = undefined;
      }
      handlers?.onMessage(msg);
    }
  };

  const end = (error?: Error): void => {
    if (ended) return;
    ended = true;
    handlers?.onClose(error);
  };

  /** Reads an event stream's messages until it ends; a stream that breaks ends only that request. */
  const readEvents = (
    response: Response,
    signal: AbortSignal,
    onEndpoint?: (data: string) => void,
    delivered?: (message: JsonRpcMessage) => void,
  ): Promise<void> =>
    readServerSentEvents(
      response.body as ReadableStream<Uint8Array>,
      (event) => {
        if (event.event === 'endpoint') return onEndpoint?.(event.data);
        if (event.event !== undefined && event.event !== 'message') return;
        let message: JsonRpcMessage;
        try {
          message = JSON.parse(event.data) as JsonRpcMessage;
        } catch {
          // Not JSON: skipped, as the SDK's client skips it.
          return;
        }
        deliver(message);
        delivered?.(message);
      },
      undefined,
      signal,
    );

  const sessionHeaders = (): Record<string, string> => ({
    ...(sessionId ? { 'mcp-session-id': sessionId } : {}),
    ...(protocolVersion ? { 'mcp-protocol-version': protocolVersion } : {}),
  });

  /** The GET stream for server notifications; a server without one answers 405. */
  const openEventStream = async (): Promise<void> => {
    const headers = { ...(await resolveHeaders()), accept: 'text/event-stream', ...sessionHeaders() };
    const response = await fetchSameOrigin(doFetch, url, { method: 'GET', headers, signal: closing.signal }, who);
    if (!response.ok || !response.headers.get('content-type')?.includes('text/event-stream')) {
      void response.body?.cancel().catch(() => {});
      return;
    }
    await readEvents(response, closing.signal);
  };

  /** The older transport: GET the event stream, wait for `endpoint`, and read the stream from then on. */
  const startLegacy = async (signal?: AbortSignal): Promise<void> => {
    const secretsHeaders = await resolveHeaders();
    const headers = { ...secretsHeaders, accept: 'text/event-stream' };
    const response = await fetchSameOrigin(doFetch, url, { method: 'GET', headers, signal: closing.signal }, who);
    if (!response.ok) throw await errorFrom(response, 'GET (HTTP+SSE)', headerSecrets(secretsHeaders));
    const endpoint = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${who} sent no endpoint event`)), ENDPOINT_TIMEOUT_MS);
      signal?.addEventListener('abort', () => reject(new Error(`${who}: connecting aborted`)), { once: true });
      readEvents(response, closing.signal, (data) => {
        clearTimeout(timer);
        const target = new URL(data, url);
        if (target.origin !== new URL(url).origin) reject(new Error(`${who} named an endpoint on another origin`));
        else resolve(target.href);
      }).then(
        () => {
          clearTimeout(timer);
          reject(new Error(`${who} ended its event stream`));
          if (legacyEndpoint) end();
        },
        (error: unknown) => {
          clearTimeout(timer);
          reject(error instanceof Error ? error : new Error(String(error)));
          if (legacyEndpoint && !closing.signal.aborted) end(error instanceof Error ? error : new Error(String(error)));
        },
      );
    });
    legacyEndpoint = endpoint;
  };

  const post = async (target: string, message: JsonRpcMessage, signal?: AbortSignal): Promise<Response> => {
    const given = await resolveHeaders();
    const headers = {
      ...given,
      accept: 'application/json, text/event-stream',
      'content-type': 'application/json',
      ...sessionHeaders(),
    };
    const signals = signal ? AbortSignal.any([signal, closing.signal]) : closing.signal;
    const response = await fetchSameOrigin(
      doFetch,
      target,
      { method: 'POST', headers, body: JSON.stringify(message), signal: signals },
      who,
    );
    if (!response.ok && response.status !== 202) {
      const error = await errorFrom(response, message.method ?? 'a response', headerSecrets(given));
      (error as Error & { status?: number }).status = response.status;
      throw error;
    }
    return response;
  };

  return {
    start: async (given) => {
      handlers = given;
    },
    send: async (message, sendOptions) => {
      if (closing.signal.aborted) throw new Error(`${who} is closed`);
      const signal = sendOptions?.signal;
      if (legacyEndpoint) {
        const response = await post(legacyEndpoint, message, signal);
        void response.body?.cancel().catch(() => {});
        return;
      }
      const isInitialize = message.method === 'initialize' && message.id !== undefined;
      if (isInitialize) initializeId = message.id;
      let response: Response;
      try {
        response = await post(url, message, signal);
      } catch (error) {
        const status = (error as { status?: number }).status;
        if (!isInitialize || (status !== 400 && status !== 404 && status !== 405)) throw error;
        await startLegacy(signal);
        const answer = await post(legacyEndpoint as unknown as string, message, signal);
        void answer.body?.cancel().catch(() => {});
        return;
      }
      if (isInitialize) sessionId = response.headers.get('mcp-session-id') ?? undefined;
      if (response.status === 202 || response.status === 204) {
        void response.body?.cancel().catch(() => {});
        if (message.method === 'notifications/initialized' && options.openEventStream !== false) {
          openEventStream().catch(() => {});
        }
        return;
      }
      const type = response.headers.get('content-type') ?? '';
      if (type.includes('text/event-stream')) {
        // The stream is done with once it has carried this request's answer, even if the server keeps it open.
        const answered = new AbortController();
        await readEvents(
          response,
          AbortSignal.any(signal ? [answered.signal, signal, closing.signal] : [answered.signal, closing.signal]),
          undefined,
          (delivered) => {
            const isAnswer = delivered.result !== undefined || delivered.error !== undefined;
            if (message.id !== undefined && delivered.id === message.id && isAnswer) answered.abort();
          },
        );
      } else if (type.includes('application/json')) {
        deliver(await readJsonUpTo(response, MAX_MCP_MESSAGE_BYTES, who));
      } else void response.body?.cancel().catch(() => {});
      if (message.method === 'notifications/initialized' && options.openEventStream !== false) {
        openEventStream().catch(() => {});
      }
    },
    close: async () => {
      if (closing.signal.aborted) return;
      closing.abort();
      ended = true;
      if (sessionId && !legacyEndpoint) {
        const headers = { ...(await resolveHeaders()), ...sessionHeaders() };
        try {
          const response = await fetchSameOrigin(doFetch, url, { method: 'DELETE', headers }, who);
          void response.body?.cancel().catch(() => {});
        } catch {
          // The session ends on the server's own timeout instead.
        }
      }
    },
  };
}
