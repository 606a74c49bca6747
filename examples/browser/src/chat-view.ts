/**
 * The conversation, drawn from the agent's events as they arrive: user
 * messages, the assistant's text streaming in as rendered markdown (thinking
 * dimmed), one line per tool call with its status, and the run's tokens and
 * cost. A saved conversation (`show`) is drawn the same way from its
 * messages.
 *
 * Model output and file contents are untrusted: everything is written as
 * text nodes, except the assistant's markdown, which goes through
 * `renderMarkdown` (marked, then DOMPurify) and nothing else.
 */
import type { AgentEvent, AgentMessage, AgentToolResult, AssistantMessage, AssistantMessageEvent } from 'qcore';
import { renderMarkdown } from './markdown.js';

export class ChatView {
  readonly #log: HTMLElement;
  #assistant: HTMLElement | undefined;
  readonly #blocks = new Map<number, HTMLElement>();
  /** The markdown of each text block so far, re-rendered as it grows. */
  readonly #texts = new Map<number, string>();
  readonly #tools = new Map<string, HTMLElement>();

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
        if (roleOf(event.message) === 'assistant') this.#endAssistant();
        break;
      case 'tool_execution_start':
        this.#startTool(event.toolCallId, event.toolName, event.args);
        break;
      case 'tool_execution_end':
        this.#endTool(event.toolCallId, event.result, event.isError);
        break;
      case 'agent_end':
        if (event.stopReason === 'error') this.notice(event.errorMessage ?? 'The run failed.', 'error');
        else if (event.stopReason === 'aborted') this.notice('Stopped.', 'info');
        else if (event.stopReason === 'maxTurns') this.notice('Stopped after too many turns.', 'info');
        this.#usage(event.messages);
        break;
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
  }

  /**
   * Draws a saved conversation as it looked when it happened: each run's
   * messages, with its usage line after its last one (a run starts at a
   * user message).
   */
  show(messages: readonly AgentMessage[]): void {
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
    this.#usage(run);
    // A call that never got its result (the page closed mid-run) is no longer running.
    for (const id of [...this.#tools.keys()]) this.#endTool(id, { content: [] }, true);
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
    this.#startAssistant();
    for (const part of message.content) {
      if (part.type === 'thinking') this.#assistant?.append(element('div', 'thinking', part.thinking));
      else if (part.type === 'text') {
        const block = element('div', 'text markdown');
        block.append(renderMarkdown(part.text));
        this.#assistant?.append(block);
      }
    }
    this.#endAssistant();
    for (const part of message.content) {
      if (part.type === 'toolCall') this.#startTool(part.id, part.name, part.arguments);
    }
    if (message.stopReason === 'error') this.notice(message.errorMessage ?? 'The run failed.', 'error');
    else if (message.stopReason === 'aborted') this.notice('Stopped.', 'info');
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
    const status = line.querySelector('.status');
    if (status) status.textContent = isError ? '✗' : '✓';
    const summary = line.querySelector('.summary');
    if (summary) summary.textContent = summarise(result);
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

function element(tag: string, className: string, text?: string): HTMLElement {
  const node = document.createElement(tag);
  node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

/** The argument a reader cares about: the path, the pattern, or else the JSON. */
function describeArgs(args: unknown): string {
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
