/**
 * The interactive session on a raw terminal: the agent's output scrolls
 * above, and the prompt being typed and a status line stay below it (the
 * live region). Keys come through the key decoder, so a pasted block is one
 * prompt, Alt-Enter, Shift-Enter and a trailing `\` add lines, Tab
 * completes commands and @paths, and lines typed while the agent works
 * stay in the prompt until Enter queues them, in the order typed.
 */
import stringWidth from 'string-width';
import type { Agent } from '../../../src/agent/agent.js';
import { HISTORY_SIZE, loadHistory, saveHistory } from './history.js';
import { complete } from './input/completion.js';
import { type Key, KeyDecoder } from './input/keys.js';
import { LineEditor } from './input/line-editor.js';
import { LiveRegion } from './input/live-region.js';
import type { LiveView } from './live-view.js';
import { sumUsage, terminalSafe, usageLine } from './render.js';
import { runSlashCommand, type SlashHost } from './slash-commands.js';
import type { Style } from './style.js';

export interface TerminalSessionOptions {
  agent: Agent;
  style: Style;
  stdin: NodeJS.ReadStream;
  stdout: NodeJS.WriteStream;
  historyPath: string;
  banner: string[];
  initialPrompt?: string;
  /** Builds the view that shows the agent's work; it writes through `out`. */
  createView(out: { write(text: string): boolean; isTTY: boolean; columns: number }): LiveView;
  slash: Omit<SlashHost, 'agent' | 'view' | 'style' | 'print' | 'compact'>;
  /** The status line's text: model, thinking, context, cost, approval mode. */
  status(): string;
  /** Paths under the working directory that start with `prefix`, for `@` completion (bounded by the caller). */
  listFiles(prefix: string): string[];
  /** The slash commands Tab completes. */
  commands: readonly string[];
}

const PROMPT = '› ';
const CONTINUATION = '  ';
/** Two Ctrl-C within this time quit, whatever the agent is doing. */
const DOUBLE_PRESS_MS = 1000;
/** A lone Escape is told from the start of a sequence by this much quiet. */
const ESCAPE_MS = 30;
const BRACKETED_PASTE_ON = '\x1b[?2004h';
const BRACKETED_PASTE_OFF = '\x1b[?2004l';

export function runTerminalSession(options: TerminalSessionOptions): Promise<number> {
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
  const note = (text: string) => {
    region.endLine();
    region.print(`${text}\n`);
  };

  let running: Promise<void> | undefined;
  let lastInterrupt = 0;
  let exitArmed = false;
  /** Lines sent with steer() and not yet seen in the conversation, in the order typed. */
  const queued: string[] = [];

  const draw = (): void => {
    const text = editor.text;
    const lines = text.split('\n').map((line, i) => (i === 0 ? PROMPT : CONTINUATION) + terminalSafe(line));
    const before = text.slice(0, editor.cursor);
    const line = before.split('\n').length - 1;
    const column = stringWidth(CONTINUATION) + stringWidth(terminalSafe(before.slice(before.lastIndexOf('\n') + 1)));
    const status = style.dim(terminalSafe(running ? `working… · ${options.status()}` : options.status()));
    region.setLines([...lines, status], { line, column });
  };

  const host: SlashHost = {
    ...options.slash,
    agent,
    view,
    style,
    print: note,
    compact: (instructions) => {
      running = agent
        .compact(instructions || undefined)
        .then(
          () => undefined,
          () => undefined,
        )
        .finally(() => {
          view.finish();
          running = undefined;
          draw();
        });
      draw();
    },
  };

  const unsubscribe = agent.subscribe((event) => {
    view.handle(event);
    if (event.type === 'message_end' && event.message.role === 'user') {
      const content = event.message.content;
      const index = typeof content === 'string' ? queued.indexOf(content) : -1;
      if (index >= 0) queued.splice(index, 1);
    }
    if (event.type === 'turn_end' || event.type === 'agent_end' || event.type === 'compaction_end') draw();
  });

  const startRun = (text: string): void => {
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
      if (calls > 0 && usage.totalTokens + usage.input + usage.output > 0) note(style.dim(usageLine(usage)));
      if (stop === 'aborted' && queued.length > 0) {
        note(
          style.dim(
            `${queued.length} queued ${queued.length === 1 ? 'message waits' : 'messages wait'} for your next prompt`,
          ),
        );
      }
    })().finally(() => {
      running = undefined;
      draw();
    });
    draw();
  };

  return new Promise<number>((resolve) => {
    let finished = false;
    let escapeTimer: ReturnType<typeof setTimeout> | undefined;

    const quit = (code: number): void => {
      if (finished) return;
      finished = true;
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
      exitArmed = false;
      lastInterrupt = 0;
      if (line === '') return;
      if (running) {
        if (line === '/exit' || line === '/quit') {
          quit(0);
          return;
        }
        if (line.startsWith('/')) {
          note(style.yellow('commands wait until the agent is done; Ctrl-C aborts it'));
          return;
        }
        agent.steer(text);
        queued.push(text);
        note(style.dim(`queued: ${terminalSafe(text)}`));
        return;
      }
      note(`${PROMPT}${terminalSafe(text).replace(/\n/g, `\n${CONTINUATION}`)}`);
      if (line.startsWith('/')) {
        if (runSlashCommand(line, host) === 'exit') quit(0);
        return;
      }
      startRun(text);
    };

    const interrupt = (): void => {
      const now = Date.now();
      const quick = now - lastInterrupt < DOUBLE_PRESS_MS;
      lastInterrupt = now;
      if (quick) {
        quit(0);
        return;
      }
      if (running) {
        agent.abort();
        note(style.yellow('aborting… (Ctrl-C again to quit)'));
        return;
      }
      if (editor.text !== '') {
        editor.setText('');
        return;
      }
      if (exitArmed) {
        quit(0);
        return;
      }
      exitArmed = true;
      note(style.dim('(Ctrl-C again to quit, or /exit)'));
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
          const completion = complete(editor.text, editor.cursor, options.commands, options.listFiles);
          if (!completion) return;
          editor.setText(completion.text, completion.cursor);
          if (completion.candidates.length > 0) note(style.dim(completion.candidates.join('  ')));
          return;
        }
        case 'expand':
          if (!running) runSlashCommand('/expand', host);
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
    for (const line of options.banner) note(line);
    draw();
    if (options.initialPrompt) submit(options.initialPrompt);
  });
}
