/**
 * MCP's Streamable HTTP transport (spec 2025-06-18), on fetch alone: each
 * message is a POST whose answer is JSON or an event stream of messages; the
 * session id from `initialize` goes with every later request; a GET event
 * stream, when the server offers one, brings its notifications. An event
 * stream that ends before it carried its answer is resumed with a GET and
 * `Last-Event-ID`, after the `retry` the server asked for (SEP-1699); the GET
 * stream is reconnected the same way. A 404 to a request that carried the
 * session id means the session expired (`McpSessionExpiredError`). A server
 * that refuses the first POST with 400, 404 or 405 is tried with the older
 * HTTP+SSE transport (spec 2024-11-05): a GET event stream whose `endpoint`
 * event names the URL to POST to, with every answer on that stream.
 */
import { type FetchLike, fetchSameOrigin, readTextUpTo } from '../ai/guarded-fetch.js';
import { clipText, headerSecrets, redactSecrets } from '../ai/redact.js';
import { readServerSentEvents } from '../ai/sse.js';
import {
  type JsonRpcMessage,
  McpSessionExpiredError,
  type McpTransport,
  type McpTransportHandlers,
} from './transport.js';

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
/** Times a request's stream is resumed before the request fails. */
const MAX_RESUMES = 5;
/** Reconnects in a row of the GET stream that bring no event, before it is given up. */
const MAX_LISTEN_FAILURES = 5;
/** The wait before a reconnect when the server named none: doubled each time, up to the cap. */
const RECONNECT_BASE_MS = 1_000;
const RECONNECT_CAP_MS = 30_000;

/** Where an event stream got to: what a reconnect sends as `Last-Event-ID`, and when (`retry`). */
interface StreamPosition {
  lastEventId?: string;
  retryMs?: number;
  /** Events read, for telling a stream that brought something from one that did not. */
  events: number;
}

/** Resolves after `ms`, or at once when `signal` aborts. */
function pause(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const done = (): void => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });
}

/** Whether `delivered` is the response to `message`. */
const isAnswerTo = (message: JsonRpcMessage, delivered: JsonRpcMessage): boolean =>
  message.id !== undefined &&
  delivered.id === message.id &&
  delivered.method === undefined &&
  (delivered.result !== undefined || delivered.error !== undefined);

const backoff = (attempt: number): number => Math.min(RECONNECT_CAP_MS, RECONNECT_BASE_MS * 2 ** attempt);

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
    position?: StreamPosition,
  ): Promise<void> =>
    readServerSentEvents(
      response.body as ReadableStream<Uint8Array>,
      (event) => {
        if (position) {
          position.events++;
          if (event.id !== undefined) position.lastEventId = event.id;
        }
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
      position
        ? (ms) => {
            position.retryMs = ms;
          }
        : undefined,
    );

  const sessionHeaders = (): Record<string, string> => ({
    ...(sessionId ? { 'mcp-session-id': sessionId } : {}),
    ...(protocolVersion ? { 'mcp-protocol-version': protocolVersion } : {}),
  });

  /** A GET for an event stream, resuming after `lastEventId` when given. */
  const getStream = async (signal: AbortSignal, lastEventId?: string): Promise<Response> => {
    const headers: Record<string, string> = {
      ...(await resolveHeaders()),
      accept: 'text/event-stream',
      ...sessionHeaders(),
    };
    if (lastEventId !== undefined) headers['last-event-id'] = lastEventId;
    return fetchSameOrigin(doFetch, url, { method: 'GET', headers, signal }, who);
  };

  const isEventStream = (response: Response): boolean =>
    response.ok && (response.headers.get('content-type')?.includes('text/event-stream') ?? false);

  /** Stops the GET stream of an earlier session when a new one opens. */
  let listening: AbortController | undefined;

  /**
   * The GET stream for server notifications, reconnected while the client is
   * open: after the server's `retry`, else with backoff, resuming from the
   * last event id. A server without one answers 405; a 404 means the session
   * ended, and the next request starts a new one.
   */
  const listen = async (): Promise<void> => {
    listening?.abort();
    const stop = new AbortController();
    listening = stop;
    const signal = AbortSignal.any([stop.signal, closing.signal]);
    const position: StreamPosition = { events: 0 };
    for (let failures = 0, first = true; !signal.aborted; first = false) {
      const seen = position.events;
      try {
        const response = await getStream(signal, position.lastEventId);
        if (!isEventStream(response)) {
          void response.body?.cancel().catch(() => {});
          // Not offered, or the session is gone: nothing to reconnect to.
          if (first || response.status === 404 || response.status === 405) return;
        } else await readEvents(response, signal, undefined, undefined, position);
      } catch {
        // A broken connection: tried again below, like a stream the server ended.
      }
      if (signal.aborted) return;
      failures = position.events > seen ? 0 : failures + 1;
      if (failures >= MAX_LISTEN_FAILURES) return;
      await pause(position.retryMs ?? backoff(failures), signal);
    }
  };

  /**
   * Resumes the stream of a request that ended before it carried the answer:
   * a GET with `Last-Event-ID`, after the server's `retry`, until the answer
   * comes or `MAX_RESUMES` streams have ended without it. A stream that gave
   * no event id cannot be resumed, and the request fails at once rather than
   * at its timeout.
   */
  const resume = async (
    message: JsonRpcMessage,
    position: StreamPosition,
    signal: AbortSignal,
    answered: AbortController,
  ): Promise<void> => {
    for (let attempt = 0; !answered.signal.aborted && !signal.aborted; attempt++) {
      if (position.lastEventId === undefined) {
        throw new Error(
          `${who} ended the stream of ${message.method} before answering, and gave no event id to resume it`,
        );
      }
      if (attempt === MAX_RESUMES) {
        throw new Error(`${who} ended the stream of ${message.method} ${MAX_RESUMES + 1} times without answering`);
      }
      await pause(position.retryMs ?? backoff(attempt), signal);
      if (signal.aborted) return;
      const response = await getStream(AbortSignal.any([answered.signal, signal]), position.lastEventId);
      if (!isEventStream(response)) {
        const secrets = headerSecrets(await resolveHeaders());
        throw await errorFrom(response, `resuming ${message.method} (GET with Last-Event-ID)`, secrets);
      }
      const reading = AbortSignal.any([answered.signal, signal]);
      await readEvents(
        response,
        reading,
        undefined,
        (delivered) => {
          if (isAnswerTo(message, delivered)) answered.abort();
        },
        position,
      ).catch(() => {
        // A broken stream is resumed again, like one the server ended.
      });
    }
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
    if (response.status === 404 && sessionId !== undefined && message.method !== 'initialize') {
      void response.body?.cancel().catch(() => {});
      sessionId = undefined;
      listening?.abort();
      throw new McpSessionExpiredError(`${who} no longer knows this session (HTTP 404)`);
    }
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
      const opensListening = message.method === 'notifications/initialized' && options.openEventStream !== false;
      const type = response.headers.get('content-type') ?? '';
      if (response.status === 202 || response.status === 204 || !type) {
        void response.body?.cancel().catch(() => {});
      } else if (type.includes('text/event-stream')) {
        // The stream is done with once it has carried this request's answer, even if the server keeps it open.
        const answered = new AbortController();
        const position: StreamPosition = { events: 0 };
        let broken: unknown;
        await readEvents(
          response,
          AbortSignal.any(signal ? [answered.signal, signal, closing.signal] : [answered.signal, closing.signal]),
          undefined,
          (delivered) => {
            if (isAnswerTo(message, delivered)) answered.abort();
          },
          position,
        ).catch((error: unknown) => {
          broken = error;
        });
        if (message.id !== undefined && !answered.signal.aborted && !signal?.aborted && !closing.signal.aborted) {
          if (broken !== undefined && position.lastEventId === undefined) throw broken;
          const until = signal ? AbortSignal.any([signal, closing.signal]) : closing.signal;
          await resume(message, position, until, answered);
        }
      } else if (type.includes('application/json')) {
        deliver(await readJsonUpTo(response, MAX_MCP_MESSAGE_BYTES, who));
      } else void response.body?.cancel().catch(() => {});
      if (opensListening) listen().catch(() => {});
    },
    close: async () => {
      if (closing.signal.aborted) return;
      listening?.abort();
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
