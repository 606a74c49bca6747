/**
 * Drives the CLI in a real pseudo-terminal (through `pty-bridge.py`), as a
 * person at a keyboard would: type keys, wait for text to appear.
 */
import { spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { NODE_ARGS, type Project, stripAnsi } from './run-cli.js';

const BRIDGE = join(dirname(fileURLToPath(import.meta.url)), 'pty-bridge.py');

export interface PtySession {
  /** Types keys: `\r` is Enter, `\x03` is Ctrl-C. */
  type(keys: string): void;
  /** Everything shown so far, escape codes included. */
  raw(): string;
  /** The screen so far, as text: spinners drawn over, lines erased, as a terminal shows it. */
  text(): string;
  /**
   * Waits until `pattern` shows in the output after offset `from`, and returns the offset just past
   * it. Offsets count the output without escape codes, which only ever grows.
   */
  waitFor(pattern: string | RegExp, from?: number, timeoutMs?: number): Promise<number>;
  exit: Promise<number | null>;
  kill(): void;
}

export function startInPty(
  project: Project,
  args: readonly string[],
  options: { cwd?: string; env?: NodeJS.ProcessEnv } = {},
): PtySession {
  const child = spawn('python3', [BRIDGE, process.execPath, ...NODE_ARGS, ...args], {
    cwd: options.cwd ?? project.dir,
    env: { ...project.env, TERM: 'xterm-256color', ...options.env },
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  let raw = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    raw += chunk;
  });
  const exit = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));

  const waitFor = async (pattern: string | RegExp, from = 0, timeoutMs = 15_000): Promise<number> => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const text = stripAnsi(raw).slice(from);
      const found = locate(text, pattern);
      if (found.index >= 0) return from + found.index + found.length;
      if (Date.now() > deadline) {
        throw new Error(`timed out waiting for ${String(pattern)}; the terminal shows:\n${renderScreen(raw)}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  };

  return {
    type: (keys) => child.stdin.write(keys),
    raw: () => raw,
    text: () => renderScreen(raw),
    waitFor,
    exit,
    kill: () => child.kill('SIGKILL'),
  };
}

function locate(text: string, pattern: string | RegExp): { index: number; length: number } {
  if (typeof pattern === 'string') return { index: text.indexOf(pattern), length: pattern.length };
  const match = pattern.exec(text);
  return match ? { index: match.index, length: match[0].length } : { index: -1, length: 0 };
}

// biome-ignore lint/suspicious/noControlCharactersInRegex: parsing terminal output is the point
const TOKEN = /\x1b\[([0-9;?]*)([A-Za-z])|\x1b[^[]|\r|\n|[^\x1b\r\n]/gu;

/**
 * Replays terminal output onto a grid of lines, for the codes our CLI and
 * node:readline use: carriage return, erase line and below, and cursor moves.
 */
export function renderScreen(raw: string): string {
  const lines: string[][] = [[]];
  let row = 0;
  let col = 0;
  const line = () => {
    while (lines.length <= row) lines.push([]);
    return lines[row] as string[];
  };
  for (const match of raw.matchAll(TOKEN)) {
    const [token, params, command] = match;
    const n = Number(params?.split(';')[0] || 1);
    if (token === '\n') {
      row++;
      col = 0;
      line();
    } else if (token === '\r') {
      col = 0;
    } else if (command === 'K') {
      line().length = Math.min(line().length, col);
    } else if (command === 'J') {
      line().length = Math.min(line().length, col);
      lines.length = row + 1;
    } else if (command === 'G') {
      col = n - 1;
    } else if (command === 'A') {
      row = Math.max(0, row - n);
    } else if (command === 'B') {
      row += n;
    } else if (command === 'C') {
      col += n;
    } else if (command === 'D') {
      col = Math.max(0, col - n);
    } else if (!token.startsWith('\x1b')) {
      const current = line();
      while (current.length < col) current.push(' ');
      current[col++] = token;
    }
  }
  return lines.map((l) => l.join('').trimEnd()).join('\n');
}
