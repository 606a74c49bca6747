/**
 * Short text for a terminal: one line per tool call, one per tool result,
 * and token and cost counts. Pure functions; the caller adds colour.
 */
import type { AgentMessage, AgentToolResult } from '../../../src/agent/types.js';
import type { AssistantMessage, Usage } from '../../../src/ai/types.js';

const MAX_ARG_CHARS = 72;
const MAX_SUMMARY_CHARS = 100;

// biome-ignore lint/suspicious/noControlCharactersInRegex: removing control characters is the point
const CONTROL = /[\x00-\x08\x0b-\x1f\x7f-\x9f]/g;

/**
 * Text from the model or from files, made safe to show: without control
 * characters, a file or a reply cannot move the cursor, retitle the window
 * or hide what it wrote. Newlines and tabs stay.
 */
export function terminalSafe(text: string): string {
  return text.replace(CONTROL, '');
}

/** The argument that says what a call is about, on one short line. */
export function toolArgSummary(name: string, rawArgs: unknown): string {
  const args = isRecord(rawArgs) ? rawArgs : {};
  return terminalSafe(truncate(oneLine(mainArgument(name, args) ?? ''), MAX_ARG_CHARS));
}

function mainArgument(name: string, args: Record<string, unknown>): string | undefined {
  const text = (key: string): string | undefined => {
    const value = args[key];
    return typeof value === 'string' ? value : undefined;
  };
  let detail: string | undefined;
  switch (name) {
    case 'read':
    case 'write':
    case 'edit':
      detail = text('path');
      if (name === 'read' && detail && typeof args.offset === 'number') detail += `:${args.offset}`;
      break;
    case 'ls':
      detail = text('path') ?? '.';
      break;
    case 'find':
    case 'grep': {
      const pattern = text('pattern');
      const path = text('path');
      detail = pattern === undefined ? path : `${pattern}${path && path !== '.' ? ` in ${path}` : ''}`;
      break;
    }
    case 'bash':
      detail = text('command');
      break;
    default:
      detail = JSON.stringify(args);
  }
  return detail;
}

export interface ToolOutcome {
  ok: boolean;
  text: string;
  /** For a failed `bash`: the lines that led to the error, shown under it. */
  excerpt?: string[];
}

/** `120 lines`, `3 matches in 2 files`, or the first line of the error. */
export function toolOutcome(name: string, result: AgentToolResult, isError: boolean): ToolOutcome {
  const outcome = describeOutcome(name, result, isError);
  return {
    ok: outcome.ok,
    text: terminalSafe(outcome.text),
    ...(outcome.excerpt?.length ? { excerpt: outcome.excerpt.map((line) => terminalSafe(line)) } : {}),
  };
}

/** The whole text a tool returned. */
export function toolText(result: AgentToolResult): string {
  return result.content
    .filter((part) => part.type === 'text')
    .map((part) => part.text)
    .join('\n');
}

/** The unified diff an `edit` or `write` put in its details, if any. */
export function toolDiff(name: string, result: AgentToolResult): string | undefined {
  if (name !== 'edit' && name !== 'write') return undefined;
  const diff = isRecord(result.details) ? result.details.diff : undefined;
  return typeof diff === 'string' && diff !== '' ? terminalSafe(diff) : undefined;
}

/** At most `max` lines of `diff`, and how many more there are (counting those edit-diff already cut). */
export function capDiff(diff: string, max: number): { lines: string[]; more: number } {
  const lines = diff.split('\n');
  let more = 0;
  const cut = /^… (\d+) more diff lines$/.exec(lines.at(-1) ?? '');
  if (cut) {
    lines.pop();
    more += Number(cut[1]);
  }
  if (lines.length > max) {
    more += lines.length - max;
    lines.length = max;
  }
  return { lines, more };
}

function describeOutcome(name: string, result: AgentToolResult, isError: boolean): ToolOutcome {
  const body = result.content
    .filter((part) => part.type === 'text')
    .map((part) => part.text)
    .join('\n');
  const details = isRecord(result.details) ? result.details : {};
  if (name === 'bash') return bashOutcome(body, details, isError);
  if (isError) return { ok: false, text: truncate(firstLine(body) || 'failed', MAX_SUMMARY_CHARS) };
  const count = (key: string): number | undefined => {
    const value = details[key];
    return typeof value === 'number' ? value : undefined;
  };
  switch (name) {
    case 'read': {
      if (details.kind === 'image') return { ok: true, text: `image, ${formatBytes(count('size') ?? 0)}` };
      const total = count('totalLines');
      if (total === undefined) break;
      const start = count('startLine');
      const end = count('endLine');
      const partial = start !== undefined && end !== undefined && (start > 1 || end < total);
      return { ok: true, text: partial ? `lines ${start}-${end} of ${total}` : plural(total, 'line') };
    }
    case 'write': {
      const bytes = count('bytes');
      if (bytes === undefined) break;
      return { ok: true, text: `${formatBytes(bytes)}${details.created === true ? ', new file' : ''}` };
    }
    case 'edit': {
      const replacements = count('replacements');
      const line = count('firstChangedLine');
      if (replacements === undefined) break;
      return { ok: true, text: `${plural(replacements, 'replacement')}${line ? ` at line ${line}` : ''}` };
    }
    case 'ls': {
      const total = count('total');
      if (total !== undefined) return { ok: true, text: plural(total, 'entry', 'entries') };
      break;
    }
    case 'find': {
      const matches = count('matches');
      if (matches !== undefined) return { ok: true, text: plural(matches, 'file') };
      break;
    }
    case 'grep': {
      const matches = count('matches');
      const files = count('files');
      if (matches === undefined) break;
      return { ok: true, text: `${plural(matches, 'match', 'matches')}${files ? ` in ${plural(files, 'file')}` : ''}` };
    }
  }
  return { ok: true, text: truncate(firstLine(body) || 'done', MAX_SUMMARY_CHARS) };
}

function bashOutcome(body: string, details: Record<string, unknown>, isError: boolean): ToolOutcome {
  const lines = body === '(no output)' ? 0 : body.split('\n').filter((line) => line.trim() !== '').length;
  if (details.timedOut === true) return { ok: false, text: 'timed out' };
  if (details.aborted === true) return { ok: false, text: 'aborted' };
  const exitCode = typeof details.exitCode === 'number' ? details.exitCode : null;
  if (!isError) return { ok: true, text: `exit 0, ${plural(lines, 'line')} of output` };
  const status = exitCode === null ? 'killed' : `exit ${exitCode}`;
  const { reason, excerpt } = bashFailure(body);
  return {
    ok: false,
    text: truncate(reason ? `${status}: ${reason.trim()}` : status, MAX_SUMMARY_CHARS),
    excerpt: excerpt.map((line) => truncate(line, MAX_SUMMARY_CHARS * 2)),
  };
}

/** Lines that say nothing about the failure: blank ones, our exit-code line, Node's version footer. */
const NOISE = /^\s*$|^exit code \d+$|^Node\.js v\d+\.\d+\.\d+$/;
/** A line that names the error: `TypeError: …`, `error: …`, `fatal: …`, `FAILED …`. */
const ERROR_LINE = /^\s*(?:[\w.$]*(?:Error|Exception)\b.*?:|(?:error|fatal|panic)\b|FAIL(?:ED)?\b)/i;
const EXCERPT_BEFORE = 4;

/**
 * The error of a failed command and the few lines before it: the last line
 * naming an error, else the last line; noise (Node's `Node.js v20…` footer,
 * blank lines) dropped. The excerpt is what comes just before the error
 * line, so a stack trace below it does not push the error out of view.
 */
export function bashFailure(body: string): { reason: string | undefined; excerpt: string[] } {
  const lines = (body === '(no output)' ? '' : body).split('\n').filter((line) => !NOISE.test(line));
  let at = lines.findLastIndex((line) => ERROR_LINE.test(line));
  if (at < 0) at = lines.length - 1;
  const reason = lines[at];
  return { reason, excerpt: at < 0 ? [] : lines.slice(Math.max(0, at - EXCERPT_BEFORE), at) };
}

/** Token counts of every model call in `messages`, and what they cost. */
export function sumUsage(messages: readonly AgentMessage[]): { usage: Usage; calls: number } {
  const usage: Usage = {
    input: 0,
    output: 0,
    cacheRead: 0,
    cacheWrite: 0,
    totalTokens: 0,
    cost: { input: 0, output: 0, cacheRead: 0, cacheWrite: 0, total: 0 },
  };
  let calls = 0;
  for (const message of messages) {
    if (!isAssistant(message)) continue;
    calls++;
    const u = message.usage;
    usage.input += u.input;
    usage.output += u.output;
    usage.cacheRead += u.cacheRead;
    usage.cacheWrite += u.cacheWrite;
    usage.totalTokens += u.totalTokens;
    usage.cost.input += u.cost.input;
    usage.cost.output += u.cost.output;
    usage.cost.cacheRead += u.cost.cacheRead;
    usage.cost.cacheWrite += u.cost.cacheWrite;
    usage.cost.total += u.cost.total;
  }
  return { usage, calls };
}

/** `↑1.2k ↓340 $0.0123`; the input count includes cached tokens, which are also shown apart. */
export function usageLine(usage: Usage): string {
  const input = usage.input + usage.cacheRead + usage.cacheWrite;
  const cached = usage.cacheRead > 0 ? ` (${formatTokens(usage.cacheRead)} cached)` : '';
  return `↑${formatTokens(input)}${cached} ↓${formatTokens(usage.output)} ${formatCost(usage.cost.total)}`;
}

export function formatTokens(count: number): string {
  if (count < 1000) return String(count);
  if (count < 10_000) return `${(count / 1000).toFixed(1)}k`;
  if (count < 1_000_000) return `${Math.round(count / 1000)}k`;
  return `${(count / 1_000_000).toFixed(1)}M`;
}

export function formatCost(dollars: number): string {
  return dollars >= 1 ? `$${dollars.toFixed(2)}` : `$${dollars.toFixed(4)}`;
}

/** The text of an assistant message, without its thinking or tool calls. */
export function assistantText(message: AssistantMessage): string {
  return message.content
    .filter((part) => part.type === 'text')
    .map((part) => part.text)
    .join('');
}

export function isAssistant(message: AgentMessage): message is AssistantMessage {
  return isRecord(message) && message.role === 'assistant';
}

export function truncate(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}

function plural(count: number, word: string, many = `${word}s`): string {
  return `${count} ${count === 1 ? word : many}`;
}

function firstLine(text: string): string {
  return text.split('\n').find((line) => line.trim() !== '') ?? '';
}

function oneLine(text: string): string {
  return text.replace(/\s*\n\s*/g, ' ⏎ ').trim();
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
