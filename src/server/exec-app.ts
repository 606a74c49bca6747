/**
 * The remote workspace endpoint: a `Workspace` served over HTTP, so an agent
 * in a browser or a Worker can read, write and run commands on a machine.
 * `RemoteWorkspace` is its client.
 *
 * Protocol (all under `/v1`, all behind `Authorization: Bearer <token>`):
 *
 *   GET  /v1/health                              → { ok: true, root, exec }
 *   POST /v1/fs/read     { path, offset?, length? }  → the bytes (application/octet-stream);
 *                        with offset and length, at most length bytes from byte offset
 *   POST /v1/fs/write?path=<path>   <raw bytes>  → { ok: true }
 *   POST /v1/fs/readdir  { path }                → { entries: [{ name, type }] }
 *   POST /v1/fs/stat     { path }                → { type, size, mtimeMs }
 *   POST /v1/fs/mkdir    { path, recursive? }    → { ok: true }
 *   POST /v1/fs/rm       { path, recursive? }    → { ok: true }
 *   POST /v1/exec        { command, cwd?, timeoutMs? }
 *        → application/x-ndjson, one event a line:
 *          { type: 'output', data }              as the output arrives
 *          { type: 'exit', exitCode, timedOut, truncated, output }   last
 *          { type: 'error', error: { code, message } }               instead of exit
 *
 * Failures are `{ error: { code, message } }` with the workspace's code:
 * 400 EINVAL, 401 EAUTH, 403 EOUTSIDE/EACCES, 404 ENOENT,
 * 409 EEXIST/ENOTEMPTY/ENOTDIR/EISDIR, 413 ETOOLARGE, 501 ENOSYS, 500 EIO;
 * and the app's own: 403 EHOST (a Host that is neither loopback nor
 * allowed), 429 EBUSY (too many commands running).
 */
import type { Hono } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { createCodingTools } from '../tools/coding-tools.js';
import { checkRange, rangeReader } from '../tools/file-range.js';
import { workspaceErrorCode } from '../tools/tool-errors.js';
import type { ExecResult, Workspace } from '../tools/types.js';
import { mountMcpRoute } from './mcp-route.js';
import { isMissingPackage, MissingPeerError } from './missing-peer.js';

/**
 * hono is an optional peer, so it is loaded here rather than by a static
 * import: without it this module still loads, and `createExecApp` says what
 * to install.
 */
const hono = await import('hono').then(
  async ({ Hono }) => ({ Hono, cors: (await import('hono/cors')).cors }),
  (error: unknown) => {
    if (isMissingPackage(error, 'hono')) return undefined;
    throw error;
  },
);

export interface ExecAppOptions {
  workspace: Workspace;
  /** The bearer token every request must carry: at least 16 characters, no whitespace. */
  token: string;
  /**
   * Names besides loopback (`localhost`, `127.0.0.0/8`, `[::1]`) that the
   * `Host` header may carry, such as the name a TLS proxy forwards. Any
   * other Host is refused with 403 EHOST, so a web page whose name an
   * attacker points at 127.0.0.1 (DNS rebinding) cannot talk to the app.
   * `startExecServer` adds the host it listens on. Default: none.
   */
  allowedHosts?: readonly string[];
  /** Origins allowed to call from a browser. Default: none. */
  cors?: string | string[];
  /** Largest request body, in bytes. Default 10 MB. */
  maxBodyBytes?: number;
  /** Longest a command may run; longer requested timeouts are cut to it. Default 10 minutes. */
  maxExecMs?: number;
  /** Commands running at once; one more is refused with 429 EBUSY. Default 8. */
  maxConcurrentExecs?: number;
  /**
   * Also serve the workspace's coding tools to MCP clients at `/mcp`
   * (Streamable HTTP with sessions and streamed progress, `mcp-route.ts`),
   * behind the same token and Host check. `version` is what `initialize`
   * reports; `maxSessions` (default 64) and `sessionIdleMs` (default 30
   * minutes) bound the sessions kept.
   */
  mcp?: { version: string; maxSessions?: number; sessionIdleMs?: number };
}

const MIN_TOKEN_LENGTH = 16;

/** Live output queued for a slow client beyond this is not sent; the exit event still has the tail. */
const MAX_QUEUED_BYTES = 4 * 1024 * 1024;

const STATUS_BY_CODE: Record<string, ContentfulStatusCode> = {
  EINVAL: 400,
  EAUTH: 401,
  EOUTSIDE: 403,
  EACCES: 403,
  ENOENT: 404,
  EEXIST: 409,
  ENOTEMPTY: 409,
  ENOTDIR: 409,
  EISDIR: 409,
  EHOST: 403,
  ETOOLARGE: 413,
  EBUSY: 429,
  ENOSYS: 501,
};

/** A failure of the request itself, before any workspace call. */
class RequestFailure extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

const encoder = new TextEncoder();

export function createExecApp(options: ExecAppOptions): Hono {
  if (!hono) throw new MissingPeerError('createExecApp');
  if (typeof options.token !== 'string' || options.token === '') {
    throw new Error('createExecApp needs a non-empty token: the endpoint runs commands and must not be open');
  }
  if (/\s/.test(options.token)) throw new Error('createExecApp: the token must not contain whitespace');
  if (options.token.length < MIN_TOKEN_LENGTH) {
    throw new Error(
      `createExecApp: the token must be at least ${MIN_TOKEN_LENGTH} characters; use a random one, such as \`openssl rand -hex 32\``,
    );
  }
  const { workspace } = options;
  const maxBodyBytes = options.maxBodyBytes ?? 10 * 1024 * 1024;
  const maxExecMs = options.maxExecMs ?? 10 * 60 * 1000;
  const maxConcurrentExecs = options.maxConcurrentExecs ?? 8;
  if (!Number.isInteger(maxConcurrentExecs) || maxConcurrentExecs < 1) {
    throw new Error('createExecApp: maxConcurrentExecs must be a positive integer');
  }
  let runningExecs = 0;
  const allowedHosts = new Set((options.allowedHosts ?? []).map(hostName));
  const expectedDigest = sha256(options.token);
  const app = new hono.Hono();

  app.onError((error, c) => {
    const code = error instanceof RequestFailure ? error.code : (workspaceErrorCode(error) ?? 'EIO');
    const status = STATUS_BY_CODE[code] ?? 500;
    return c.json({ error: { code, message: error.message } }, status);
  });
  app.notFound((c) =>
    c.json({ error: { code: 'EINVAL', message: `No such endpoint: ${c.req.method} ${c.req.path}` } }, 404),
  );

  // First of all, for every path: a rebinding page must learn nothing, not even that auth failed.
  app.use('*', async (c, next) => {
    const host = hostName(c.req.header('host') ?? new URL(c.req.url).host);
    if (!isLoopbackName(host) && !allowedHosts.has(host)) {
      const message =
        'The Host header names neither loopback nor an allowed host (allowedHosts, qcore serve --allow-host)';
      return c.json({ error: { code: 'EHOST', message } }, 403);
    }
    await next();
  });

  // Before authentication: a browser's preflight carries no credentials.
  const guarded = options.mcp ? ['/v1/*', '/mcp'] : ['/v1/*'];
  if (options.cors !== undefined) {
    app.use(
      '/v1/*',
      hono.cors({
        origin: options.cors,
        allowMethods: ['GET', 'POST'],
        allowHeaders: ['Authorization', 'Content-Type'],
        maxAge: 600,
      }),
    );
    if (options.mcp) {
      app.use(
        '/mcp',
        hono.cors({
          origin: options.cors,
          allowMethods: ['GET', 'POST', 'DELETE'],
          allowHeaders: ['Authorization', 'Content-Type', 'Mcp-Session-Id', 'Mcp-Protocol-Version'],
          exposeHeaders: ['Mcp-Session-Id'],
          maxAge: 600,
        }),
      );
    }
  }

  const authenticate = async (c: import('hono').Context, next: () => Promise<void>) => {
    const presented = /^Bearer +(\S+) *$/i.exec(c.req.header('authorization') ?? '')?.[1];
    if (presented === undefined || !equalBytes(await sha256(presented), await expectedDigest)) {
      return c.json({ error: { code: 'EAUTH', message: 'Missing or wrong bearer token' } }, 401, {
        'WWW-Authenticate': 'Bearer realm="qcore"',
      });
    }
    c.header('Cache-Control', 'no-store');
    await next();
  };
  for (const path of guarded) app.use(path, authenticate);

  if (options.mcp) {
    mountMcpRoute(app, {
      ...options.mcp,
      // Commands from MCP count against the same limit as /v1/exec.
      tools: createCodingTools(
        limitedExec(workspace, () => {
          if (runningExecs >= maxConcurrentExecs) {
            throw new RequestFailure(
              'EBUSY',
              `${maxConcurrentExecs} commands are running already; try again when one ends`,
            );
          }
          runningExecs++;
          return () => {
            runningExecs--;
          };
        }),
      ),
      readMessage: (request) => readJson(request, maxBodyBytes),
    });
  }

  app.get('/v1/health', (c) => c.json({ ok: true, root: workspace.root, exec: typeof workspace.exec === 'function' }));

  app.post('/v1/fs/read', async (c) => {
    const { path, offset, length } = await readJson(c.req.raw, maxBodyBytes);
    const file = requireString(path, 'path');
    let bytes: Uint8Array;
    if (offset === undefined && length === undefined) {
      bytes = await workspace.readFile(file);
    } else {
      if (typeof offset !== 'number' || typeof length !== 'number') {
        throw new RequestFailure('EINVAL', 'offset and length must both be given, as numbers');
      }
      checkRange(offset, length, file);
      bytes = await rangeReader(workspace, file)(offset, length);
    }
    const body =
      bytes.buffer instanceof ArrayBuffer
        ? new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength)
        : bytes.slice();
    return c.body(body, 200, { 'Content-Type': 'application/octet-stream' });
  });

  app.post('/v1/fs/write', async (c) => {
    const path = requireString(c.req.query('path'), 'path (query parameter)');
    await workspace.writeFile(path, await readBody(c.req.raw, maxBodyBytes));
    return c.json({ ok: true });
  });

  app.post('/v1/fs/readdir', async (c) => {
    const { path } = await readJson(c.req.raw, maxBodyBytes);
    return c.json({ entries: await workspace.readdir(requireString(path, 'path')) });
  });

  app.post('/v1/fs/stat', async (c) => {
    const { path } = await readJson(c.req.raw, maxBodyBytes);
    return c.json(await workspace.stat(requireString(path, 'path')));
  });

  app.post('/v1/fs/mkdir', async (c) => {
    const { path, recursive } = await readJson(c.req.raw, maxBodyBytes);
    await workspace.mkdir(requireString(path, 'path'), { recursive: optionalBoolean(recursive, 'recursive') });
    return c.json({ ok: true });
  });

  app.post('/v1/fs/rm', async (c) => {
    const { path, recursive } = await readJson(c.req.raw, maxBodyBytes);
    await workspace.rm(requireString(path, 'path'), { recursive: optionalBoolean(recursive, 'recursive') });
    return c.json({ ok: true });
  });

  app.post('/v1/exec', async (c) => {
    const body = await readJson(c.req.raw, maxBodyBytes);
    const command = requireString(body.command, 'command');
    const cwd = body.cwd === undefined ? undefined : requireString(body.cwd, 'cwd');
    const requested = body.timeoutMs;
    if (requested !== undefined && (typeof requested !== 'number' || !(requested > 0))) {
      throw new RequestFailure('EINVAL', 'timeoutMs must be a positive number');
    }
    const exec = workspace.exec?.bind(workspace);
    if (!exec) throw new RequestFailure('ENOSYS', 'This workspace cannot run commands');
    // Checked up front so a bad cwd is a plain HTTP error rather than an error event in a 200 stream.
    if (cwd !== undefined && (await workspace.stat(cwd)).type !== 'dir') {
      throw new RequestFailure('ENOTDIR', `ENOTDIR: not a directory: ${cwd}`);
    }
    // Counted from here to the process's exit, with no await in between, so the cap cannot be overshot.
    if (runningExecs >= maxConcurrentExecs) {
      throw new RequestFailure('EBUSY', `${maxConcurrentExecs} commands are running already; try again when one ends`);
    }
    runningExecs++;
    const release = (): void => {
      runningExecs--;
    };

    const abort = new AbortController();
    const requestSignal = c.req.raw.signal;
    const onDisconnect = (): void => abort.abort(requestSignal.reason);
    if (requestSignal.aborted) onDisconnect();
    requestSignal.addEventListener('abort', onDisconnect, { once: true });

    const stream = new ReadableStream<Uint8Array>(
      {
        start(controller) {
          const send = (event: object): void => {
            try {
              controller.enqueue(encoder.encode(`${JSON.stringify(event)}\n`));
            } catch {
              // The client has gone; the abort above is already stopping the command.
            }
          };
          const end = (event: object): void => {
            requestSignal.removeEventListener('abort', onDisconnect);
            send(event);
            try {
              controller.close();
            } catch {
              // Already cancelled by the client.
            }
          };
          // A synchronous throw becomes a rejection, so the slot is always released.
          new Promise<ExecResult>((resolve) =>
            resolve(
              exec(command, {
                cwd,
                signal: abort.signal,
                timeoutMs: Math.min(requested ?? maxExecMs, maxExecMs),
                onOutput(data) {
                  const queued = controller.desiredSize;
                  if (queued !== null && queued < -MAX_QUEUED_BYTES) return;
                  send({ type: 'output', data });
                },
              }),
            ),
          )
            .finally(release)
            .then(
              (result: ExecResult) =>
                end({
                  type: 'exit',
                  exitCode: result.exitCode,
                  timedOut: result.timedOut,
                  truncated: result.truncated === true,
                  output: result.output,
                }),
              (error: unknown) =>
                end({
                  type: 'error',
                  error: {
                    code: workspaceErrorCode(error) ?? 'EIO',
                    message: error instanceof Error ? error.message : String(error),
                  },
                }),
            );
        },
        cancel() {
          abort.abort();
        },
      },
      { highWaterMark: 64 * 1024, size: (chunk) => chunk.byteLength },
    );
    return c.body(stream, 200, { 'Content-Type': 'application/x-ndjson; charset=utf-8' });
  });

  return app;
}

/** The host name of a Host header (or a URL's host), without port or IPv6 brackets, in lower case. */
export function hostName(host: string): string {
  const lower = host.trim().toLowerCase();
  if (lower.startsWith('[')) {
    const end = lower.indexOf(']');
    return end === -1 ? lower : lower.slice(1, end);
  }
  // Two colons or more: a bare IPv6 address, as an allowedHosts entry may be written; it has no port.
  return lower.indexOf(':') !== lower.lastIndexOf(':') ? lower : lower.replace(/:\d*$/, '');
}

/** A loopback name as `hostName` gives it: `localhost`, `127.0.0.0/8` or `::1`. */
export function isLoopbackName(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}

/** The request body, refused past `maxBytes` whether or not it declared its length. */
async function readBody(request: Request, maxBytes: number): Promise<Uint8Array> {
  const declared = request.headers.get('content-length');
  if (declared !== null && Number(declared) > maxBytes) throw tooLarge(maxBytes);
  if (!request.body) return new Uint8Array(0);
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > maxBytes) {
      await reader.cancel().catch(() => {});
      throw tooLarge(maxBytes);
    }
    chunks.push(value);
  }
  const body = new Uint8Array(total);
  let offset = 0;
  for (const chunk of chunks) {
    body.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return body;
}

async function readJson(request: Request, maxBytes: number): Promise<Record<string, unknown>> {
  const text = new TextDecoder().decode(await readBody(request, maxBytes));
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new RequestFailure('EINVAL', 'The request body is not valid JSON');
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new RequestFailure('EINVAL', 'The request body must be a JSON object');
  }
  return value as Record<string, unknown>;
}

function requireString(value: unknown, name: string): string {
  if (typeof value !== 'string' || value === '')
    throw new RequestFailure('EINVAL', `${name} must be a non-empty string`);
  return value;
}

function optionalBoolean(value: unknown, name: string): boolean | undefined {
  if (value === undefined || typeof value === 'boolean') return value;
  throw new RequestFailure('EINVAL', `${name} must be a boolean`);
}

function tooLarge(maxBytes: number): RequestFailure {
  return new RequestFailure('ETOOLARGE', `The request body is larger than ${maxBytes} bytes`);
}

async function sha256(text: string): Promise<Uint8Array> {
  return new Uint8Array(await crypto.subtle.digest('SHA-256', encoder.encode(text)));
}

/** Compares every byte whatever it finds, so the time taken says nothing about the token. */
function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  let difference = a.length ^ b.length;
  for (let i = 0; i < Math.max(a.length, b.length); i++) difference |= (a[i] ?? 0) ^ (b[i] ?? 0);
  return difference === 0;
}

/** The workspace with each command counted: `enter` refuses one over the limit and returns its release. */
function limitedExec(workspace: Workspace, enter: () => () => void): Workspace {
  const exec = workspace.exec;
  if (!exec) return workspace;
  // A view, not a copy: the workspace's own getters (its grep matcher) keep their receiver.
  const limited: Workspace = {
    get root() {
      return workspace.root;
    },
    readFile: (path) => workspace.readFile(path),
    writeFile: (path, data) => workspace.writeFile(path, data),
    readdir: (path) => workspace.readdir(path),
    stat: (path) => workspace.stat(path),
    mkdir: (path, options) => workspace.mkdir(path, options),
    rm: (path, options) => workspace.rm(path, options),
    exec: async (command, options) => {
      const release = enter();
      try {
        return await exec.call(workspace, command, options);
      } finally {
        release();
      }
    },
  };
  if (workspace.readFileRange) {
    const range = workspace.readFileRange;
    limited.readFileRange = (path, offset, length) => range.call(workspace, path, offset, length);
  }
  if (workspace.grepMatcher) Object.defineProperty(limited, 'grepMatcher', { get: () => workspace.grepMatcher });
  return limited;
}
