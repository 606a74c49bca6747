/**
 * Conversations as JSONL files under `$QCORE_HOME/sessions/`: a header line,
 * then one line per message, appended synchronously as each message
 * completes so a crash or `kill -9` loses nothing that came before.
 */
import { randomBytes } from 'node:crypto';
import { appendFileSync, closeSync, mkdirSync, openSync, readdirSync, readFileSync, readSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { AgentMessage } from '../../../src/agent/types.js';

export interface SessionHeader {
  type: 'session';
  version: 1;
  /** The directory the session worked in; `--continue` matches on it. */
  cwd: string;
  createdAt: string;
  provider: string;
  model: string;
}

export interface LoadedSession {
  header: SessionHeader | undefined;
  messages: AgentMessage[];
  /** Lines that could not be read, such as the last one of a crashed run. */
  warnings: string[];
}

/** Sessions may quote private files, so only their owner can read them. */
const FILE_MODE = 0o600;
const DIR_MODE = 0o700;

/** Appends messages to one session file, writing its header with the first one. */
export class SessionWriter {
  private started: boolean;
  private needsNewline: boolean;

  /** `header` is asked for when the first line is written, so it names the model actually used. */
  constructor(
    readonly path: string,
    private readonly header: () => SessionHeader,
  ) {
    let size = 0;
    try {
      size = statSync(path).size;
    } catch {
      // A new session: nothing is written until the first message.
    }
    this.started = size > 0;
    // A crash can leave half a line; the next line must not be glued to it.
    this.needsNewline = size > 0 && !endsWithNewline(path, size);
  }

  append(message: AgentMessage): void {
    let text = '';
    if (!this.started) {
      mkdirSync(dirname(this.path), { recursive: true, mode: DIR_MODE });
      text += `${JSON.stringify(this.header())}\n`;
    }
    if (this.needsNewline) text += '\n';
    text += `${JSON.stringify({ type: 'message', message })}\n`;
    appendFileSync(this.path, text, { mode: FILE_MODE });
    this.started = true;
    this.needsNewline = false;
  }
}

export function newSessionPath(sessionsDir: string, now = new Date()): string {
  const stamp = now.toISOString().replace(/[:.]/g, '-');
  return join(sessionsDir, `${stamp}-${randomBytes(4).toString('hex')}.jsonl`);
}

export function loadSession(path: string): LoadedSession {
  const lines = readFileSync(path, 'utf8').split('\n');
  const result: LoadedSession = { header: undefined, messages: [], warnings: [] };
  lines.forEach((line, index) => {
    if (line.trim() === '') return;
    const where = `${path}:${index + 1}`;
    let entry: unknown;
    try {
      entry = JSON.parse(line);
    } catch {
      const last = lines.slice(index + 1).every((rest) => rest.trim() === '');
      result.warnings.push(
        last
          ? `skipped an incomplete last line in ${where} (a run that was cut off)`
          : `skipped an unreadable line ${where}`,
      );
      return;
    }
    if (isHeader(entry)) {
      result.header ??= entry;
    } else if (isRecord(entry) && entry.type === 'message') {
      // A line someone edited, or written by another version: loading it would break the next request.
      const problem = messageProblem(entry.message);
      if (problem === undefined) result.messages.push(withCleanUsage(entry.message as AgentMessage));
      else result.warnings.push(`skipped a line that is not a valid message at ${where} (${problem})`);
    } else {
      result.warnings.push(`skipped an unknown entry at ${where}`);
    }
  });
  return result;
}

/** The session last written to for `cwd`, or `undefined`. */
export function findLatestSession(sessionsDir: string, cwd: string): string | undefined {
  let names: string[];
  try {
    names = readdirSync(sessionsDir).filter((name) => name.endsWith('.jsonl'));
  } catch {
    return undefined;
  }
  const candidates = names
    .map((name) => {
      const path = join(sessionsDir, name);
      try {
        return { path, name, mtime: statSync(path).mtimeMs };
      } catch {
        return undefined;
      }
    })
    .filter((entry) => entry !== undefined)
    // Newest first; names start with their creation time, which breaks ties.
    .sort((a, b) => b.mtime - a.mtime || (a.name < b.name ? 1 : -1));
  for (const candidate of candidates) {
    if (readHeader(candidate.path)?.cwd === cwd) return candidate.path;
  }
  return undefined;
}

/** Reads only the first line, so scanning many sessions stays cheap. */
function readHeader(path: string): SessionHeader | undefined {
  let fd: number | undefined;
  try {
    fd = openSync(path, 'r');
    const buffer = Buffer.alloc(64 * 1024);
    const length = readSync(fd, buffer, 0, buffer.length, 0);
    const first = buffer.subarray(0, length).toString('utf8').split('\n')[0] ?? '';
    const entry: unknown = JSON.parse(first);
    return isHeader(entry) ? entry : undefined;
  } catch {
    return undefined;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

function endsWithNewline(path: string, size: number): boolean {
  const fd = openSync(path, 'r');
  try {
    const buffer = Buffer.alloc(1);
    readSync(fd, buffer, 0, 1, size - 1);
    return buffer[0] === 0x0a;
  } finally {
    closeSync(fd);
  }
}

function isHeader(entry: unknown): entry is SessionHeader {
  return isRecord(entry) && entry.type === 'session' && typeof entry.cwd === 'string';
}

/** What keeps `value` from being a message the agent can send again, or `undefined` when nothing does. */
function messageProblem(value: unknown): string | undefined {
  if (!isRecord(value)) return 'not an object';
  if (typeof value.timestamp !== 'number') return 'no numeric timestamp';
  switch (value.role) {
    case 'user':
      return typeof value.content === 'string' || isPartList(value.content, USER_PARTS)
        ? undefined
        : 'user content is neither text nor a list of text and image parts';
    case 'assistant':
      if (!isPartList(value.content, ASSISTANT_PARTS)) return 'assistant content is not a list of valid parts';
      if (!STOP_REASONS.has(value.stopReason)) return 'no valid stopReason';
      if (!['api', 'provider', 'model'].every((key) => typeof value[key] === 'string')) {
        return 'api, provider or model is missing';
      }
      return isRecord(value.usage) && isRecord(value.usage.cost) ? undefined : 'usage is missing';
    case 'toolResult':
      if (typeof value.toolCallId !== 'string' || typeof value.toolName !== 'string') {
        return 'toolCallId or toolName is missing';
      }
      if (typeof value.isError !== 'boolean') return 'isError is not a boolean';
      return isPartList(value.content, USER_PARTS) ? undefined : 'tool result content is not a list of valid parts';
    default:
      return 'unknown role';
  }
}

type PartCheck = (part: Record<string, unknown>) => boolean;

const textPart: PartCheck = (part) => typeof part.text === 'string';
const USER_PARTS: Record<string, PartCheck> = {
  text: textPart,
  image: (part) => typeof part.data === 'string' && typeof part.mimeType === 'string',
};
const ASSISTANT_PARTS: Record<string, PartCheck> = {
  text: textPart,
  thinking: (part) => typeof part.thinking === 'string',
  toolCall: (part) => typeof part.id === 'string' && typeof part.name === 'string' && isRecord(part.arguments),
};
const STOP_REASONS = new Set<unknown>(['stop', 'length', 'toolUse', 'error', 'aborted']);

function isPartList(value: unknown, checks: Record<string, PartCheck>): boolean {
  return (
    Array.isArray(value) &&
    value.every((part) => isRecord(part) && typeof part.type === 'string' && checks[part.type]?.(part) === true)
  );
}

/**
 * The message with usage figures that are not finite numbers read as 0: a
 * session written before costs were guarded may hold `null` for a `NaN`, and
 * accounting is no reason to drop a reply.
 */
function withCleanUsage(message: AgentMessage): AgentMessage {
  if (message.role !== 'assistant') return message;
  const finite = (value: unknown) => (typeof value === 'number' && Number.isFinite(value) ? value : 0);
  const { usage } = message;
  const cost = usage.cost;
  return {
    ...message,
    usage: {
      input: finite(usage.input),
      output: finite(usage.output),
      cacheRead: finite(usage.cacheRead),
      cacheWrite: finite(usage.cacheWrite),
      totalTokens: finite(usage.totalTokens),
      cost: {
        input: finite(cost.input),
        output: finite(cost.output),
        cacheRead: finite(cost.cacheRead),
        cacheWrite: finite(cost.cacheWrite),
        total: finite(cost.total),
      },
    },
  };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
