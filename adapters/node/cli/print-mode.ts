/**
 * One prompt, one answer, for scripts and pipes: stdout gets only the final
 * answer (or, with `--json`, one agent event per line: the `data` JSON of the
 * agent-event wire format, the same encoder the Worker uses); failures go to
 * stderr with exit code 1.
 */
import type { Agent } from '../../../src/agent/agent.js';
import { AgentEventEncoder } from '../../../src/agent/agent-event-wire.js';
import type { AgentEvent, AgentStopReason } from '../../../src/agent/types.js';
import type { LiveView } from './live-view.js';
import { renderMarkdown } from './markdown/stream.js';
import { markdownTheme } from './markdown/theme.js';
import { assistantText, isAssistant } from './render.js';
import { colorEnabled, type TerminalStream } from './style.js';

export interface PrintModeOptions {
  agent: Agent;
  prompt: string;
  json: boolean;
  stdout: TerminalStream;
  stderr: TerminalStream;
  /** Progress on a terminal's stderr, when there is one to show it. */
  progress: LiveView | undefined;
  /** Stop hooks: what to tell the model to go on with, when one says it is not done. */
  stopBlocked?: (continuations: number) => Promise<string | undefined>;
  /** For `NO_COLOR`; the process's environment by default. */
  env?: NodeJS.ProcessEnv;
}

/** Exit code for a run stopped by Ctrl-C, as shells report SIGINT. */
export const EXIT_INTERRUPTED = 130;

export async function runPrintMode(options: PrintModeOptions): Promise<number> {
  const { agent, stdout, stderr } = options;
  let end: Extract<AgentEvent, { type: 'agent_end' }> | undefined;
  const encoder = options.json ? new AgentEventEncoder() : undefined;
  const unsubscribe = agent.subscribe((event) => {
    if (encoder) stdout.write(`${encoder.data(event)}\n`);
    else options.progress?.handle(event);
    if (event.type === 'agent_end') end = event;
  });
  const onSigint = () => agent.abort();
  process.on('SIGINT', onSigint);
  try {
    let result = await agent.prompt(options.prompt);
    for (let n = 0; result.stopReason === 'stop' && options.stopBlocked; n++) {
      const more = await options.stopBlocked(n);
      if (more === undefined) break;
      result = await agent.prompt(more);
    }
  } finally {
    process.off('SIGINT', onSigint);
    unsubscribe();
  }

  const stopReason: AgentStopReason = end?.stopReason ?? 'error';
  if (stopReason === 'aborted') {
    stderr.write('qcore: aborted\n');
    return EXIT_INTERRUPTED;
  }
  // A text reply cut by the token limit is still the answer; a reply cut inside a tool call has an error.
  const cutText = stopReason === 'length' && end?.errorMessage === undefined;
  if (stopReason !== 'stop' && !cutText) {
    const reason = end?.errorMessage ?? agent.state.error ?? 'the run failed';
    stderr.write(`qcore: ${reason}\n`);
    return 1;
  }
  if (!options.json) {
    const last = agent.state.messages.findLast(isAssistant);
    const text = last ? assistantText(last).trim() : '';
    // A pipe gets the answer as it is (markdown); a terminal gets it rendered, with only what is safe to show.
    if (text && stdout.isTTY) {
      const theme = markdownTheme(colorEnabled(stdout, options.env ?? process.env));
      stdout.write(renderMarkdown(text, { theme, columns: stdout.columns ?? 80 }));
    } else if (text) {
      stdout.write(`${text}\n`);
    }
  }
  if (cutText) stderr.write('qcore: the reply hit the token limit (maxTokens) and may be cut short\n');
  return 0;
}
