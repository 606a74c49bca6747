/**
 * Runs one shell command for `NodeWorkspace.exec`: in its own process group,
 * so a timeout or an abort can kill everything it started, with its output
 * streamed as text and only a bounded tail kept.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import type { ExecResult } from '../../src/tools/types.js';
import { type SandboxOptions, sandboxArgv } from './sandbox.js';

export interface RunCommandOptions {
  /** An absolute directory, already confined by the caller. */
  cwd: string;
  shell: string;
  /**
   * Set on top of `inheritedEnvironment()`, so a secret the filter drops can
   * be given back on purpose. `undefined` removes a variable.
   */
  extraEnv?: Record<string, string | undefined>;
  maxOutputBytes: number;
  signal?: AbortSignal;
  timeoutMs?: number;
  onOutput?: (chunk: string) => void;
  /** Run the shell inside bubblewrap, with `root` (a real path holding `cwd`) writable. */
  sandbox?: SandboxOptions & { root: string };
}

/**
 * The longest delay a Node timer keeps (about 24.8 days). Past it Node fires
 * after 1 ms, so a longer timeout is clamped to it rather than killing at once.
 */
const MAX_TIMER_MS = 2 ** 31 - 1;

/** Time a killed group gets to exit after SIGTERM before SIGKILL. */
const KILL_GRACE_MS = 2000;

/**
 * After the shell exits, how long to wait for its pipes to close. A
 * background job (`server &`) inherits them and may hold them open for ever;
 * it is left running, as in a terminal, but its later output is not awaited.
 */
const DRAIN_AFTER_EXIT_MS = 250;

/** Commands still running; if this process exits first, their groups go with it. */
const running = new Set<ChildProcess>();
let exitHookInstalled = false;

/** Kills `child`'s process group with SIGKILL if this process exits while it runs. */
export function trackUntilExit(child: ChildProcess): void {
  running.add(child);
  child.once('exit', () => running.delete(child));
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  // Shells are detached into their own groups, so nothing else would stop them.
  process.once('exit', () => {
    for (const orphan of running) signalGroup(orphan, 'SIGKILL');
  });
}

/**
 * Names that usually hold a secret. The commands a model runs print what they
 * see into its context, the session file and the next request, so such
 * variables stay behind. `QCORE_TOKEN` (the exec server's) already matches.
 */
const SECRET_NAME = /KEY|SECRET|TOKEN|PASSWORD|CREDENTIAL/i;

/**
 * The environment a command inherits: `source` (this process's by default)
 * without any variable whose name contains KEY, SECRET, TOKEN, PASSWORD or
 * CREDENTIAL in any case, nor `QCORE_TOKEN`. `PATH`, `HOME`, `LANG` and the
 * like stay.
 */
export function inheritedEnvironment(
  source: Readonly<Record<string, string | undefined>> = process.env,
): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries(source)) {
    if (value === undefined || name === 'QCORE_TOKEN' || SECRET_NAME.test(name)) continue;
    env[name] = value;
  }
  return env;
}

function commandEnvironment(extra: Readonly<Record<string, string | undefined>> = {}): Record<string, string> {
  const env = inheritedEnvironment();
  for (const [name, value] of Object.entries(extra)) {
    if (value === undefined) delete env[name];
    else env[name] = value;
  }
  return env;
}

export function runCommand(command: string, options: RunCommandOptions): Promise<ExecResult> {
  const output = new OutputTail(options.maxOutputBytes);
  if (options.signal?.aborted) return Promise.resolve({ exitCode: null, output: '', timedOut: false });

  return new Promise<ExecResult>((resolve, reject) => {
    let child: ChildProcess;
    try {
      const [file, ...args] = options.sandbox
        ? sandboxArgv(options.shell, command, { root: options.sandbox.root, cwd: options.cwd }, options.sandbox)
        : [options.shell, '-c', command];
      child = spawn(file as string, args, {
        cwd: options.cwd,
        env: commandEnvironment(options.extraEnv),
        // Its own process group (pgid = pid), so one signal reaches every descendant. In the
        // sandbox the group is bwrap's: killing it ends bwrap's PID namespace, and all in it.
        detached: true,
        stdio: ['ignore', 'pipe', 'pipe'],
      });
    } catch (error) {
      reject(error);
      return;
    }
    trackUntilExit(child);

    let killed = false;
    let timedOut = false;
    let exitCode: number | null = null;
    let exited = false;
    let settled = false;
    const timers: ReturnType<typeof setTimeout>[] = [];

    const emit = (text: string): void => {
      if (text === '') return;
      output.push(text);
      try {
        options.onOutput?.(text);
      } catch {
        // A failing listener must not take the process down with an uncaught stream error.
      }
    };
    // One decoder per pipe: a character split across chunks of one stream must not meet the other stream's bytes.
    for (const stream of [child.stdout, child.stderr]) {
      const decoder = new TextDecoder();
      stream?.on('data', (chunk: Uint8Array) => emit(decoder.decode(chunk, { stream: true })));
      stream?.on('end', () => emit(decoder.decode()));
    }

    const killGroup = (): void => {
      if (killed || exited) return;
      killed = true;
      signalGroup(child, 'SIGTERM');
      // Sent to the group even after the shell exits: a descendant may ignore SIGTERM.
      const force = setTimeout(() => signalGroup(child, 'SIGKILL'), KILL_GRACE_MS);
      force.unref();
    };

    const onAbort = (): void => killGroup();
    options.signal?.addEventListener('abort', onAbort, { once: true });
    if (options.timeoutMs !== undefined && options.timeoutMs > 0 && Number.isFinite(options.timeoutMs)) {
      timers.push(
        setTimeout(
          () => {
            timedOut = true;
            killGroup();
          },
          Math.min(options.timeoutMs, MAX_TIMER_MS),
        ),
      );
    }

    const finish = (): void => {
      if (settled) return;
      settled = true;
      for (const timer of timers) clearTimeout(timer);
      options.signal?.removeEventListener('abort', onAbort);
      // Stops reading from pipes a background job still holds.
      child.stdout?.destroy();
      child.stderr?.destroy();
      const result: ExecResult = { exitCode: killed ? null : exitCode, output: output.text(), timedOut };
      if (output.truncated) result.truncated = true;
      resolve(result);
    };

    child.once('error', (error) => {
      if (settled) return;
      settled = true;
      for (const timer of timers) clearTimeout(timer);
      options.signal?.removeEventListener('abort', onAbort);
      reject(error);
    });
    child.once('exit', (code) => {
      exited = true;
      exitCode = code;
      timers.push(setTimeout(finish, DRAIN_AFTER_EXIT_MS));
    });
    child.once('close', finish);
  });
}

/** Sends `signal` to `child`'s whole process group (it must have been spawned `detached`). */
export function signalGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    // ESRCH: the whole group is already gone.
  }
}

/**
 * The last `maxBytes` UTF-8 bytes of a stream of strings. Memory stays near
 * `maxBytes` plus one chunk; the exact cut happens once, at the end.
 */
class OutputTail {
  readonly #maxBytes: number;
  readonly #chunks: { text: string; bytes: number }[] = [];
  #bytes = 0;
  truncated = false;

  constructor(maxBytes: number) {
    this.#maxBytes = maxBytes;
  }

  push(text: string): void {
    const bytes = Buffer.byteLength(text);
    this.#chunks.push({ text, bytes });
    this.#bytes += bytes;
    while (this.#chunks.length > 1 && this.#bytes - this.#chunks[0]!.bytes >= this.#maxBytes) {
      this.#bytes -= this.#chunks.shift()!.bytes;
      this.truncated = true;
    }
  }

  text(): string {
    const joined = this.#chunks.map((chunk) => chunk.text).join('');
    if (this.#bytes <= this.#maxBytes) return joined;
    this.truncated = true;
    return utf8Tail(joined, this.#maxBytes);
  }
}

/** The longest suffix of `text` that fits in `maxBytes`, cut between characters. */
function utf8Tail(text: string, maxBytes: number): string {
  let bytes = 0;
  let start = text.length;
  while (start > 0) {
    const code = text.charCodeAt(start - 1);
    const isLowSurrogate = code >= 0xdc00 && code <= 0xdfff;
    const width = isLowSurrogate && start >= 2 ? 2 : 1;
    const size = width === 2 ? 4 : code < 0x80 ? 1 : code < 0x800 ? 2 : 3;
    if (bytes + size > maxBytes) break;
    bytes += size;
    start -= width;
  }
  return text.slice(start);
}
