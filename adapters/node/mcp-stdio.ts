/**
 * MCP's stdio transport: a server started as a child process, with one
 * JSON-RPC message per line on its stdin and stdout, and its stderr kept as a
 * bounded tail for error messages. The child runs in its own process group,
 * with `inheritedEnvironment()` (no secrets) plus exactly what `env` names.
 * `connectMcpStdio` puts the web-standard MCP client on top.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { clipText, redactSecrets } from '../../src/ai/redact.js';
import { createMcpClient, type McpClient, type McpClientInfo } from '../../src/mcp/client.js';
import type { JsonRpcMessage, McpTransport, McpTransportHandlers } from '../../src/mcp/transport.js';
import { inheritedEnvironment, signalGroup, trackUntilExit } from './node-exec.js';

export interface StdioTransportOptions {
  /** The program to run, found on `PATH` like `execFile` does; no shell. */
  command: string;
  args?: readonly string[];
  /**
   * Set on top of `inheritedEnvironment()`: the only way a variable the
   * secret filter drops (an API key, a token) reaches the server.
   * `undefined` removes a variable.
   */
  env?: Readonly<Record<string, string | undefined>>;
  cwd?: string;
  /** The longest line the server may send; longer ends the connection. Default 16 MiB. */
  maxLineBytes?: number;
}

export interface ConnectMcpStdioOptions extends StdioTransportOptions {
  /** The server's name, in tool names (`mcp__<name>__<tool>`) and errors. */
  name: string;
  /** Bounds each request. Default 60 s. */
  timeoutMs?: number;
  clientInfo?: McpClientInfo;
}

/**
 * Starts an MCP server as a child process and lists its tools. The child
 * sees no secret from this process's environment, only what `env` gives it;
 * `close()` kills its whole process group.
 */
export function connectMcpStdio(options: ConnectMcpStdioOptions): Promise<McpClient> {
  const { name, timeoutMs, clientInfo, ...transportOptions } = options;
  return createMcpClient({
    name,
    transport: createStdioTransport(transportOptions),
    ...(timeoutMs !== undefined ? { timeoutMs } : {}),
    ...(clientInfo ? { clientInfo } : {}),
  });
}

export interface StdioTransport extends McpTransport {
  /** The child's pid, which is also its process group's id; undefined before `start()`. */
  readonly pid: number | undefined;
  /** The last 8 KiB of the child's stderr, redacted. */
  stderrTail(): string;
}

const DEFAULT_MAX_LINE_BYTES = 16 * 1024 * 1024;
const STDERR_TAIL_BYTES = 8 * 1024;
/** Time the group gets after SIGTERM before SIGKILL, on `close()`. */
const KILL_GRACE_MS = 2000;
/** After the child exits, how long to wait for the rest of its stdout and stderr. */
const DRAIN_AFTER_EXIT_MS = 250;
/** After the child closes its stdout, how long to wait for it to exit before killing it. */
const EXIT_AFTER_EOF_MS = 1000;
/** How much of a malformed line an error quotes. */
const QUOTED_LINE_CHARS = 200;

/**
 * An `McpTransport` over a child process. What the server writes to stdout
 * must be JSON-RPC, one message per line, as the MCP spec requires: a line
 * that is not JSON, or is longer than `maxLineBytes`, ends the connection
 * with `onClose(error)` (quoting the start of the line) and kills the
 * server, since a reply may have been lost in it and waiting would only
 * turn the failure into a timeout. Blank lines are skipped.
 */
export function createStdioTransport(options: StdioTransportOptions): StdioTransport {
  const maxLineBytes = options.maxLineBytes ?? DEFAULT_MAX_LINE_BYTES;
  const secrets = secretsFor(options.env);
  const stderr = new ByteTail(STDERR_TAIL_BYTES);
  const describe = `MCP server "${redactSecrets(options.command, secrets)}"`;

  let child: ChildProcess | undefined;
  let handlers: McpTransportHandlers | undefined;
  let closing = false;
  let ended = false;
  let exited = false;
  let exitPromise: Promise<void> | undefined;
  let endTimer: ReturnType<typeof setTimeout> | undefined;

  const stderrText = (): string => redactSecrets(stderr.text(), secrets).trim();

  const withStderr = (message: string): Error => {
    const tail = stderrText();
    return new Error(tail === '' ? message : `${message}; stderr:\n${tail}`);
  };

  /** Reports the end once: no error after `close()`, `error` otherwise. */
  const end = (error?: Error): void => {
    if (ended) return;
    ended = true;
    if (endTimer !== undefined) clearTimeout(endTimer);
    // Also after the leader exited: what it started may still hold the group.
    if (child?.pid !== undefined) killGroup(child, exited);
    child?.stdout?.destroy();
    child?.stderr?.destroy();
    try {
      handlers?.onClose(closing ? undefined : error);
    } catch {
      // A failing listener must not become an uncaught exception in a stream callback.
    }
  };

  const deliver = (line: string): void => {
    if (ended || line.trim() === '') return;
    let parsed: unknown;
    try {
      parsed = JSON.parse(line);
    } catch {
      end(withStderr(`${describe} wrote a line that is not JSON: ${quote(line, secrets)}`));
      return;
    }
    const messages = Array.isArray(parsed) ? parsed : [parsed];
    for (const message of messages) {
      if (ended) return;
      if (typeof message !== 'object' || message === null || Array.isArray(message)) {
        end(withStderr(`${describe} wrote a line that is not a JSON-RPC message: ${quote(line, secrets)}`));
        return;
      }
      try {
        handlers?.onMessage(message as JsonRpcMessage);
      } catch {
        // The client's bug, not the server's: the connection stays up.
      }
    }
  };

  return {
    get pid() {
      return child?.pid;
    },

    stderrTail: stderrText,

    start(startHandlers) {
      if (child !== undefined) return Promise.reject(new Error(`${describe} was already started`));
      handlers = startHandlers;
      const env = inheritedEnvironment();
      for (const [name, value] of Object.entries(options.env ?? {})) {
        if (value === undefined) delete env[name];
        else env[name] = value;
      }
      return new Promise<void>((resolve, reject) => {
        let spawned: ChildProcess;
        try {
          spawned = spawn(options.command, [...(options.args ?? [])], {
            cwd: options.cwd,
            env,
            // Its own process group, so close() reaches whatever the server started (npx → node → …).
            detached: true,
            stdio: ['pipe', 'pipe', 'pipe'],
          });
        } catch (error) {
          reject(new Error(`${describe} could not start: ${(error as Error).message}`));
          return;
        }
        child = spawned;
        trackUntilExit(spawned);
        exitPromise = new Promise((resolveExit) => spawned.once('exit', () => resolveExit()));

        let running = false;
        spawned.once('spawn', () => {
          running = true;
          resolve();
        });
        spawned.on('error', (error) => {
          const message = redactSecrets(error.message, secrets);
          if (running) {
            // After the start (a failed kill, say): the connection cannot be trusted any more.
            end(withStderr(`${describe} failed: ${message}`));
            return;
          }
          // The command could not be run (ENOENT, EACCES): there is no child to wait for.
          exited = true;
          ended = true;
          handlers = undefined;
          reject(new Error(`${describe} could not start: ${message}`));
        });
        // EPIPE after the child is gone: send() reports it; the exit reports the rest.
        spawned.stdin?.on('error', () => {});

        const lines = new LineSplitter(maxLineBytes, deliver, (bytes) =>
          end(
            withStderr(
              `${describe} wrote a line longer than ${maxLineBytes} bytes (${bytes} so far without a newline)`,
            ),
          ),
        );
        spawned.stdout?.on('data', (chunk: Buffer) => {
          if (!ended) lines.push(chunk);
        });
        spawned.stdout?.on('end', () => {
          if (ended) return;
          lines.flush();
          if (exited || ended) return;
          // No message can come any more; give the child a moment to exit so the error can say how.
          endTimer ??= setTimeout(() => end(withStderr(`${describe} closed its stdout`)), EXIT_AFTER_EOF_MS);
        });
        spawned.stderr?.on('data', (chunk: Buffer) => stderr.push(chunk));

        spawned.once('exit', (code, signal) => {
          exited = true;
          if (ended) return;
          const how = signal !== null ? `was killed by ${signal}` : `exited with code ${code}`;
          const finish = (): void => {
            lines.flush();
            end(withStderr(`${describe} ${how}`));
          };
          if (endTimer !== undefined) clearTimeout(endTimer);
          endTimer = setTimeout(finish, DRAIN_AFTER_EXIT_MS);
          spawned.once('close', finish);
        });
      });
    },

    send(message, sendOptions) {
      if (sendOptions?.signal?.aborted) return Promise.reject(sendOptions.signal.reason);
      const stdin = child?.stdin;
      if (child === undefined || stdin == null) return Promise.reject(new Error(`${describe} was not started`));
      if (ended || exited || closing || !stdin.writable) {
        return Promise.reject(withStderr(`${describe} is not running`));
      }
      const line = `${JSON.stringify(message)}\n`;
      return new Promise<void>((resolve, reject) => {
        stdin.write(line, (error) => {
          if (error) reject(withStderr(`${describe} could not be written to: ${error.message}`));
          else resolve();
        });
      });
    },

    async close() {
      if (closing) return exitPromise;
      closing = true;
      if (child === undefined) {
        ended = true;
        return;
      }
      child.stdin?.end();
      end();
      if (!exited) await exitPromise;
    },
  };
}

/**
 * SIGTERM to the group now, SIGKILL after a grace; once the leader exits,
 * SIGKILL at once to whatever it left behind in the group (npx's node child).
 */
function killGroup(child: ChildProcess, leaderExited: boolean): void {
  signalGroup(child, 'SIGTERM');
  const force = setTimeout(() => signalGroup(child, 'SIGKILL'), KILL_GRACE_MS);
  force.unref();
  if (leaderExited) return;
  child.once('exit', () => {
    clearTimeout(force);
    signalGroup(child, 'SIGKILL');
  });
}

/**
 * What to redact from the server's stderr and from lines it wrote: the
 * values `env` hands it on purpose, and the secrets this process holds but
 * the filter keeps from the child (the child could still read them from a
 * file or be given them another way).
 */
function secretsFor(env: Readonly<Record<string, string | undefined>> | undefined): string[] {
  const kept = inheritedEnvironment();
  const secrets: string[] = [];
  for (const [name, value] of Object.entries(process.env)) {
    if (value !== undefined && !(name in kept)) secrets.push(value);
  }
  for (const value of Object.values(env ?? {})) if (value !== undefined) secrets.push(value);
  return secrets.sort((a, b) => b.length - a.length);
}

function quote(line: string, secrets: readonly string[]): string {
  return JSON.stringify(clipText(redactSecrets(line, secrets), QUOTED_LINE_CHARS));
}

/**
 * Splits a byte stream at `\n` (a trailing `\r` is dropped), decoding each
 * whole line as UTF-8, and reports a line that grows past `maxBytes` instead
 * of buffering it.
 */
class LineSplitter {
  readonly #maxBytes: number;
  readonly #onLine: (line: string) => void;
  readonly #onTooLong: (bytes: number) => void;
  #pending: Buffer[] = [];
  #pendingBytes = 0;
  #failed = false;

  constructor(maxBytes: number, onLine: (line: string) => void, onTooLong: (bytes: number) => void) {
    this.#maxBytes = maxBytes;
    this.#onLine = onLine;
    this.#onTooLong = onTooLong;
  }

  push(chunk: Buffer): void {
    let start = 0;
    while (!this.#failed) {
      const newline = chunk.indexOf(0x0a, start);
      if (newline === -1) break;
      const bytes = this.#pendingBytes + newline - start;
      if (bytes > this.#maxBytes) {
        this.#fail(bytes);
        return;
      }
      const part = chunk.subarray(start, newline);
      const line = this.#pending.length === 0 ? part : Buffer.concat([...this.#pending, part]);
      this.#pending = [];
      this.#pendingBytes = 0;
      start = newline + 1;
      this.#emit(line);
    }
    if (this.#failed || start >= chunk.length) return;
    const rest = chunk.subarray(start);
    this.#pendingBytes += rest.length;
    if (this.#pendingBytes > this.#maxBytes) {
      this.#fail(this.#pendingBytes);
      return;
    }
    this.#pending.push(rest);
  }

  /** Delivers a last line the stream ended without a newline after. */
  flush(): void {
    if (this.#failed || this.#pending.length === 0) return;
    const line = Buffer.concat(this.#pending);
    this.#pending = [];
    this.#pendingBytes = 0;
    this.#emit(line);
  }

  #emit(line: Buffer): void {
    const end = line.length > 0 && line[line.length - 1] === 0x0d ? line.length - 1 : line.length;
    this.#onLine(line.toString('utf8', 0, end));
  }

  #fail(bytes: number): void {
    this.#failed = true;
    this.#pending = [];
    this.#pendingBytes = 0;
    this.#onTooLong(bytes);
  }
}

/** The last `maxBytes` bytes of a stream, decoded leniently when read. */
class ByteTail {
  readonly #maxBytes: number;
  #buffer = Buffer.alloc(0);

  constructor(maxBytes: number) {
    this.#maxBytes = maxBytes;
  }

  push(chunk: Buffer): void {
    const joined = Buffer.concat([this.#buffer, chunk]);
    // A copy, so a large chunk is not kept alive by the slice.
    this.#buffer =
      joined.length > this.#maxBytes ? Buffer.from(joined.subarray(joined.length - this.#maxBytes)) : joined;
  }

  text(): string {
    // A cut through a character shows as U+FFFD at the start; acceptable in an error message.
    return this.#buffer.toString('utf8');
  }
}
