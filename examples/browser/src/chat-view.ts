/**
 * The conversation, drawn from the agent's events as they arrive: user
 * messages, the assistant's text streaming in as rendered markdown (thinking
 * dimmed), one line per tool call with its status, and the run's tokens and
 * cost. A saved conversation (`show`) is drawn the same way from its
 * messages.
 *
 * The same events come from a local `Agent` or from a session on a durable
 * Worker (`connectAgent`). A Worker's run can also stop on tool calls that
 * wait for approval (drawn as held until the run goes on), and a page can
 * join a run that is already going (`show` with `open`).
 *
 * Model output and file contents are untrusted: everything is written as
 * text nodes, except the assistant's markdown, which goes through
 * `renderMarkdown` (marked, then DOMPurify) and nothing else.
 */
import type {
  AgentEvent,
  AgentMessage,
  AgentToolResult,
  AssistantMessage,
  AssistantMessageEvent,
  PendingApproval,
} from 'qcore';
import { renderMarkdown } from './markdown.js';

export class ChatView {
  readonly #log: HTMLElement;
  #assistant: HTMLElement | undefined;
  readonly #blocks = new Map<number, HTMLElement>();
  /** The markdown of each text block so far, re-rendered as it grows. */
  readonly #texts = new Map<number, string>();
  readonly #tools = new Map<string, HTMLElement>();
  /**
   * The messages of a run that is not over, drawn already but not yet in a
   * usage line: a run that waits for approval (its usage comes when the run
   * it goes on with ends), or one joined while it was going.
   */
  #openRun: AgentMessage[] = [];

  constructor(log: HTMLElement) {
    this.#log = log;
  }

  handle(event: AgentEvent): void {
    switch (event.type) {
      case 'message_start':
        if (roleOf(event.message) === 'user') this.#addUser(event.message);
        else if (roleOf(event.message) === 'assistant') this.#startAssistant();
        break;
      case 'message_update':
        this.#update(event.assistantMessageEvent);
        break;
      case 'message_end':
        if (roleOf(event.message) !== 'assistant') break;
        // A reply whose start came before this page joined the run: drawn whole, as it ended.
        if (!this.#assistant) this.#drawReply(event.message as AssistantMessage);
        this.#endAssistant();
        break;
      case 'tool_execution_start':
        this.#startTool(event.toolCallId, event.toolName, event.args);
        break;
      case 'tool_execution_end':
        this.#endTool(event.toolCallId, event.result, event.isError);
        break;
      case 'agent_end':
        if (event.stopReason === 'awaiting_approval') {
          // Not over: it goes on once the held calls are answered, and its usage line comes then.
          this.#openRun = mergeRun(this.#openRun, event.messages);
          this.hold(event.pendingApprovals ?? []);
          break;
        }
        if (event.stopReason === 'error') this.notice(event.errorMessage ?? 'The run failed.', 'error');
        else if (event.stopReason === 'aborted') this.notice('Stopped.', 'info');
        else if (event.stopReason === 'maxTurns') this.notice('Stopped after too many turns.', 'info');
        this.#usage(mergeRun(this.#openRun, event.messages));
        this.#openRun = [];
        break;
    }
  }

  /** Marks tool calls as held for approval: their lines wait until the run goes on. */
  hold(calls: readonly PendingApproval[]): void {
    for (const call of calls) {
      if (!this.#tools.has(call.toolCallId)) this.#startTool(call.toolCallId, call.toolName, call.args);
      const line = this.#tools.get(call.toolCallId);
      if (!line) continue;
      line.className = 'tool held';
      setText(line, '.status', '?');
      setText(line, '.summary', call.reason ? `waits for approval: ${call.reason}` : 'waits for approval');
    }
  }

  notice(text: string, kind: 'info' | 'error'): void {
    this.#append(element('div', `notice ${kind}`, text));
  }

  clear(): void {
    this.#log.replaceChildren();
    this.#assistant = undefined;
    this.#blocks.clear();
    this.#texts.clear();
    this.#tools.clear();
    this.#openRun = [];
  }

  /**
   * Draws a saved conversation as it looked when it happened: each run's
   * messages, with its usage line after its last one (a run starts at a
   * user message).
   *
   * `open`: the last run is not over (it runs, or waits for approval of
   * `held`), so its calls without results stay open and its usage line
   * comes with its `agent_end`.
   */
  show(messages: readonly AgentMessage[], options: { open?: boolean; held?: readonly PendingApproval[] } = {}): void {
    this.clear();
    let run: AgentMessage[] = [];
    for (const message of messages) {
      const role = roleOf(message);
      if (role === 'user' && run.length > 0) {
        this.#usage(run);
        run = [];
      }
      run.push(message);
      if (role === 'user') this.#addUser(message);
      else if (role === 'assistant') this.#addAssistant(message as AssistantMessage);
      else if (role === 'toolResult' && 'toolCallId' in message) {
        this.#endTool(message.toolCallId, message, message.isError);
      } else if (role === 'compactionSummary') {
        this.notice('Earlier messages were compacted into a summary the agent still has.', 'info');
      }
    }
    if (options.open) {
      this.#openRun = run;
      this.hold(options.held ?? []);
    } else {
      this.#usage(run);
      // A call that never got its result (the page closed mid-run) is no longer running.
      for (const id of [...this.#tools.keys()]) this.#endTool(id, { content: [] }, true);
    }
    this.#scrollToEnd();
  }

  #addUser(message: AgentMessage): void {
    if (!('content' in message)) return;
    const text =
      typeof message.content === 'string'
        ? message.content
        : message.content.map((part) => (part.type === 'text' ? part.text : '[image]')).join('\n');
    this.#append(element('div', 'msg user', text));
  }

  #startAssistant(): void {
    this.#assistant = element('div', 'msg assistant');
    this.#blocks.clear();
    this.#texts.clear();
    this.#append(this.#assistant);
  }

  /** A finished reply at once: its thinking and text blocks, then a line per tool call, then why it stopped. */
  #addAssistant(message: AssistantMessage): void {
    this.#drawReply(message);
    this.#endAssistant();
    for (const part of message.content) {
      if (part.type === 'toolCall') this.#startTool(part.id, part.name, part.arguments);
    }
    if (message.stopReason === 'error') this.notice(message.errorMessage ?? 'The run failed.', 'error');
    else if (message.stopReason === 'aborted') this.notice('Stopped.', 'info');
  }

  /** A reply's bubble with its thinking and text blocks, left open for `#endAssistant`. */
  #drawReply(message: AssistantMessage): void {
    this.#startAssistant();
    for (const part of message.content) {
      if (part.type === 'thinking') this.#assistant?.append(element('div', 'thinking', part.thinking));
      else if (part.type === 'text') {
        const block = element('div', 'text markdown');
        block.append(renderMarkdown(part.text));
        this.#assistant?.append(block);
      }
    }
  }

  #update(event: AssistantMessageEvent): void {
    const message = this.#assistant;
    if (!message) return;
    const stick = this.#atBottom();
    switch (event.type) {
      case 'text_start':
      case 'thinking_start': {
        const block = element('div', event.type === 'text_start' ? 'text markdown' : 'thinking');
        this.#blocks.set(event.contentIndex, block);
        this.#texts.set(event.contentIndex, '');
        message.append(block);
        break;
      }
      case 'text_delta': {
        // The whole block again: a delta can close a list or a code fence that changes what came before.
        const text = (this.#texts.get(event.contentIndex) ?? '') + event.delta;
        this.#texts.set(event.contentIndex, text);
        this.#blocks.get(event.contentIndex)?.replaceChildren(renderMarkdown(text));
        break;
      }
      case 'thinking_delta':
        // A text node per delta: the browser appends it without re-reading what came before.
        this.#blocks.get(event.contentIndex)?.append(event.delta);
        break;
      default:
        return;
    }
    if (stick) this.#scrollToEnd();
  }

  #endAssistant(): void {
    // A turn that only called tools leaves an empty bubble; the tool lines say it all.
    if (this.#assistant && !this.#assistant.textContent?.trim()) this.#assistant.remove();
    this.#assistant = undefined;
    this.#blocks.clear();
    this.#texts.clear();
  }

  #startTool(id: string, name: string, args: unknown): void {
    const held = this.#tools.get(id);
    if (held) {
      // A call that waited for approval, now running: its line stays where the reply put it.
      held.className = 'tool running';
      setText(held, '.status', '…');
      setText(held, '.summary', '');
      return;
    }
    const line = element('div', 'tool running');
    line.append(
      element('span', 'status', '…'),
      element('span', 'name', name),
      element('span', 'args', describeArgs(args)),
      element('span', 'summary'),
    );
    this.#tools.set(id, line);
    this.#append(line);
  }

  #endTool(id: string, result: AgentToolResult, isError: boolean): void {
    const line = this.#tools.get(id);
    if (!line) return;
    line.classList.remove('running');
    line.classList.add(isError ? 'failed' : 'done');
    line.classList.remove('held');
    setText(line, '.status', isError ? '✗' : '✓');
    setText(line, '.summary', summarise(result));
    this.#tools.delete(id);
  }

  #usage(messages: AgentMessage[]): void {
    let input = 0;
    let output = 0;
    let cost = 0;
    for (const message of messages) {
      if (!('usage' in message)) continue;
      input += message.usage.input + message.usage.cacheRead + message.usage.cacheWrite;
      output += message.usage.output;
      cost += message.usage.cost.total;
    }
    if (input + output === 0) return;
    this.#append(element('div', 'usage', `↑${tokens(input)} ↓${tokens(output)} · $${cost.toFixed(4)}`));
  }

  #append(node: HTMLElement): void {
    this.#log.querySelector('.welcome')?.remove();
    const stick = this.#atBottom();
    this.#log.append(node);
    if (stick) this.#scrollToEnd();
  }

  /** Follow the conversation only while the reader is at its end, not while they scroll back. */
  #atBottom(): boolean {
    const log = this.#log;
    return log.scrollHeight - log.scrollTop - log.clientHeight < 48;
  }

  #scrollToEnd(): void {
    this.#log.scrollTop = this.#log.scrollHeight;
  }
}

function roleOf(message: AgentMessage): string | undefined {
  return 'role' in message && typeof message.role === 'string' ? message.role : undefined;
}

/**
 * The messages of one run, drawn in parts: the part a page already had (a
 * run it joined, or the part before an approval) and what its `agent_end`
 * lists, which may repeat some of them. A message is the same one when its
 * role and timestamp are.
 */
function mergeRun(before: readonly AgentMessage[], after: readonly AgentMessage[]): AgentMessage[] {
  if (before.length === 0) return [...after];
  const key = (message: AgentMessage) =>
    `${roleOf(message)}|${'timestamp' in message ? message.timestamp : ''}|${'toolCallId' in message ? message.toolCallId : ''}`;
  const seen = new Set(before.map(key));
  return [...before, ...after.filter((message) => !seen.has(key(message)))];
}

function setText(parent: HTMLElement, selector: string, text: string): void {
  const node = parent.querySelector(selector);
  if (node) node.textContent = text;
}

function element(tag: string, className: string, text?: string): HTMLElement {
  const node = document.createElement(tag);
  node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

/** The argument a reader cares about: the path, the pattern, or else the JSON. */
export function describeArgs(args: unknown): string {
  if (typeof args !== 'object' || args === null) return '';
  const record = args as Record<string, unknown>;
  const path = typeof record.path === 'string' ? record.path : undefined;
  const pattern = typeof record.pattern === 'string' ? record.pattern : undefined;
  if (pattern) return path ? `${pattern} in ${path}` : pattern;
  if (path) return path;
  return clip(JSON.stringify(args), 80);
}

function summarise(result: AgentToolResult): string {
  const text = result.content.map((part) => (part.type === 'text' ? part.text : '[image]')).join('\n');
  const first = text.trim().split('\n')[0] ?? '';
  const lines = text.trim() ? text.trim().split('\n').length : 0;
  return lines > 1 ? `${clip(first, 90)} (+${lines - 1} lines)` : clip(first, 90);
}

function clip(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

function tokens(count: number): string {
  return count >= 1000 ? `${(count / 1000).toFixed(1)}k` : String(count);
}
