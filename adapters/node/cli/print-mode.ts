/**
 * One prompt, one answer, for scripts and pipes: stdout gets only the final
 * answer (or, with `--json`, one agent event per line: the `data` JSON of the
 * agent-event wire format, the same encoder the Worker uses); failures go to
 * stderr with exit code 1. With `--output-schema FILE` the run ends with an
 * answer matching that JSON Schema (`agent.prompt(text, { output })`, with
 * one repair), and stdout gets it as JSON; `--json` shows its `object_delta`
 * events and the last line, `agent_end`, carries it as `output`.
 */
import { readFileSync } from 'node:fs';
import type { Agent } from '../../../src/agent/agent.js';
import { AgentEventEncoder } from '../../../src/agent/agent-event-wire.js';
import type { AgentEvent, AgentRunOptions, AgentStopReason } from '../../../src/agent/types.js';
import type { JsonSchema } from '../../../src/ai/types.js';
import { UsageError } from './errors.js';
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
  /** `--output-schema`: the JSON Schema the answer must match (`readOutputSchema`). */
  outputSchema?: JsonSchema;
}

/** The JSON Schema in `path` (`--output-schema`); what is wrong with the file is a usage error. */
export function readOutputSchema(path: string): JsonSchema {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new UsageError(`--output-schema: cannot read ${path}: ${(error as NodeJS.ErrnoException).code ?? error}`);
  }
  let schema: unknown;
  try {
    schema = JSON.parse(text);
  } catch (error) {
    throw new UsageError(`--output-schema: ${path} is not JSON: ${(error as Error).message}`);
  }
  if (typeof schema !== 'object' || schema === null || Array.isArray(schema)) {
    throw new UsageError(`--output-schema: ${path} must hold a JSON Schema object, such as {"type": "object", ...}`);
  }
  return schema as JsonSchema;
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
  // A stop hook's continuation asks for the answer again: the last run's is the one printed.
  const run: AgentRunOptions | undefined = options.outputSchema && { output: options.outputSchema, repair: true };
  try {
    let result = await agent.prompt(options.prompt, run);
    for (let n = 0; result.stopReason === 'stop' && options.stopBlocked; n++) {
      const more = await options.stopBlocked(n);
      if (more === undefined) break;
      result = await agent.prompt(more, run);
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
  if (run) {
    if (end?.output === undefined) {
      stderr.write('qcore: the run ended without an answer for --output-schema\n');
      return 1;
    }
    if (!options.json) stdout.write(`${JSON.stringify(end.output, null, stdout.isTTY ? 2 : undefined)}\n`);
  } else if (!options.json) {
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
