/**
 * A loopback HTTP server that speaks each provider's real wire format, for
 * tests and offline demos. Node only: it is never part of the core bundle.
 *
 * Scripts are isolated in sessions, so tests running in parallel (and in
 * other runtimes, through the control routes) never see each other's turns.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { contextOverflow, countReplyTokens, countRequestTokens, modelSettings } from './context.js';
import type {
  MockApi,
  MockHttpError,
  MockModel,
  MockReply,
  MockRequest,
  MockResponder,
  MockScript,
  MockTurn,
  MockTurnFunction,
  WireChunk,
  WireEncoder,
} from './script.js';
import { encoderFor } from './wire/index.js';

export interface MockServerOptions {
  /** The default session's script, answered at the server's root URL. */
  script?: MockScript;
  /** Default 0: any free port. */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
}

export interface MockSessionHandle {
  readonly id: string;
  /** Point a model's `baseUrl` here (OpenAI-style servers add `/v1`). */
  readonly baseUrl: string;
  /** Every request this session answered, in order. */
  readonly requests: MockRequest[];
  /** Appends turns to the script. */
  push(...turns: (MockTurn | MockTurnFunction)[]): void;
  /** Adds standing answers, after those the script already has (see `MockScript.responders`). */
  respond(...responders: MockResponder[]): void;
}

export interface MockServer {
  /** The server's origin, such as `http://127.0.0.1:5123`. */
  readonly url: string;
  /** The default session, answered at the root. */
  readonly requests: MockRequest[];
  push(...turns: (MockTurn | MockTurnFunction)[]): void;
  respond(...responders: MockResponder[]): void;
  /** A new isolated session with its own script and recorded requests. */
  session(script?: MockScript): MockSessionHandle;
  close(): Promise<void>;
}

interface Session {
  turns: (MockTurn | MockTurnFunction)[];
  requests: MockRequest[];
  responders: MockResponder[];
  contextWindow?: number;
  models?: Record<string, MockModel>;
}

/** A session from a script, its plain-data settings checked so a bad script fails where it is given. */
function sessionOf(script: Partial<MockScript> = {}): Session {
  const session: Session = { turns: [...(script.turns ?? [])], requests: [], responders: [] };
  if (script.contextWindow !== undefined) session.contextWindow = checkWindow(script.contextWindow, 'contextWindow');
  if (script.models !== undefined) {
    if (typeof script.models !== 'object' || script.models === null) throw new TypeError('models must be an object');
    for (const [id, model] of Object.entries(script.models)) {
      if (model?.contextWindow !== undefined)
        checkWindow(model.contextWindow, `models[${JSON.stringify(id)}].contextWindow`);
    }
    session.models = { ...script.models };
  }
  addResponders(session, script.responders ?? []);
  return session;
}

function checkWindow(value: unknown, name: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    throw new TypeError(`${name} must be a number of tokens, not ${JSON.stringify(value)}`);
  }
  return value;
}

function addResponders(session: Session, responders: MockResponder[]): void {
  if (!Array.isArray(responders)) throw new TypeError('responders must be an array');
  for (const responder of responders) {
    if (typeof responder?.whenBodyIncludes !== 'string' || responder.reply === undefined) {
      throw new TypeError('a responder needs whenBodyIncludes (a string) and a reply');
    }
    session.responders.push(responder);
  }
}

/** A request the script's control routes refuse, answered 400. */
class ScriptError extends Error {}

const CORS_HEADERS: Record<string, string> = {
  'access-control-allow-origin': '*',
  'access-control-allow-methods': 'GET, POST, DELETE, OPTIONS',
  'access-control-allow-headers': '*',
  'access-control-expose-headers': '*',
  'access-control-max-age': '600',
};

/** Caps a request body; a test that sends more has a bug. */
const MAX_BODY_BYTES = 64 * 1024 * 1024;

function apiForPath(path: string): MockApi | undefined {
  if (path.endsWith('/v1/messages')) return 'anthropic-messages';
  if (path.endsWith('/chat/completions')) return 'openai-completions';
  if (path.endsWith('/responses')) return 'openai-responses';
  if (path.endsWith(':streamGenerateContent')) return 'google-generative-ai';
  if (path.endsWith('/converse-stream')) return 'bedrock-converse-stream';
  return undefined;
}

export async function startMockServer(options: MockServerOptions = {}): Promise<MockServer> {
  const sessions = new Map<string, Session>();
  const root = sessionOf(options.script);
  sessions.set('', root);
  const sockets = new Set<import('node:net').Socket>();
  let nextId = 1;
  let origin = '';

  const newSession = (script?: MockScript): MockSessionHandle => {
    const id = `s${nextId++}`;
    const session = sessionOf(script);
    sessions.set(id, session);
    return {
      id,
      baseUrl: `${origin}/s/${id}`,
      requests: session.requests,
      push: (...turns) => session.turns.push(...turns),
      respond: (...responders) => addResponders(session, responders),
    };
  };

  const server: Server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      const [status, reason] = error instanceof ScriptError ? [400, error.message] : [500, String(error)];
      if (!res.headersSent) sendJson(res, status, { error: { message: `mock server: ${reason}` } });
      else res.destroy();
    });
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    for (const [name, value] of Object.entries(CORS_HEADERS)) res.setHeader(name, value);
    if (req.method === 'OPTIONS') {
      res.writeHead(204).end();
      return;
    }
    const url = new URL(req.url ?? '/', 'http://mock');
    const path = url.pathname;

    if (path.startsWith('/__mock/')) return control(req, res, path);

    let session = root;
    let rest = path;
    const match = /^\/s\/([^/]+)(\/.*)?$/.exec(path);
    if (match) {
      const found = sessions.get(match[1] as string);
      if (!found) return sendJson(res, 404, { error: { message: `mock server: no session ${match[1]}` } });
      session = found;
      rest = match[2] ?? '/';
    }
    const api = apiForPath(rest);
    if (!api || req.method !== 'POST') {
      return sendJson(res, 404, { error: { message: `mock server: no route for ${req.method} ${rest}` } });
    }
    const text = await readBody(req);
    let body: unknown;
    try {
      body = text ? JSON.parse(text) : undefined;
    } catch {
      return sendJson(res, 400, { error: { message: 'mock server: request body is not JSON' } });
    }
    const request: MockRequest = { api, method: req.method, path: rest, headers: flatHeaders(req), body };
    session.requests.push(request);
    const encoder = encoderFor(api);
    // A request the provider refuses as malformed gets its 400, before any turn is consumed.
    const refused = encoder.refuse?.(request);
    if (refused) return answer(res, encoder, refused, request);
    const { contextWindow, variant } = modelSettings(session, request);
    // Over the window, the provider's own error, before any turn is consumed.
    const overflow = contextWindow === undefined ? undefined : contextOverflow(request, contextWindow, variant);
    if (overflow) return answer(res, encoder, overflow, request);
    const next =
      session.responders.find((responder) => text.includes(responder.whenBodyIncludes))?.reply ?? session.turns.shift();
    if (next === undefined) {
      return sendJson(res, 500, { error: { message: 'mock server: the script has no turn left for this request' } });
    }
    let turn = typeof next === 'function' ? await next(request) : next;
    if (turn.type === undefined || turn.type === 'reply') {
      const reply: MockReply = { ...turn };
      if (reply.variant === undefined && variant !== undefined) reply.variant = variant;
      // With a window, usage follows the mock's counting rule unless the script sets it.
      if (reply.usage === undefined && contextWindow !== undefined) {
        reply.usage = { input: countRequestTokens(request), output: countReplyTokens(reply) };
      }
      turn = reply;
    }
    await answer(res, encoder, turn, request);
  }

  async function control(req: IncomingMessage, res: ServerResponse, path: string): Promise<void> {
    if (path === '/__mock/sessions' && req.method === 'POST') {
      const text = await readBody(req);
      const script = (text ? JSON.parse(text) : {}) as Partial<MockScript<MockTurn>>;
      const handle = scriptCall(() => newSession({ ...script, turns: script.turns ?? [] }));
      return sendJson(res, 201, { id: handle.id, baseUrl: handle.baseUrl });
    }
    const match = /^\/__mock\/sessions\/([^/]+)(?:\/(requests|turns|responders))?$/.exec(path);
    const session = match ? sessions.get(match[1] as string) : undefined;
    if (!match || !session) return sendJson(res, 404, { error: { message: `mock server: no control route ${path}` } });
    if (match[2] === 'requests' && req.method === 'GET') return sendJson(res, 200, session.requests);
    if (match[2] === 'turns' && req.method === 'POST') {
      const turns = JSON.parse(await readBody(req)) as MockTurn[];
      session.turns.push(...turns);
      return sendJson(res, 200, { remaining: session.turns.length });
    }
    if (match[2] === 'responders' && req.method === 'POST') {
      const responders = JSON.parse(await readBody(req)) as MockResponder[];
      scriptCall(() => addResponders(session, responders));
      return sendJson(res, 200, { responders: session.responders.length });
    }
    if (match[2] === undefined && req.method === 'DELETE') {
      sessions.delete(match[1] as string);
      return sendJson(res, 200, {});
    }
    return sendJson(res, 405, { error: { message: `mock server: ${req.method} not allowed on ${path}` } });
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => resolve());
  });
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  origin = `http://${host}:${address.port}`;

  return {
    url: origin,
    requests: root.requests,
    push: (...turns) => root.turns.push(...turns),
    respond: (...responders) => addResponders(root, responders),
    session: newSession,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

/** Runs a script change for a control route: what it refuses becomes a 400. */
function scriptCall<T>(fn: () => T): T {
  try {
    return fn();
  } catch (error) {
    throw error instanceof TypeError ? new ScriptError(error.message) : error;
  }
}

async function answer(res: ServerResponse, encoder: WireEncoder, turn: MockTurn, request: MockRequest): Promise<void> {
  if (turn.type === 'http') return answerHttpError(res, encoder, turn);
  if (turn.type === 'raw') {
    const events = turn.events.map((event) =>
      typeof event === 'string' ? event : Buffer.from(event.base64, 'base64'),
    );
    return writeEvents(res, events, turn, turn.contentType ?? encoder.contentType);
  }
  return answerReply(res, encoder, turn, request);
}

function answerHttpError(res: ServerResponse, encoder: WireEncoder, turn: MockHttpError): void {
  const body = turn.body ?? encoder.errorBody(turn.status, `mock error ${turn.status}`);
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  res.writeHead(turn.status, {
    'content-type': typeof body === 'string' ? 'text/plain' : 'application/json',
    ...turn.headers,
  });
  res.end(text);
}

async function answerReply(
  res: ServerResponse,
  encoder: WireEncoder,
  reply: MockReply,
  request: MockRequest,
): Promise<void> {
  const events = encoder.reply(reply, request);
  const contentType = encoder.contentType;
  const fault = reply.fault;
  if (!fault) return writeEvents(res, events, reply, contentType);
  const at = Math.min(fault.afterEvents ?? 0, events.length);
  const head = events.slice(0, at);
  switch (fault.type) {
    case 'overloaded':
      return writeEvents(res, [...head, encoder.overloaded()], reply, contentType);
    case 'malformed':
      return writeEvents(
        res,
        [...head, encoder.malformed?.() ?? 'data: {"this is": not json\n\n', ...events.slice(at)],
        reply,
        contentType,
      );
    case 'cut': {
      const next = events[at] ?? 'data: {"truncated": tr';
      await writeEvents(res, [...head, next.slice(0, Math.max(1, next.length >> 1))], reply, contentType, false);
      // Half-close without the chunked terminator, a moment after the bytes went out: a browser
      // discards body chunks it has not yet read when the stream errors, and destroy() would
      // drop unsent bytes too. A real connection dies after its data arrived, not with it.
      await new Promise((resolve) => setTimeout(resolve, 50));
      res.socket?.end();
      return;
    }
    case 'stall':
      await writeEvents(res, head, reply, contentType, false);
      // Keep the connection open until the client gives up.
      await new Promise<void>((resolve) => res.once('close', () => resolve()));
      return;
    case 'endlessLine': {
      await writeEvents(res, head, reply, contentType, false);
      const total = fault.bytes ?? 64 * 1024 * 1024;
      const piece = Buffer.alloc(64 * 1024, 'x');
      let sent = 0;
      if (await writeUnlessClosed(res, Buffer.from('data: '))) {
        while (
          sent < total &&
          (await writeUnlessClosed(res, piece.subarray(0, Math.min(piece.length, total - sent))))
        ) {
          sent += piece.length;
        }
      }
      if (!res.destroyed) res.end();
      return;
    }
    case 'keepalive': {
      await writeEvents(res, head, reply, contentType, false);
      const interval = fault.intervalMs ?? 50;
      while (await writeUnlessClosed(res, Buffer.from(': keepalive\n\n'))) {
        await new Promise((resolve) => setTimeout(resolve, interval));
      }
      return;
    }
  }
}

/** Writes and waits for the socket to take the bytes; false once the client has gone. */
function writeUnlessClosed(res: ServerResponse, chunk: Buffer): Promise<boolean> {
  if (res.destroyed || res.writableEnded) return Promise.resolve(false);
  return new Promise((resolve) => {
    const onClose = (): void => resolve(false);
    res.once('close', onClose);
    const done = (): void => {
      res.off('close', onClose);
      resolve(!res.destroyed);
    };
    if (res.write(chunk)) done();
    else res.once('drain', done);
  });
}

async function writeEvents(
  res: ServerResponse,
  events: WireChunk[],
  options: { writeSize?: number; paceMs?: number },
  contentType = 'text/event-stream',
  end = true,
): Promise<void> {
  res.writeHead(200, {
    'content-type': contentType,
    'cache-control': 'no-cache',
    // Local workerd holds back compressed streams; keep bytes as they are.
    'content-encoding': 'identity',
  });
  res.flushHeaders();
  const writeSize = options.writeSize;
  if (options.paceMs) {
    for (const event of events) {
      if (res.destroyed) return;
      await write(res, toBytes([event]));
      await new Promise((resolve) => setTimeout(resolve, options.paceMs));
    }
  } else if (!writeSize) {
    // Coalesce into large writes: per-event writes would measure the socket, not the client.
    const batch = 256;
    for (let i = 0; i < events.length; i += batch) {
      if (res.destroyed) return;
      await write(res, toBytes(events.slice(i, i + batch)));
    }
  } else {
    const bytes = toBytes(events);
    for (let i = 0; i < bytes.length; i += writeSize) {
      if (res.destroyed) return;
      await write(res, bytes.subarray(i, i + writeSize));
      // Yield so small writes reach the client as separate chunks.
      await new Promise((resolve) => setImmediate(resolve));
    }
  }
  if (end) res.end();
}

function toBytes(chunks: WireChunk[]): Buffer {
  return Buffer.concat(chunks.map((chunk) => (typeof chunk === 'string' ? Buffer.from(chunk) : chunk)));
}

function write(res: ServerResponse, chunk: Buffer): Promise<void> {
  return new Promise((resolve) => {
    if (res.write(chunk)) resolve();
    else res.once('drain', () => resolve());
  });
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        reject(new Error('request body too large'));
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function flatHeaders(req: IncomingMessage): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(req.headers)) {
    if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  return headers;
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}
