/**
 * The interactive session: a line editor with history, the agent's work
 * streamed as it happens, Ctrl-C to abort, lines typed during a run queued
 * as steering, and slash commands.
 */
import { createInterface } from 'node:readline';
import type { Agent } from '../../../src/agent/agent.js';
import { HISTORY_SIZE, loadHistory, saveHistory } from './history.js';
import type { LiveView } from './live-view.js';
import { type Answer, type ApprovalRequest, choicesLine, parseAnswer } from './permissions/asking.js';
import type { ToolGate } from './permissions/tool-gate.js';
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
  /** Called as each prompt is sent: where `/undo`'s journal starts a new prompt. */
  beforePrompt?: () => void;
  /** Approvals and hooks: asks through this session's line editor, and runs the prompt hooks. */
  gate?: ToolGate;
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
  /** A tool call waiting for the user's answer: the next line answers it, Ctrl-C says no. */
  let question: { request: ApprovalRequest; answer: (answer: Answer) => void } | undefined;
  if (options.gate) {
    options.gate.ask = (request) =>
      new Promise<Answer>((answer) => {
        print(style.yellow(`${request.tool} wants to run:`) + ` ${request.summary}`);
        if (request.why) print(style.dim(`(asking because ${request.why})`));
        for (const line of request.diff?.split('\n') ?? []) {
          print(line.startsWith('+') ? style.green(line) : line.startsWith('-') ? style.red(line) : style.dim(line));
        }
        view.finish();
        question = {
          request,
          answer: (value) => {
            question = undefined;
            rl.setPrompt('');
            answer(value);
          },
        };
        rl.setPrompt(choicesLine(request));
        rl.prompt();
      });
  }

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
      const blocked = await options.gate?.promptBlocked(text);
      if (blocked !== undefined) return print(style.yellow(`not sent: ${blocked}`));
      options.beforePrompt?.();
      const before = agent.state.messages.length;
      let stop = (await agent.prompt(text)).stopReason;
      for (let n = 0; stop === 'stop'; n++) {
        const more = await options.gate?.stopBlocked(n);
        if (more === undefined) break;
        stop = (await agent.prompt(more)).stopReason;
      }
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
      if (question) {
        const answer = parseAnswer(text, question.request);
        if (answer) question.answer(answer);
        else rl.prompt();
        return;
      }
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
      if (question) return question.answer({ kind: 'no', reason: 'the user pressed Ctrl-C' });
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
      question?.answer({ kind: 'no', reason: 'the session ended' });
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
