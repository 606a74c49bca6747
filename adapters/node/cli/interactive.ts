/**
 * The interactive session: a line editor with history, the agent's work
 * streamed as it happens, Ctrl-C to abort, lines typed during a run queued
 * as steering, and slash commands.
 */
import { createInterface } from 'node:readline';
import type { Agent } from '../../../src/agent/agent.js';
import { HISTORY_SIZE, loadHistory, saveHistory } from './history.js';
import type { LiveView } from './live-view.js';
import { sumUsage, usageLine } from './render.js';
import { runSlashCommand, type SlashHost } from './slash-commands.js';
import type { Style } from './style.js';

export interface InteractiveOptions {
  agent: Agent;
  view: LiveView;
  style: Style;
  stdin: NodeJS.ReadStream;
  stdout: NodeJS.WriteStream;
  historyPath: string;
  /** Lines shown before the first prompt. */
  banner: string[];
  /** Sent as soon as the session starts, as if typed. */
  initialPrompt?: string;
  /** Everything the slash commands need beyond the agent, view and style. */
  slash: Omit<SlashHost, 'agent' | 'view' | 'style' | 'print' | 'compact'>;
}

const PROMPT = '› ';
/** Two Ctrl-C within this time quit, whatever the agent is doing. */
const DOUBLE_PRESS_MS = 1000;

export function runInteractive(options: InteractiveOptions): Promise<number> {
  const { agent, view, style, stdout } = options;
  const rl = createInterface({
    input: options.stdin,
    output: stdout,
    terminal: true,
    history: loadHistory(options.historyPath),
    historySize: HISTORY_SIZE,
    removeHistoryDuplicates: true,
    prompt: PROMPT,
  });
  rl.on('history', (history: string[]) => saveHistory(options.historyPath, history));

  const print = (text: string) => view.note(text);
  let running: Promise<void> | undefined;
  const host: SlashHost = {
    ...options.slash,
    agent,
    view,
    style,
    print,
    compact: (instructions) => startCompaction(instructions),
  };
  let lastInterrupt = 0;
  let exitArmed = false;
  /** Lines sent with steer() and not yet seen in the conversation. */
  const queued: string[] = [];

  const unsubscribe = agent.subscribe((event) => {
    view.handle(event);
    if (event.type === 'message_end' && event.message.role === 'user') {
      const content = event.message.content;
      const index = typeof content === 'string' ? queued.indexOf(content) : -1;
      if (index >= 0) queued.splice(index, 1);
    }
  });

  const startRun = (text: string): void => {
    rl.setPrompt('');
    running = (async () => {
      const before = agent.state.messages.length;
      let stop = (await agent.prompt(text)).stopReason;
      // A line queued after the agent's last look at its queue would wait for the next prompt; send it now.
      while ((stop === 'stop' || stop === 'length') && queued.length > 0) {
        const next = await agent
          .continue()
          .then((result) => result.stopReason)
          .catch(() => undefined);
        if (next === undefined) {
          queued.length = 0;
          break;
        }
        stop = next;
      }
      view.finish();
      const { usage, calls } = sumUsage(agent.state.messages.slice(before));
      if (calls > 0 && usage.totalTokens + usage.input + usage.output > 0) print(style.dim(usageLine(usage)));
      if (stop === 'aborted' && queued.length > 0) {
        print(
          style.dim(
            `${queued.length} queued ${queued.length === 1 ? 'message waits' : 'messages wait'} for your next prompt`,
          ),
        );
      }
    })().finally(() => {
      running = undefined;
      rl.setPrompt(PROMPT);
      rl.prompt(true);
    });
  };

  /** `/compact`: shown through the agent's compaction events; Ctrl-C aborts it as it aborts a run. */
  const startCompaction = (instructions: string): void => {
    rl.setPrompt('');
    running = agent
      .compact(instructions || undefined)
      .then(
        () => undefined,
        // The view has shown why, from compaction_end.
        () => undefined,
      )
      .finally(() => {
        view.finish();
        running = undefined;
        rl.setPrompt(PROMPT);
        rl.prompt(true);
      });
  };

  return new Promise<number>((resolve) => {
    let exitCode = 0;
    const quit = (code: number): void => {
      exitCode = code;
      rl.close();
    };

    rl.on('line', (line) => {
      const text = line.trim();
      // Presses with a line between them are not a double press.
      exitArmed = false;
      lastInterrupt = 0;
      if (running) {
        if (text === '/exit' || text === '/quit') return quit(0);
        if (text.startsWith('/')) {
          print(style.yellow('commands wait until the agent is done; Ctrl-C aborts it'));
          return;
        }
        if (text === '') return;
        agent.steer(text);
        queued.push(text);
        print(style.dim(`queued: ${text}`));
        return;
      }
      if (text === '') {
        rl.prompt();
        return;
      }
      if (text.startsWith('/')) {
        if (runSlashCommand(text, host) === 'exit') return quit(0);
        rl.prompt();
        return;
      }
      startRun(text);
    });

    rl.on('SIGINT', () => {
      const now = Date.now();
      const quick = now - lastInterrupt < DOUBLE_PRESS_MS;
      lastInterrupt = now;
      if (quick) return quit(0);
      if (running) {
        agent.abort();
        print(style.yellow('aborting… (Ctrl-C again to quit)'));
        return;
      }
      if (rl.line !== '') {
        // As in a shell: Ctrl-C drops the line being typed.
        rl.write('', { ctrl: true, name: 'e' });
        rl.write('', { ctrl: true, name: 'u' });
        return;
      }
      if (exitArmed) return quit(0);
      exitArmed = true;
      stdout.write(`\n${style.dim('(Ctrl-C again to quit, or /exit)')}\n`);
      rl.prompt();
    });

    rl.on('close', () => {
      agent.abort();
      void (running ?? Promise.resolve()).finally(() => {
        unsubscribe();
        view.finish();
        resolve(exitCode);
      });
    });

    for (const line of options.banner) stdout.write(`${line}\n`);
    if (options.initialPrompt) {
      stdout.write(`${PROMPT}${options.initialPrompt}\n`);
      startRun(options.initialPrompt);
    } else {
      rl.prompt();
    }
  });
}
