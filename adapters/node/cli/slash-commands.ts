/**
 * The interactive commands: `/model`, `/thinking`, `/compact`, `/clear`,
 * `/session`, `/cost`, `/expand`, `/undo`, `/help` and `/exit`.
 */
import type { Agent } from '../../../src/agent/agent.js';
import type { Model, ReasoningLevel } from '../../../src/ai/types.js';
import type { UndoReport } from '../../../src/tools/undo-journal.js';
import { parseThinking, THINKING_LEVELS } from './args.js';
import { CliError } from './errors.js';
import type { LiveView } from './live-view.js';
import { formatTokens, sumUsage, usageLine } from './render.js';
import type { SessionRecorder } from './session-recorder.js';
import type { Style } from './style.js';
import { describeUndo } from './undo.js';

export interface SlashHost {
  agent: Agent;
  recorder: SessionRecorder;
  view: LiveView;
  style: Style;
  print(text: string): void;
  /** Resolves `provider/id` or `id` and switches to it; throws a `CliError` it cannot. */
  switchModel(spec: string): Model;
  /** Models worth offering for `/model`. */
  modelChoices(): Model[];
  thinking(): ReasoningLevel;
  setThinking(level: ReasoningLevel): void;
  /** `/mcp`: the MCP servers, their state and their tools. */
  mcp?: () => string;
  /** Compacts the conversation as a run of its own, which Ctrl-C aborts. */
  compact(instructions: string): void;
  /** Puts back the files the last prompt's write and edit calls changed. */
  undo(): Promise<UndoReport>;
}

/** What Tab completes after `/`. */
export const SLASH_COMMANDS: readonly string[] = [
  '/model',
  '/thinking',
  '/compact',
  '/undo',
  '/expand',
  '/mcp',
  '/clear',
  '/session',
  '/cost',
  '/help',
  '/exit',
];

export const SLASH_HELP = `Commands:
  /model [provider/id]   show the model, or switch to another
  /thinking [level]      show or hide thinking; with a level (${THINKING_LEVELS.join(', ')}), set how much
  /compact [what to keep] summarize the older part of the conversation, to free context
  /clear                 start a new conversation (and a new session file)
  /session               the session file, its message count and how full the context is
  /cost                  tokens and cost of this conversation
  /undo                  put back the files the last prompt's write and edit changed (not bash's)
  /expand                the last tool's whole output (a diff in full)
  /mcp                   the MCP servers from the config file: state and tools
  /help                  this help
  /exit                  quit (also Ctrl-D, or Ctrl-C twice)

Keys:
  Enter sends · Alt-Enter, Shift-Enter or a \\ at the end of the line: a new line · a paste is one prompt
  ↑/↓ history · ←/→, Alt-←/→, Ctrl-A/Ctrl-E, Ctrl-W, Ctrl-U, Ctrl-K edit · Tab completes /commands and @paths
  Ctrl-O shows the last tool's whole output
  Ctrl-C aborts the running turn; a line entered while the agent works (at the » prompt) is queued and sent to it`;

/** Runs one command line; returns `exit` when the session should end. */
export function runSlashCommand(line: string, host: SlashHost): 'exit' | undefined {
  const [name = '', ...rest] = line.trim().slice(1).split(/\s+/);
  const argument = rest.join(' ');
  const { style, print } = host;
  switch (name) {
    case 'exit':
    case 'quit':
      return 'exit';
    case 'help':
      print(SLASH_HELP);
      return;
    case 'model':
      return modelCommand(argument, host);
    case 'thinking':
      return thinkingCommand(argument, host);
    case 'mcp':
      print(host.mcp ? host.mcp() : 'no MCP servers');
      return;
    case 'compact':
      host.compact(argument);
      return;
    case 'clear':
      host.agent.reset();
      host.recorder.startNew();
      print(style.dim(`new conversation${host.recorder.path ? ` · session ${host.recorder.path}` : ''}`));
      return;
    case 'session': {
      const count = host.agent.state.messages.length;
      const where = host.recorder.path ?? 'not saved';
      const { tokens, contextWindow, percent } = host.agent.contextUsage;
      print(
        `session: ${where}\nmessages: ${count}\ncontext: ${formatTokens(tokens)} of ${formatTokens(contextWindow)} tokens (${Math.round(percent)}%)`,
      );
      return;
    }
    case 'expand':
      print(host.view.expand());
      return;
    case 'undo':
      host.undo().then(
        (report) => print(describeUndo(report, style)),
        (error: unknown) => print(style.red(`undo failed: ${error instanceof Error ? error.message : String(error)}`)),
      );
      return;
    case 'cost': {
      const { usage, calls } = sumUsage(host.agent.state.messages);
      print(`${usageLine(usage)} · ${calls} model ${calls === 1 ? 'call' : 'calls'} in this conversation`);
      return;
    }
    default:
      print(style.red(`unknown command /${name}; /help lists them`));
      return;
  }
}

function modelCommand(argument: string, host: SlashHost): undefined {
  const { agent, print, style } = host;
  if (argument) {
    try {
      const model = host.switchModel(argument);
      print(style.dim(`switched to ${model.provider}/${model.id}`));
    } catch (error) {
      print(style.red(error instanceof CliError ? error.message : String(error)));
    }
    return;
  }
  const current = agent.state.model;
  const choices = host
    .modelChoices()
    .map(
      (m) => `  ${m.provider}/${m.id}${m.provider === current.provider && m.id === current.id ? '  (current)' : ''}`,
    );
  print(
    `model: ${current.provider}/${current.id} · ${current.name} · thinking ${host.thinking()}\n${choices.join('\n')}\nSwitch with /model provider/id`,
  );
  return;
}

function thinkingCommand(argument: string, host: SlashHost): undefined {
  const { print, style, view } = host;
  if (argument) {
    try {
      host.setThinking(parseThinking(argument, '/thinking'));
      print(style.dim(`thinking level: ${host.thinking()}`));
    } catch (error) {
      print(style.red(error instanceof CliError ? error.message : String(error)));
    }
    return;
  }
  view.showThinking = !view.showThinking;
  print(style.dim(view.showThinking ? 'thinking shown' : 'thinking hidden'));
  return;
}
