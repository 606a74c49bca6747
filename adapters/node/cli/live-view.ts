/**
 * Shows a running agent on a terminal as it happens: the answer streamed,
 * thinking dimmed (or hidden), one line per tool call and one per result,
 * one per compaction, and a spinner while we wait.
 */
import type { AgentEvent } from '../../../src/agent/types.js';
import { formatTokens, terminalSafe, toolArgSummary, toolOutcome } from './render.js';
import { Spinner } from './spinner.js';
import type { Style, TerminalStream } from './style.js';

export interface LiveViewOptions {
  showThinking: boolean;
  /** Draw a spinner; only ever true on a TTY. */
  spinner: boolean;
  /** Stream the answer text too; print mode leaves it to stdout. */
  showText: boolean;
}

export class LiveView {
  showThinking: boolean;
  private readonly spinner: Spinner;
  private atLineStart = true;
  private block: 'text' | 'thinking' | undefined;
  private readonly labels = new Map<string, string>();
  /** Tool calls started this turn; with more than one, results name their call. */
  private callsThisTurn = 0;

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
        this.line(outcome.ok ? `  ${this.style.green('✓')} ${this.style.dim(text)}` : this.style.red(`  ✗ ${text}`));
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
    this.freshLine();
    this.line(text);
    if (spinning) this.wait('working…');
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
        break;
      case 'text_delta':
        if (this.options.showText) this.write(terminalSafe(event.delta));
        break;
      case 'thinking_start':
        if (!this.showThinking) {
          this.spinner.update('thinking…');
          break;
        }
        this.spinner.stop();
        this.freshLine();
        this.block = 'thinking';
        break;
      case 'thinking_delta':
        if (this.showThinking && this.block === 'thinking') this.write(this.style.dim(terminalSafe(event.delta)));
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

  private write(text: string): void {
    if (text === '') return;
    this.spinner.stop();
    this.out.write(text);
    this.atLineStart = text.endsWith('\n');
  }

  private line(text: string): void {
    this.write(`${text}\n`);
  }

  private freshLine(): void {
    if (!this.atLineStart) this.write('\n');
  }
}
