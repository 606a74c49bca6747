/**
 * `createAgentSessionHandler`: the Worker's side of durable sessions. It
 * authorizes every request, checks the route and the session id, and hands
 * the request to the Durable Object that holds that session for that
 * identity (or, for `GET /sessions`, to the identity's list object). The
 * routes are in `src/agent/session-protocol.ts`.
 */
import { SESSION_ID_PATTERN } from '../../src/agent/session-protocol.js';
import { readBodyText } from '../../src/agent/wire/agent-request.js';
import { type CorsOptions, corsHeaders, preflightResponse } from '../../src/agent/wire/cors.js';
import { jsonError, withHeaders } from '../../src/agent/wire/responses.js';
import { IDENTITY_HEADER, indexObjectName, SESSION_HEADER, sessionObjectName } from './agent-session.js';
import type { DurableObjectNamespace, ExecutionContextLike } from './durable-types.js';

/** `authorize`'s answer: who asks, a refusal (`false` is 401), or a `Response` to send as is. */
export type AgentSessionAuthorization = { identity: string } | boolean | Response;

export interface AgentSessionHandlerOptions<Env> {
  /** The Durable Object namespace binding of the `defineAgentSession` class. Default `AGENT_SESSIONS`. */
  binding?: string;
  /**
   * Who may use which sessions. Runs before anything else, for every route.
   * `{ identity }` scopes the caller to that identity's sessions: another
   * identity's are 404, as if they did not exist. `true` lets the caller in
   * with the empty identity, which everyone let in shares. Required: an
   * endpoint anyone can reach spends your model key, so opening it is a
   * choice you write down (`authorize: () => true`).
   */
  authorize: (request: Request, env: Env) => AgentSessionAuthorization | Promise<AgentSessionAuthorization>;
  /** Lets browser pages on these origins call the endpoint. Default: no CORS headers. */
  cors?: CorsOptions;
  /** Largest request body accepted, in bytes; more is refused with 413. Default 4 MiB. */
  maxBodyBytes?: number;
}

export interface AgentSessionHandler<Env> {
  fetch(request: Request, env: Env, ctx?: ExecutionContextLike): Promise<Response>;
}

/** An identity is at most this long: it is part of an object's name. */
const MAX_IDENTITY_CHARS = 512;
const DEFAULT_MAX_BODY_BYTES = 4 * 1024 * 1024;
const POST_ACTIONS = new Set(['prompt', 'steer', 'follow-up', 'abort', 'approve', 'deny']);

export function createAgentSessionHandler<Env>(options: AgentSessionHandlerOptions<Env>): AgentSessionHandler<Env> {
  const binding = options.binding ?? 'AGENT_SESSIONS';
  const maxBodyBytes = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  return {
    async fetch(request, env) {
      const cors = corsHeaders(options.cors, request);
      if (request.method === 'OPTIONS' && options.cors)
        return preflightResponse(options.cors, request, 'GET, POST, OPTIONS');
      const namespace = (env as Record<string, unknown>)[binding] as DurableObjectNamespace | undefined;
      if (!namespace || typeof namespace.idFromName !== 'function') {
        console.error(`createAgentSessionHandler: no Durable Object namespace is bound as ${binding}`);
        return jsonError(500, 'the agent session endpoint is misconfigured', cors);
      }

      let verdict: AgentSessionAuthorization;
      try {
        verdict = await options.authorize(request, env);
      } catch (error) {
        console.error('createAgentSessionHandler: authorize threw', error);
        return jsonError(500, 'authorization failed', cors);
      }
      if (verdict instanceof Response) return withHeaders(verdict, cors);
      if (verdict === false || (typeof verdict === 'object' && typeof verdict.identity !== 'string')) {
        return jsonError(401, 'unauthorized', { ...cors, 'www-authenticate': 'Bearer' });
      }
      const identity = verdict === true ? '' : verdict.identity;
      if (identity.length > MAX_IDENTITY_CHARS) {
        console.error(
          `createAgentSessionHandler: authorize returned an identity over ${MAX_IDENTITY_CHARS} characters`,
        );
        return jsonError(500, 'authorization failed', cors);
      }

      const route = parseRoute(new URL(request.url).pathname);
      if (!route) return jsonError(404, `no such route: ${request.method} ${new URL(request.url).pathname}`, cors);
      if (route.kind === 'list') {
        if (request.method !== 'GET') return jsonError(405, 'GET /sessions', { ...cors, allow: 'GET' });
        const index = namespace.get(namespace.idFromName(indexObjectName(identity)));
        return withHeaders(await index.fetch(new Request('https://agent-session/index/list')), cors);
      }
      if (!SESSION_ID_PATTERN.test(route.sessionId)) {
        return jsonError(400, 'a session id is 1–128 characters of A–Z, a–z, 0–9, _ and -', cors);
      }
      const action = route.action ?? 'state';
      const allowed = action === 'state' || action === 'events' ? 'GET' : POST_ACTIONS.has(action) ? 'POST' : undefined;
      if (!allowed) return jsonError(404, `no such route: /sessions/:id/${action}`, cors);
      if (request.method !== allowed) return jsonError(405, `${allowed} this route`, { ...cors, allow: allowed });
      if (allowed === 'POST') {
        const type = request.headers.get('content-type')?.split(';')[0]?.trim().toLowerCase();
        // As for createAgentHandler: a page on another site cannot send JSON here without CORS letting it.
        if (action !== 'abort' && type !== 'application/json') {
          return jsonError(415, 'send the body as JSON, with Content-Type: application/json', cors);
        }
      }

      const headers = new Headers();
      headers.set(IDENTITY_HEADER, identity);
      headers.set(SESSION_HEADER, route.sessionId);
      const lastEventId = request.headers.get('last-event-id');
      if (lastEventId !== null) headers.set('last-event-id', lastEventId.slice(0, 100));
      const query = new URL(request.url).search;
      let body: string | undefined;
      if (allowed === 'POST') {
        const text = await readBodyText(request, maxBodyBytes);
        if (!text.ok) return jsonError(text.status, text.error, cors);
        body = text.value;
      }
      const stub = namespace.get(namespace.idFromName(sessionObjectName(identity, route.sessionId)));
      const forwarded = new Request(`https://agent-session/${action}${query}`, {
        method: request.method,
        headers,
        ...(body !== undefined ? { body } : {}),
        signal: request.signal,
      });
      return withHeaders(await stub.fetch(forwarded), cors);
    },
  };
}

type Route = { kind: 'list' } | { kind: 'session'; sessionId: string; action?: string };

/** `/sessions`, `/sessions/:id` or `/sessions/:id/:action`, under any prefix the Worker mounts them at. */
function parseRoute(pathname: string): Route | undefined {
  const match = /\/sessions(?:\/([^/]+)(?:\/([a-z-]+))?)?\/?$/.exec(pathname);
  if (!match) return undefined;
  if (match[1] === undefined) return { kind: 'list' };
  return match[2] === undefined
    ? { kind: 'session', sessionId: match[1] }
    : { kind: 'session', sessionId: match[1], action: match[2] };
}
