/**
 * `/mcp`: the workspace's coding tools for MCP clients over Streamable HTTP
 * (protocol 2025-06-18), which `createExecApp` mounts behind its own Host
 * check, CORS and token.
 *
 * What belongs here is what the transport asks of a server, and nothing the
 * app already decides: sessions (each with its own `createMcpServerHandler`,
 * since request ids from different clients collide and cancellation goes by
 * id), the bounds that keep their memory finite, and answering a call that
 * asked for progress as an event stream. Which tools are served, and the
 * exec-slot limit their commands count against, are the app's, so it passes
 * the tools in; reading a bounded body is the app's too.
 *
 *   POST   /mcp  initialize           → the answer, with a new `Mcp-Session-Id`
 *   POST   /mcp  any other request    → the answer as JSON, or, for a `tools/call` with
 *                                       `params._meta.progressToken` from a client that accepts
 *                                       `text/event-stream`, an event stream: its progress, then its answer
 *   POST   /mcp  notification/response → 202
 *   DELETE /mcp                        → 200: the session ends and its running calls are aborted
 *   GET    /mcp                        → 405: the server sends nothing unasked
 *
 * Every request but initialize carries `Mcp-Session-Id`: missing is 400,
 * unknown or ended is 404 (the spec's signal to initialize again).
 */
import type { Context, Hono } from 'hono';
import type { AgentTool } from '../agent/types.js';
import { createMcpServerHandler, MCP_SERVER_PROTOCOL_VERSIONS, type McpServerHandler } from '../mcp/server-handler.js';
import type { JsonRpcMessage } from '../mcp/transport.js';

/** A request that names any other version in `Mcp-Protocol-Version` is refused. */
const PROTOCOL_VERSIONS: readonly string[] = MCP_SERVER_PROTOCOL_VERSIONS;

/** Progress queued for a slow reader beyond this is dropped; the answer is always sent. */
const MAX_QUEUED_PROGRESS_BYTES = 1024 * 1024;

export interface McpRouteOptions {
  /** What `initialize` reports as the server's version. */
  version: string;
  /** The tools every session serves; their commands should already count against the app's exec limit. */
  tools: readonly AgentTool[];
  /** The request's body as a JSON object, refused past the app's size limit. */
  readMessage(request: Request): Promise<Record<string, unknown>>;
  /** Sessions kept at once. Default 64. */
  maxSessions?: number;
  /** A session with no request and no call running for this long has ended. Default 30 minutes. */
  sessionIdleMs?: number;
}

interface Session {
  readonly handler: McpServerHandler;
  lastUsed: number;
  /** Requests being answered: a session with any is neither evicted nor expired. */
  active: number;
}

const encoder = new TextEncoder();
const ignore = (): void => {};

export function mountMcpRoute(app: Hono, options: McpRouteOptions): void {
  const maxSessions = options.maxSessions ?? 64;
  const sessionIdleMs = options.sessionIdleMs ?? 30 * 60 * 1000;
  if (!Number.isInteger(maxSessions) || maxSessions < 1) {
    throw new Error(`createExecApp: mcp.maxSessions must be a positive integer, not ${maxSessions}`);
  }
  if (!(sessionIdleMs > 0)) {
    throw new Error(`createExecApp: mcp.sessionIdleMs must be a positive number, not ${sessionIdleMs}`);
  }

  // In order of last use, oldest first: a use deletes and re-adds its session.
  const sessions = new Map<string, Session>();

  const endSession = (id: string): void => {
    sessions.get(id)?.handler.close();
    sessions.delete(id);
  };
  // Checked on each request rather than by a timer, so an idle server keeps no timer (nor the process) alive;
  // at most maxSessions entries, so the walk is short.
  const endIdleSessions = (now: number): void => {
    for (const [id, session] of sessions) {
      if (session.active === 0 && now - session.lastUsed > sessionIdleMs) endSession(id);
    }
  };
  const use = (id: string, session: Session): void => {
    session.lastUsed = Date.now();
    sessions.delete(id);
    sessions.set(id, session);
  };

  /** The session the request names, or the response that refuses it. */
  const find = (c: Context, requestId: unknown): { id: string; session: Session } | Response => {
    const id = c.req.header('mcp-session-id');
    if (id === undefined) {
      return rpcError(c, 400, requestId, 'The Mcp-Session-Id header is missing: send the id that initialize returned');
    }
    const session = sessions.get(id);
    if (!session) {
      return rpcError(
        c,
        404,
        requestId,
        'The MCP session in Mcp-Session-Id has ended or never existed: initialize again',
      );
    }
    return { id, session };
  };

  /** A new session, evicting the least recently used idle one at the bound; or the 503 that says none could be. */
  const open = (c: Context, requestId: unknown): { id: string; session: Session } | Response => {
    if (sessions.size >= maxSessions) {
      let idle: string | undefined;
      for (const [id, session] of sessions) {
        if (session.active === 0) {
          idle = id;
          break;
        }
      }
      if (idle === undefined) {
        return rpcError(
          c,
          503,
          requestId,
          `All ${maxSessions} MCP sessions have a call running; try again when one ends, or end one with DELETE /mcp`,
        );
      }
      endSession(idle);
    }
    const id = crypto.randomUUID();
    const handler = createMcpServerHandler({ name: 'qcore', version: options.version, tools: options.tools });
    const session: Session = { handler, lastUsed: Date.now(), active: 0 };
    sessions.set(id, session);
    return { id, session };
  };

  app.post('/mcp', async (c) => {
    const unsupported = checkProtocolVersion(c);
    if (unsupported) return unsupported;
    // One message a request: the 2025-06-18 protocol has no batches.
    const message = (await options.readMessage(c.req.raw)) as unknown as JsonRpcMessage;
    endIdleSessions(Date.now());
    const requestId = message.id;
    const initialize = message.method === 'initialize' && requestId !== undefined;
    const found = initialize ? open(c, requestId) : find(c, requestId);
    if (found instanceof Response) return found;
    const { id, session } = found;
    use(id, session);

    if (requestId === undefined || message.method === undefined) {
      // Notifications (cancellation among them) and responses: nothing to answer.
      await session.handler.handle(message, ignore);
      return c.body(null, 202);
    }

    // A client that has gone cannot collect the answer: no event ids are sent, so there is no
    // resuming a stream, and a command left running would only hold an exec slot. So its call
    // is cancelled, streamed or not.
    const signal = c.req.raw.signal;
    const cancel = (): void => {
      void session.handler.handle(
        { jsonrpc: '2.0', method: 'notifications/cancelled', params: { requestId, reason: 'client disconnected' } },
        ignore,
      );
    };
    signal.addEventListener('abort', cancel, { once: true });
    session.active++;
    const done = (): void => {
      signal.removeEventListener('abort', cancel);
      session.active--;
      session.lastUsed = Date.now();
    };
    if (initialize) c.header('Mcp-Session-Id', id);

    if (!(message.method === 'tools/call' && hasProgressToken(message.params) && acceptsEventStream(c))) {
      let answer: JsonRpcMessage | undefined;
      try {
        answer = await session.handler.handle(message, ignore);
      } finally {
        done();
      }
      return answer ? c.json(answer) : c.body(null, 202);
    }

    const stream = new ReadableStream<Uint8Array>(
      {
        start(controller) {
          const send = (event: JsonRpcMessage): void => {
            try {
              controller.enqueue(encoder.encode(`event: message\ndata: ${JSON.stringify(event)}\n\n`));
            } catch {
              // The client has gone; `cancel` is already stopping the call.
            }
          };
          const progress = (event: JsonRpcMessage): void => {
            const queued = controller.desiredSize;
            if (queued !== null && queued < -MAX_QUEUED_PROGRESS_BYTES) return;
            send(event);
          };
          session.handler
            .handle(message, progress)
            .then(
              (answer) => answer,
              (error: unknown): JsonRpcMessage => ({
                jsonrpc: '2.0',
                id: requestId,
                error: { code: -32603, message: error instanceof Error ? error.message : String(error) },
              }),
            )
            .then((answer) => {
              done();
              if (answer) send(answer);
              try {
                controller.close();
              } catch {
                // Already cancelled by the client.
              }
            });
        },
        cancel,
      },
      { highWaterMark: 64 * 1024, size: (chunk) => chunk.byteLength },
    );
    return c.body(stream, 200, { 'Content-Type': 'text/event-stream' });
  });

  app.delete('/mcp', (c) => {
    const unsupported = checkProtocolVersion(c);
    if (unsupported) return unsupported;
    endIdleSessions(Date.now());
    const found = find(c, undefined);
    if (found instanceof Response) return found;
    endSession(found.id);
    return c.body(null, 200);
  });

  // No server-initiated messages, so no stream for them.
  app.get('/mcp', (c) => c.body(null, 405, { Allow: 'POST, DELETE' }));
}

/** The 400 for an `Mcp-Protocol-Version` the handler does not speak; none when it is absent or spoken. */
function checkProtocolVersion(c: Context): Response | undefined {
  const version = c.req.header('mcp-protocol-version');
  if (version === undefined || PROTOCOL_VERSIONS.includes(version)) return undefined;
  return rpcError(
    c,
    400,
    undefined,
    `Unsupported Mcp-Protocol-Version ${JSON.stringify(version.slice(0, 64))}: this server speaks ${PROTOCOL_VERSIONS.join(', ')}`,
  );
}

function rpcError(c: Context, status: 400 | 404 | 503, requestId: unknown, message: string): Response {
  const id = typeof requestId === 'string' || typeof requestId === 'number' ? requestId : null;
  return c.json({ jsonrpc: '2.0', id, error: { code: -32000, message } }, status);
}

function hasProgressToken(params: unknown): boolean {
  if (typeof params !== 'object' || params === null) return false;
  const meta = (params as { _meta?: unknown })._meta;
  if (typeof meta !== 'object' || meta === null) return false;
  const token = (meta as { progressToken?: unknown }).progressToken;
  return typeof token === 'string' || typeof token === 'number';
}

function acceptsEventStream(c: Context): boolean {
  return /(^|,)\s*text\/event-stream\s*(;|,|$)/i.test(c.req.header('accept') ?? '');
}
