/**
 * Shows a running agent on a terminal as it happens: the answer streamed
 * (as rendered markdown on a terminal), thinking marked with a bar and dimmed
 * (or hidden), one line per tool call and one per result, with the diff of
 * an edit or write and the lines before a failed command's error, one line
 * per compaction, and a spinner while we wait.
 */
import type { AgentEvent, AgentToolResult } from '../../../src/agent/types.js';
import { MarkdownStream } from './markdown/stream.js';
import { markdownTheme } from './markdown/theme.js';
import { capDiff, formatTokens, terminalSafe, toolArgSummary, toolDiff, toolOutcome, toolText } from './render.js';
import { Spinner } from './spinner.js';
import type { Style, TerminalStream } from './style.js';

export interface LiveViewOptions {
  showThinking: boolean;
  /** Draw a spinner; only ever true on a TTY. */
  spinner: boolean;
  /** Stream the answer text too; print mode leaves it to stdout. */
  showText: boolean;
  /** Render the answer's markdown; by default, when the output is a terminal. */
  markdown?: boolean;
}

/** Diff lines shown under an edit or write; `/expand` shows them all. */
export const DIFF_LINES = 40;
/** Marks each line of thinking, so that it shows as thinking even without colour (dim). */
const THINKING_BAR = '│ ';

export class LiveView {
  showThinking: boolean;
  private readonly spinner: Spinner;
  private atLineStart = true;
  private block: 'text' | 'thinking' | undefined;
  private readonly labels = new Map<string, string>();
  /** Tool calls started this turn; with more than one, results name their call. */
  private callsThisTurn = 0;
  private markdown: MarkdownStream | undefined;
  private thinkingAtLineStart = true;
  private lastTool: { label: string; name: string; result: AgentToolResult } | undefined;

  constructor(
    private readonly out: TerminalStream,
    private readonly style: Style,
    private readonly options: LiveViewOptions,
  ) {
    this.showThinking = options.showThinking;
    this.spinner = new Spinner(out, options.spinner);
  }

  handle(event: AgentEvent): void {
    switch (event.type) {
      case 'turn_start':
        this.callsThisTurn = 0;
        this.wait('waiting for the model…');
        break;
      case 'message_start':
        if (event.message.role === 'assistant') this.block = undefined;
        break;
      case 'message_update':
        this.onStreamEvent(event.assistantMessageEvent);
        break;
      case 'message_end': {
        const message = event.message;
        if (message.role !== 'assistant') break;
        this.spinner.stop();
        this.freshLine();
        if (message.stopReason === 'error') {
          this.line(this.style.red(`error: ${terminalSafe(message.errorMessage ?? 'the model call failed')}`));
        } else if (message.stopReason === 'aborted') {
          this.line(this.style.yellow('aborted'));
        } else if (message.stopReason === 'length') {
          this.line(this.style.yellow('(the reply hit the output token limit)'));
        }
        break;
      }
      case 'tool_execution_start': {
        this.spinner.stop();
        this.freshLine();
        this.callsThisTurn++;
        const detail = toolArgSummary(event.toolName, event.args);
        const label = `[${event.toolName}]${detail ? ` ${detail}` : ''}`;
        this.labels.set(event.toolCallId, label);
        this.line(`${this.style.cyan(`[${event.toolName}]`)}${detail ? ` ${detail}` : ''}`);
        this.wait(`running ${event.toolName}…`);
        break;
      }
      case 'tool_execution_update': {
        const text = event.partialResult.content.find((part) => part.type === 'text')?.text ?? '';
        const last = text.trimEnd().split('\n').at(-1);
        if (last) this.spinner.update(terminalSafe(`${event.toolName}: ${last}`));
        break;
      }
      case 'tool_execution_end': {
        this.spinner.stop();
        this.freshLine();
        const outcome = toolOutcome(event.toolName, event.result, event.isError);
        const label = this.labels.get(event.toolCallId);
        this.labels.delete(event.toolCallId);
        const text = this.callsThisTurn > 1 && label ? `${label}: ${outcome.text}` : outcome.text;
        for (const line of outcome.excerpt ?? []) this.line(this.style.dim(`    ${line}`));
        this.line(outcome.ok ? `  ${this.style.green('✓')} ${this.style.dim(text)}` : this.style.red(`  ✗ ${text}`));
        const diff = event.isError ? undefined : toolDiff(event.toolName, event.result);
        if (diff) {
          const { lines, more } = capDiff(diff, DIFF_LINES);
          for (const line of lines) this.line(this.diffLine(line));
          if (more > 0)
            this.line(this.style.dim(`    … ${more} more ${more === 1 ? 'line' : 'lines'} (/expand shows them)`));
        }
        this.lastTool = { label: label ?? `[${event.toolName}]`, name: event.toolName, result: event.result };
        if (this.labels.size > 0) this.wait('running tools…');
        break;
      }
      case 'compaction_start':
        this.wait('compacting the conversation…');
        break;
      case 'compaction_end':
        this.spinner.stop();
        this.freshLine();
        if (event.ok) {
          this.line(
            this.style.dim(`compacted ${formatTokens(event.tokensBefore)} → ${formatTokens(event.tokensAfter)} tokens`),
          );
        } else if (!event.aborted) {
          this.line(this.style.yellow(terminalSafe(event.errorMessage)));
        }
        // Within a run, the request it made room for goes out next.
        if (event.reason !== 'manual' && !(event.ok === false && event.aborted)) this.wait('waiting for the model…');
        break;
      case 'agent_end':
        this.finish();
        break;
    }
  }

  /** A line of our own, such as "queued: …", kept apart from the streamed answer. */
  note(text: string): void {
    const spinning = this.spinner.active;
    this.spinner.stop();
    // Streaming markdown goes on after the note: its preview row makes way, and comes back with the next delta.
    if (this.markdown) this.write(this.markdown.hidePreview());
    if (!this.atLineStart) this.write('\n');
    this.line(text);
    if (spinning) this.wait('working…');
  }

  /**
   * The last tool's whole output (its full diff, for an edit or write), or why there is none: for
   * `/expand` and Ctrl-O.
   */
  expand(): string {
    const last = this.lastTool;
    if (!last) return this.style.dim('no tool has run yet');
    const diff = toolDiff(last.name, last.result);
    const body = terminalSafe(toolText(last.result));
    const lines = [this.style.cyan(last.label), ...(body ? [body] : [])];
    if (diff) lines.push(...diff.split('\n').map((line) => this.diffLine(line)));
    return lines.join('\n');
  }

  /** Ends the display of a run: no spinner left, the cursor on a new line. */
  finish(): void {
    this.spinner.stop();
    this.freshLine();
  }

  private onStreamEvent(event: Extract<AgentEvent, { type: 'message_update' }>['assistantMessageEvent']): void {
    switch (event.type) {
      case 'text_start':
        if (!this.options.showText) {
          this.spinner.update('answering…');
          break;
        }
        this.spinner.stop();
        if (this.block === 'thinking') this.freshLine();
        this.block = 'text';
        if (this.options.markdown ?? this.out.isTTY === true) {
          this.markdown = new MarkdownStream({
            theme: markdownTheme(this.style.color),
            columns: this.out.columns ?? 80,
            preview: true,
          });
        }
        break;
      case 'text_delta':
        if (!this.options.showText) break;
        if (this.markdown) this.write(this.markdown.push(event.delta));
        else this.write(terminalSafe(event.delta));
        break;
      case 'text_end':
        this.endMarkdown();
        break;
      case 'thinking_start':
        if (!this.showThinking) {
          this.spinner.update('thinking…');
          break;
        }
        this.spinner.stop();
        this.freshLine();
        this.block = 'thinking';
        this.thinkingAtLineStart = true;
        break;
      case 'thinking_delta':
        if (this.showThinking && this.block === 'thinking') this.write(this.thinkingText(terminalSafe(event.delta)));
        break;
      case 'thinking_end':
        if (this.showThinking && this.block === 'thinking') this.freshLine();
        break;
      case 'toolcall_start':
        this.wait('preparing a tool call…');
        break;
    }
  }

  /** The spinner draws over its own line, so it starts only at the start of one. */
  private wait(label: string): void {
    if (this.spinner.active) {
      this.spinner.update(label);
      return;
    }
    this.freshLine();
    this.spinner.start(label);
  }

  /** Thinking, dimmed, each line after a bar. */
  private thinkingText(text: string): string {
    let out = '';
    for (const part of text.split(/(\n)/)) {
      if (part === '\n') {
        out += '\n';
        this.thinkingAtLineStart = true;
      } else if (part !== '') {
        if (this.thinkingAtLineStart) out += this.style.dim(THINKING_BAR);
        this.thinkingAtLineStart = false;
        out += this.style.dim(part);
      }
    }
    return out;
  }

  private diffLine(line: string): string {
    const { style } = this;
    if (line.startsWith('--- ') || line.startsWith('+++ ')) return `    ${style.bold(line)}`;
    if (line.startsWith('@@')) return `    ${style.cyan(line)}`;
    if (line.startsWith('+')) return `    ${style.green(line)}`;
    if (line.startsWith('-')) return `    ${style.red(line)}`;
    return `    ${style.dim(line)}`;
  }

  /** Draws the rest of the streamed markdown. */
  private endMarkdown(): void {
    const markdown = this.markdown;
    this.markdown = undefined;
    if (markdown) this.write(markdown.finish());
  }

  private write(text: string): void {
    if (text === '') return;
    this.spinner.stop();
    this.out.write(text);
    // A cleared markdown preview leaves the cursor at the start of an empty row.
    this.atLineStart = text.endsWith('\n') || text.endsWith('\r\x1b[2K');
  }

  private line(text: string): void {
    this.write(`${text}\n`);
  }

  private freshLine(): void {
    this.endMarkdown();
    if (!this.atLineStart) this.write('\n');
  }
}
