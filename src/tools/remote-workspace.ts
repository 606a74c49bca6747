/**
 * A workspace on another machine, reached over HTTP with `fetch` alone, so
 * an agent in a browser or a Worker can work on a real checkout. The server
 * side is `createExecApp` / `startExecServer` from `qcore/node` (`qcore serve`);
 * the protocol is documented there.
 */
import { fetchSameOrigin, readTextUpTo } from '../ai/guarded-fetch.js';
import { clipText, redactSecrets } from '../ai/redact.js';
import { MAX_SSE_LINE_CHARS } from '../ai/sse.js';
import { checkRange } from './file-range.js';
import { resolveWorkspacePath } from './paths.js';
import type { ExecOptions, ExecResult, Workspace, WorkspaceEntry, WorkspaceEntryType, WorkspaceStat } from './types.js';
import { WorkspaceError } from './types.js';

/** What the workspace calls to send a request; the global `fetch` is one. */
export type RemoteFetch = (url: string, init: RequestInit) => Promise<Response>;

export interface RemoteWorkspaceOptions {
  /** Default: the global `fetch`. */
  fetch?: RemoteFetch;
  /**
   * The absolute root shown to the model. Default `/remote`. Paths are
   * resolved against it here and sent relative, so it need not match the
   * server's; `RemoteWorkspace.connect` uses the server's own.
   */
  root?: string;
  /** Offer `exec`. Default true; `connect` asks the server. */
  exec?: boolean;
}

export interface RemoteHealth {
  ok: boolean;
  root: string;
  exec: boolean;
}

type WorkspaceErrorCode = WorkspaceError['code'];

const WORKSPACE_CODES: ReadonlySet<string> = new Set<WorkspaceErrorCode>([
  'ENOENT',
  'EEXIST',
  'ENOTDIR',
  'EISDIR',
  'ENOTEMPTY',
  'EACCES',
  'EOUTSIDE',
  'EINVAL',
]);

/** Server codes with no workspace equivalent, as the nearest one. */
const NEAREST_CODE: Record<string, WorkspaceErrorCode> = { EAUTH: 'EACCES', ETOOLARGE: 'EINVAL' };

/** Output kept client-side for an aborted command, whose exit event never comes. */
const MAX_ABORTED_OUTPUT_CHARS = 1024 * 1024;
/** The longest output event line kept while reading, as for SSE: an endless line must not fill memory. */
const MAX_LINE_CHARS = MAX_SSE_LINE_CHARS;
/** Characters of a server's error message kept, after the token is redacted. */
const MAX_ERROR_MESSAGE_CHARS = 1000;

const encoder = new TextEncoder();

export class RemoteWorkspace implements Workspace {
  readonly root: string;
  readonly url: string;
  declare readonly exec?: (command: string, options: ExecOptions) => Promise<ExecResult>;
  readonly #token: string;
  readonly #fetch: RemoteFetch;

  /** `url` is the server's base, such as `http://127.0.0.1:7700` (a path prefix is kept). */
  constructor(url: string, token: string, options: RemoteWorkspaceOptions = {}) {
    this.url = url.replace(/\/+$/, '');
    this.root = options.root ?? '/remote';
    this.#token = token;
    // Wrapped: browsers throw "Illegal invocation" when fetch is called as a method of another object.
    this.#fetch = options.fetch ?? ((url, init) => fetch(url, init));
    if (options.exec !== false) this.exec = (command, execOptions) => this.#exec(command, execOptions);
  }

  /** Asks the server for its root and whether it runs commands, then returns a workspace using both. */
  static async connect(
    url: string,
    token: string,
    options: Omit<RemoteWorkspaceOptions, 'root' | 'exec'> = {},
  ): Promise<RemoteWorkspace> {
    const health = await new RemoteWorkspace(url, token, options).health();
    return new RemoteWorkspace(url, token, { ...options, root: health.root, exec: health.exec });
  }

  async health(): Promise<RemoteHealth> {
    const response = await this.#request('/v1/health', { method: 'GET' });
    const body = await readJsonObject(response);
    if (typeof body.root !== 'string' || typeof body.exec !== 'boolean') {
      throw new Error(`Remote workspace at ${this.url} sent an unexpected health answer`);
    }
    return { ok: body.ok === true, root: body.root, exec: body.exec };
  }

  async readFile(path: string): Promise<Uint8Array> {
    const response = await this.#post('/v1/fs/read', { path: this.#resolve(path) });
    return new Uint8Array(await response.arrayBuffer());
  }

  /** The server reads just the range, from disk where it can. */
  async readFileRange(path: string, offset: number, length: number): Promise<Uint8Array> {
    const relative = this.#resolve(path);
    checkRange(offset, length, relative);
    const response = await this.#post('/v1/fs/read', { path: relative, offset, length });
    const bytes = await readBytesUpTo(response, length);
    // A server from before ranged reads answers with the whole file, which would be read as the range.
    if (bytes === undefined) {
      throw new Error(
        `Remote workspace sent more than the ${length} bytes asked for ${relative}: a server without ranged reads (update qcore serve)`,
      );
    }
    return bytes;
  }

  async writeFile(path: string, data: Uint8Array | string): Promise<void> {
    const query = `?path=${encodeURIComponent(this.#resolve(path))}`;
    // A copy into a plain ArrayBuffer: fetch refuses views of shared memory.
    const body = typeof data === 'string' ? encoder.encode(data) : data.slice();
    const response = await this.#request(`/v1/fs/write${query}`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/octet-stream' },
      body,
    });
    await response.body?.cancel();
  }

  async readdir(path: string): Promise<WorkspaceEntry[]> {
    const body = await readJsonObject(await this.#post('/v1/fs/readdir', { path: this.#resolve(path) }));
    if (!Array.isArray(body.entries)) throw new Error('Remote workspace sent a directory listing without entries');
    return body.entries.map((entry: unknown): WorkspaceEntry => {
      const { name, type } = (entry ?? {}) as { name?: unknown; type?: unknown };
      if (typeof name !== 'string' || !isEntryType(type)) throw new Error('Remote workspace sent a malformed entry');
      return { name, type };
    });
  }

  async stat(path: string): Promise<WorkspaceStat> {
    const body = await readJsonObject(await this.#post('/v1/fs/stat', { path: this.#resolve(path) }));
    const { type, size, mtimeMs } = body;
    if (!isEntryType(type) || typeof size !== 'number' || typeof mtimeMs !== 'number') {
      throw new Error('Remote workspace sent a malformed stat');
    }
    return { type, size, mtimeMs };
  }

  async mkdir(path: string, options: { recursive?: boolean } = {}): Promise<void> {
    const response = await this.#post('/v1/fs/mkdir', {
      path: this.#resolve(path),
      recursive: options.recursive === true,
    });
    await response.body?.cancel();
  }

  async rm(path: string, options: { recursive?: boolean } = {}): Promise<void> {
    const response = await this.#post('/v1/fs/rm', {
      path: this.#resolve(path),
      recursive: options.recursive === true,
    });
    await response.body?.cancel();
  }

  /**
   * Streams `onOutput` as the server sends it. Aborting `signal` cancels the
   * request, and the server kills the command's process group.
   */
  async #exec(command: string, options: ExecOptions = {}): Promise<ExecResult> {
    const { signal } = options;
    let live = '';
    let liveTruncated = false;
    const aborted = (): ExecResult => {
      const result: ExecResult = { exitCode: null, output: live, timedOut: false };
      if (liveTruncated) result.truncated = true;
      return result;
    };
    if (signal?.aborted) return aborted();

    const request = { command, cwd: options.cwd === undefined ? undefined : this.#resolve(options.cwd) };
    let response: Response;
    try {
      response = await this.#post('/v1/exec', { ...request, timeoutMs: options.timeoutMs }, signal);
    } catch (error) {
      if (signal?.aborted) return aborted();
      throw error;
    }
    if (!response.body) throw new Error('Remote workspace sent no output stream');

    const reader = response.body.getReader();
    const decoder = new TextDecoder();
    const handle = (line: string): ExecResult | undefined => {
      if (line.trim() === '') return undefined;
      const event = parseEvent(line);
      if (event.type === 'output' && typeof event.data === 'string') {
        live += event.data;
        if (live.length > MAX_ABORTED_OUTPUT_CHARS * 2) {
          live = live.slice(-MAX_ABORTED_OUTPUT_CHARS);
          liveTruncated = true;
        }
        options.onOutput?.(event.data);
        return undefined;
      }
      if (event.type === 'exit') {
        const result: ExecResult = {
          exitCode: typeof event.exitCode === 'number' ? event.exitCode : null,
          output: typeof event.output === 'string' ? event.output : live,
          timedOut: event.timedOut === true,
        };
        if (event.truncated === true) result.truncated = true;
        return result;
      }
      if (event.type === 'error') throw toWorkspaceError(event.error, 500, this.#token);
      return undefined;
    };

    try {
      // The unfinished line is kept in pieces and joined only once its newline comes:
      // re-splitting the whole of it on every chunk would be quadratic in a long line.
      let pending: string[] = [];
      let pendingChars = 0;
      for (;;) {
        const { done, value } = await reader.read();
        const text = done ? decoder.decode() : decoder.decode(value, { stream: true });
        const newline = text.lastIndexOf('\n');
        if (newline === -1) {
          if (text) pending.push(text);
          pendingChars += text.length;
        } else {
          pending.push(text.slice(0, newline));
          const lines = pending.join('').split('\n');
          const rest = text.slice(newline + 1);
          pending = rest ? [rest] : [];
          pendingChars = rest.length;
          for (const line of lines) {
            const result = handle(line);
            if (result) return result;
          }
        }
        if (pendingChars > MAX_LINE_CHARS) {
          throw new Error(
            `Remote workspace sent an output line longer than ${MAX_LINE_CHARS / 1024 / 1024} MiB, the most qcore buffers; the command's output stream was closed`,
          );
        }
        if (done) {
          const result = handle(pending.join(''));
          if (result) return result;
          break;
        }
      }
    } catch (error) {
      if (signal?.aborted) return aborted();
      throw error;
    } finally {
      // Closing the stream on any way out, a throwing onOutput included, is what makes the server stop the command.
      reader.cancel().catch(() => {});
    }
    if (signal?.aborted) return aborted();
    throw new Error('Remote workspace closed the output stream before the command finished');
  }

  #resolve(path: string): string {
    return resolveWorkspacePath(this.root, path);
  }

  #post(endpoint: string, body: object, signal?: AbortSignal): Promise<Response> {
    return this.#request(endpoint, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify(body),
      signal,
    });
  }

  /**
   * Sends with the token and turns an error answer into the `WorkspaceError`
   * the server reported. The token goes only to the server's origin: a
   * redirect elsewhere is an error (in a browser, any redirect is).
   */
  async #request(endpoint: string, init: RequestInit): Promise<Response> {
    const headers = new Headers(init.headers);
    headers.set('Authorization', `Bearer ${this.#token}`);
    const response = await fetchSameOrigin(
      this.#fetch,
      `${this.url}${endpoint}`,
      { ...init, headers },
      'Remote workspace',
    );
    if (response.ok) return response;
    let reported: unknown;
    try {
      // Bounded: an endless error body must not hang the call or fill memory.
      reported = (JSON.parse(await readTextUpTo(response)) as { error?: unknown }).error;
    } catch {
      reported = undefined;
    }
    throw toWorkspaceError(reported, response.status, this.#token);
  }
}

/** The server's error as a `WorkspaceError`; its message without the token, then cut. */
function toWorkspaceError(reported: unknown, status: number, token: string): Error {
  const { code, message } = (typeof reported === 'object' && reported !== null ? reported : {}) as {
    code?: unknown;
    message?: unknown;
  };
  const text =
    typeof message === 'string'
      ? clipText(redactSecrets(message, [token]), MAX_ERROR_MESSAGE_CHARS)
      : `Remote workspace answered HTTP ${status}`;
  if (typeof code === 'string') {
    if (WORKSPACE_CODES.has(code)) return new WorkspaceError(code as WorkspaceErrorCode, text);
    const nearest = NEAREST_CODE[code];
    if (nearest) return new WorkspaceError(nearest, text);
  }
  return new Error(text);
}

/** The body's bytes, or `undefined` (and the body cancelled) once it passes `maxBytes`. */
async function readBytesUpTo(response: Response, maxBytes: number): Promise<Uint8Array | undefined> {
  const reader = response.body?.getReader();
  if (!reader) return new Uint8Array(0);
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.length;
    if (size > maxBytes) {
      reader.cancel().catch(() => {});
      return undefined;
    }
    chunks.push(value);
  }
  if (chunks.length === 1) return chunks[0];
  const bytes = new Uint8Array(size);
  let at = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, at);
    at += chunk.length;
  }
  return bytes;
}

/** A directory listing of 100,000 entries is about 5 MB; an answer past this is not a workspace's. */
const MAX_JSON_ANSWER_BYTES = 16 * 1024 * 1024;

async function readJsonObject(response: Response): Promise<Record<string, unknown>> {
  const bytes = await readBytesUpTo(response, MAX_JSON_ANSWER_BYTES);
  if (bytes === undefined) throw new Error('Remote workspace sent an answer larger than 16 MiB');
  let body: unknown;
  try {
    body = JSON.parse(new TextDecoder().decode(bytes));
  } catch {
    // The parser's message quotes the text, cut at its own length: it could hold part of a secret.
    throw new Error('Remote workspace sent an answer that is not JSON');
  }
  if (typeof body !== 'object' || body === null) throw new Error('Remote workspace sent a non-object JSON answer');
  return body as Record<string, unknown>;
}

function parseEvent(line: string): Record<string, unknown> {
  let event: unknown;
  try {
    event = JSON.parse(line);
  } catch {
    // Not the parser's message: it quotes the line, cut at its own length.
    throw new Error('Remote workspace sent an output line that is not JSON');
  }
  if (typeof event !== 'object' || event === null) throw new Error('Remote workspace sent a malformed output event');
  return event as Record<string, unknown>;
}

function isEntryType(value: unknown): value is WorkspaceEntryType {
  return value === 'file' || value === 'dir' || value === 'symlink' || value === 'special';
}
