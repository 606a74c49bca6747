/**
 * The interactive session on a raw terminal. The agent's output scrolls
 * above; below it, the live region keeps the prompt being typed and a
 * status line, so typing while the agent works never mixes with its output.
 * Keys come through the key decoder: a pasted block is one prompt,
 * Alt-Enter, Shift-Enter and a trailing `\` add lines, Tab completes slash
 * commands and @paths, Ctrl-O shows the last tool's whole output. Lines
 * entered during a run are queued for the agent, in the order typed; an
 * approval question takes the prompt line until it is answered.
 */
import stringWidth from 'string-width';
import type { Agent } from '../../../src/agent/agent.js';
import { HISTORY_SIZE, loadHistory, saveHistory } from './history.js';
import { complete } from './input/completion.js';
import { type Key, KeyDecoder } from './input/keys.js';
import { LineEditor } from './input/line-editor.js';
import { LiveRegion } from './input/live-region.js';
import type { LiveView } from './live-view.js';
import { type Answer, type ApprovalRequest, choicesLine, parseAnswer } from './permissions/asking.js';
import type { ToolGate } from './permissions/tool-gate.js';
import { sumUsage, terminalSafe, usageLine } from './render.js';
import { runSlashCommand, SLASH_COMMANDS, type SlashHost } from './slash-commands.js';
import type { Style, TerminalStream } from './style.js';

export interface InteractiveOptions {
  agent: Agent;
  /** Builds the view of the agent's work; it writes through `out`, above the live region. */
  createView(out: TerminalStream): LiveView;
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
  /** Approvals and hooks: asks through this session's prompt line, and runs the prompt hooks. */
  gate?: ToolGate;
  /** The status line: model, thinking, context, cost, approval mode. */
  status(): string;
  /** Paths under the working directory starting with `prefix`, for `@` completion. */
  listFiles(prefix: string): string[];
}

/** The prompt when qcore waits for you. */
const PROMPT = '› ';
/** The prompt while the agent works: what is entered goes to its queue. */
const QUEUE_PROMPT = '» ';
const CONTINUATION = '  ';
/** Two Ctrl-C within this time quit, whatever the agent is doing. */
const DOUBLE_PRESS_MS = 1000;
/** A lone Escape is told from the start of a sequence by this much quiet. */
const ESCAPE_MS = 30;
const BRACKETED_PASTE_ON = '\x1b[?2004h';
const BRACKETED_PASTE_OFF = '\x1b[?2004l';

export function runInteractive(options: InteractiveOptions): Promise<number> {
  const { agent, style, stdin, stdout } = options;
  const columns = () => stdout.columns || 80;
  const region = new LiveRegion({ write: (text) => stdout.write(text) }, columns);
  const view = options.createView({
    write: (text) => {
      region.print(text);
      return true;
    },
    isTTY: true,
    get columns() {
      return columns();
    },
  });
  const editor = new LineEditor({ history: loadHistory(options.historyPath).reverse(), historySize: HISTORY_SIZE });
  const decoder = new KeyDecoder();
  const print = (text: string) => view.note(text);

  let running: Promise<void> | undefined;
  let lastInterrupt = 0;
  let exitArmed = false;
  /** Lines sent with steer() and not yet seen in the conversation, in the order typed. */
  const queued: string[] = [];
  /** A tool call waiting for the user's answer: the next line answers it, Ctrl-C says no. */
  let question: { request: ApprovalRequest; answer: (answer: Answer) => void } | undefined;

  const draw = (): void => {
    const prefix = question ? choicesLine(question.request) : running ? QUEUE_PROMPT : PROMPT;
    const text = editor.text;
    const lines = text.split('\n').map((line, i) => (i === 0 ? prefix : CONTINUATION) + terminalSafe(line));
    const before = text.slice(0, editor.cursor);
    const line = before.split('\n').length - 1;
    const lead = line === 0 ? stringWidth(prefix) : CONTINUATION.length;
    const column = lead + stringWidth(terminalSafe(before.slice(before.lastIndexOf('\n') + 1)));
    const status = terminalSafe(running && !question ? `working… · ${options.status()}` : options.status());
    region.setLines([...lines, style.dim(status)], { line, column });
  };

  const host: SlashHost = {
    ...options.slash,
    agent,
    view,
    style,
    print,
    compact: (instructions) => startCompaction(instructions),
  };

  if (options.gate) {
    options.gate.ask = (request) =>
      new Promise<Answer>((answer) => {
        print(`${style.yellow(`${request.tool} wants to run:`)} ${terminalSafe(request.summary)}`);
        if (request.why) print(style.dim(`(asking because ${terminalSafe(request.why)})`));
        for (const line of request.diff?.split('\n') ?? []) {
          const safe = terminalSafe(line);
          print(safe.startsWith('+') ? style.green(safe) : safe.startsWith('-') ? style.red(safe) : style.dim(safe));
        }
        view.finish();
        // What was being typed waits until the question is answered.
        const draft = editor.text;
        editor.setText('');
        question = {
          request,
          answer: (value) => {
            question = undefined;
            editor.setText(draft);
            answer(value);
            draw();
          },
        };
        draw();
      });
  }

  const unsubscribe = agent.subscribe((event) => {
    view.handle(event);
    if (event.type === 'message_end' && event.message.role === 'user') {
      const content = event.message.content;
      const index = typeof content === 'string' ? queued.indexOf(content) : -1;
      if (index >= 0) queued.splice(index, 1);
    }
    if (event.type === 'turn_end' || event.type === 'compaction_end' || event.type === 'agent_end') draw();
  });

  const settle = (): void => {
    running = undefined;
    view.finish();
    draw();
  };

  const startRun = (text: string): void => {
    running = (async () => {
      const prepared = options.gate ? await options.gate.preparePrompt(text) : { text };
      if ('blocked' in prepared) {
        print(style.yellow(`not sent: ${prepared.blocked}`));
        return;
      }
      options.beforePrompt?.();
      const before = agent.state.messages.length;
      let stop = (await agent.prompt(prepared.text)).stopReason;
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
        const waits = queued.length === 1 ? 'message waits' : 'messages wait';
        print(style.dim(`${queued.length} queued ${waits} for your next prompt`));
      }
    })().finally(settle);
    draw();
  };

  /** `/compact`: shown through the agent's compaction events; Ctrl-C aborts it as it aborts a run. */
  const startCompaction = (instructions: string): void => {
    running = agent
      .compact(instructions || undefined)
      .then(
        () => undefined,
        // The view has shown why, from compaction_end.
        () => undefined,
      )
      .finally(settle);
    draw();
  };

  return new Promise<number>((resolve) => {
    let finished = false;
    let escapeTimer: ReturnType<typeof setTimeout> | undefined;

    const quit = (code: number): void => {
      if (finished) return;
      finished = true;
      question?.answer({ kind: 'no', reason: 'the session ended' });
      agent.abort();
      stdin.off('data', onData);
      stdout.off('resize', draw);
      if (escapeTimer) clearTimeout(escapeTimer);
      void (running ?? Promise.resolve()).finally(() => {
        unsubscribe();
        view.finish();
        region.close();
        stdout.write(BRACKETED_PASTE_OFF);
        if (stdin.isTTY) stdin.setRawMode(false);
        stdin.pause();
        saveHistory(options.historyPath, [...editor.history].reverse());
        resolve(code);
      });
    };

    const submit = (text: string): void => {
      const line = text.trim();
      // Presses with a line between them are not a double press.
      exitArmed = false;
      lastInterrupt = 0;
      if (question) {
        const answer = parseAnswer(line, question.request);
        if (!answer) {
          print(style.dim('answer y, n (with a reason if you like), a or s'));
          return;
        }
        // The question and its answer stay in the transcript.
        print(`${choicesLine(question.request)}${style.bold(terminalSafe(line))}`);
        question.answer(answer);
        return;
      }
      if (line === '') return;
      if (running) {
        if (line === '/exit' || line === '/quit') {
          quit(0);
          return;
        }
        if (line.startsWith('/')) {
          print(style.yellow('commands wait until the agent is done; Ctrl-C aborts it'));
          return;
        }
        agent.steer(text);
        queued.push(text);
        print(style.dim(`queued: ${terminalSafe(text)}`));
        return;
      }
      print(`${PROMPT}${terminalSafe(text).replace(/\n/g, `\n${CONTINUATION}`)}`);
      if (line.startsWith('/')) {
        if (runSlashCommand(line, host) === 'exit') quit(0);
        return;
      }
      startRun(text);
    };

    const interrupt = (): void => {
      if (question) {
        print(`${choicesLine(question.request)}${style.bold('no (Ctrl-C)')}`);
        question.answer({ kind: 'no', reason: 'the user pressed Ctrl-C' });
        return;
      }
      const now = Date.now();
      const quick = now - lastInterrupt < DOUBLE_PRESS_MS;
      lastInterrupt = now;
      if (quick) {
        quit(0);
        return;
      }
      if (running) {
        agent.abort();
        print(style.yellow('aborting… (Ctrl-C again to quit)'));
        return;
      }
      // As in a shell: Ctrl-C drops the line being typed.
      if (editor.text !== '') {
        editor.setText('');
        return;
      }
      if (exitArmed) {
        quit(0);
        return;
      }
      exitArmed = true;
      print(style.dim('(Ctrl-C again to quit, or /exit)'));
    };

    const onKey = (key: Key): void => {
      const action = editor.handle(key);
      if (!action) return;
      switch (action.type) {
        case 'submit':
          submit(action.text);
          return;
        case 'interrupt':
          interrupt();
          return;
        case 'eof':
          quit(0);
          return;
        case 'complete': {
          const completion = complete(editor.text, editor.cursor, SLASH_COMMANDS, options.listFiles);
          if (!completion) return;
          editor.setText(completion.text, completion.cursor);
          if (completion.candidates.length > 0) print(style.dim(completion.candidates.join('  ')));
          return;
        }
        case 'expand':
          print(view.expand());
          return;
        case 'redraw':
          return;
      }
    };

    const onData = (chunk: string): void => {
      if (escapeTimer) clearTimeout(escapeTimer);
      for (const key of decoder.feed(chunk)) onKey(key);
      escapeTimer = setTimeout(() => {
        for (const key of decoder.flush()) onKey(key);
        if (!finished) draw();
      }, ESCAPE_MS);
      if (!finished) draw();
    };

    if (stdin.isTTY) stdin.setRawMode(true);
    stdin.setEncoding('utf8');
    stdin.on('data', onData);
    stdin.resume();
    stdout.on('resize', draw);
    stdout.write(BRACKETED_PASTE_ON);
    for (const line of options.banner) print(line);
    draw();
    if (options.initialPrompt) submit(options.initialPrompt);
  });
}
