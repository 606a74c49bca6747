/**
 * The prompt being typed, as data: a text that may span lines, a cursor,
 * and the history. Keys go in, and what to do comes out (`submit` with the
 * text, or nothing); drawing it is another file's job. A pasted block is
 * inserted whole and never submits; Alt-Enter, Shift-Enter and a `\` at the
 * end of the line insert a newline.
 */
import type { Key } from './keys.js';

export type EditorAction =
  | { type: 'submit'; text: string }
  | { type: 'interrupt' }
  | { type: 'eof' }
  | { type: 'complete' }
  | { type: 'expand' }
  | { type: 'redraw' }
  | undefined;

export interface LineEditorOptions {
  /** Oldest first; the editor appends what is submitted. */
  history?: string[];
  /** Entries kept. Default 500. */
  historySize?: number;
}

export class LineEditor {
  #text = '';
  /** In UTF-16 units, 0..text.length. */
  #cursor = 0;
  readonly #history: string[];
  readonly #historySize: number;
  /** Index into history while browsing it; history.length when editing a new line. */
  #browsing: number;
  /** What was being typed before browsing began. */
  #draft = '';

  constructor(options: LineEditorOptions = {}) {
    this.#historySize = options.historySize ?? 500;
    this.#history = (options.history ?? []).slice(-this.#historySize);
    this.#browsing = this.#history.length;
  }

  get text(): string {
    return this.#text;
  }

  get cursor(): number {
    return this.#cursor;
  }

  get history(): readonly string[] {
    return this.#history;
  }

  /** Replaces the text, cursor at its end (a completion, a recalled line). */
  setText(text: string, cursor = text.length): void {
    this.#text = text;
    this.#cursor = Math.max(0, Math.min(cursor, text.length));
  }

  handle(key: Key): EditorAction {
    switch (key.type) {
      case 'text':
      case 'paste':
        this.#insert(key.text);
        return;
      case 'newline':
        this.#insert('\n');
        return;
      case 'enter': {
        // A backslash at the end of the line continues the prompt on the next one.
        if (this.#text.slice(0, this.#cursor).endsWith('\\') && this.#cursor === this.#lineEnd()) {
          this.#text = `${this.#text.slice(0, this.#cursor - 1)}\n${this.#text.slice(this.#cursor)}`;
          return;
        }
        const text = this.#text;
        this.#remember(text);
        this.setText('');
        return { type: 'submit', text };
      }
      case 'backspace':
        if (this.#cursor > 0) {
          const start = this.#cursor - charBefore(this.#text, this.#cursor);
          this.#text = this.#text.slice(0, start) + this.#text.slice(this.#cursor);
          this.#cursor = start;
        }
        return;
      case 'delete':
        if (this.#cursor < this.#text.length) {
          const end = this.#cursor + charAfter(this.#text, this.#cursor);
          this.#text = this.#text.slice(0, this.#cursor) + this.#text.slice(end);
        }
        return;
      case 'left':
        this.#cursor -= charBefore(this.#text, this.#cursor);
        return;
      case 'right':
        this.#cursor += charAfter(this.#text, this.#cursor);
        return;
      case 'home':
        this.#cursor = this.#lineStart();
        return;
      case 'end':
        this.#cursor = this.#lineEnd();
        return;
      case 'wordLeft':
        this.#cursor = wordStart(this.#text, this.#cursor);
        return;
      case 'wordRight':
        this.#cursor = wordEnd(this.#text, this.#cursor);
        return;
      case 'up':
        // Within a prompt of several lines, up moves between them; from the first, through history.
        if (this.#lineStart() > 0) return this.#verticalMove(-1);
        return this.#recall(-1);
      case 'down':
        if (this.#lineEnd() < this.#text.length) return this.#verticalMove(1);
        return this.#recall(1);
      case 'tab':
        return { type: 'complete' };
      case 'escape':
        return;
      case 'ctrl':
        return this.#ctrl(key.key);
    }
  }

  #ctrl(letter: string): EditorAction {
    switch (letter) {
      case 'c':
        return { type: 'interrupt' };
      case 'd':
        if (this.#text === '') return { type: 'eof' };
        return this.handle({ type: 'delete' });
      case 'a':
        this.#cursor = this.#lineStart();
        return;
      case 'e':
        this.#cursor = this.#lineEnd();
        return;
      case 'u': {
        const start = this.#lineStart();
        this.#text = this.#text.slice(0, start) + this.#text.slice(this.#cursor);
        this.#cursor = start;
        return;
      }
      case 'k':
        this.#text = this.#text.slice(0, this.#cursor) + this.#text.slice(this.#lineEnd());
        return;
      case 'w': {
        const start = wordStart(this.#text, this.#cursor);
        this.#text = this.#text.slice(0, start) + this.#text.slice(this.#cursor);
        this.#cursor = start;
        return;
      }
      case 'l':
        return { type: 'redraw' };
      case 'o':
        return { type: 'expand' };
      case 'j':
        this.#insert('\n');
        return;
      default:
        return;
    }
  }

  #insert(text: string): void {
    this.#text = this.#text.slice(0, this.#cursor) + text + this.#text.slice(this.#cursor);
    this.#cursor += text.length;
  }

  #lineStart(): number {
    return this.#text.lastIndexOf('\n', this.#cursor - 1) + 1;
  }

  #lineEnd(): number {
    const end = this.#text.indexOf('\n', this.#cursor);
    return end === -1 ? this.#text.length : end;
  }

  #verticalMove(direction: -1 | 1): EditorAction {
    const column = this.#cursor - this.#lineStart();
    if (direction < 0) {
      const previousEnd = this.#lineStart() - 1;
      const previousStart = this.#text.lastIndexOf('\n', previousEnd - 1) + 1;
      this.#cursor = Math.min(previousStart + column, previousEnd);
    } else {
      const nextStart = this.#lineEnd() + 1;
      const nextEndIndex = this.#text.indexOf('\n', nextStart);
      const nextEnd = nextEndIndex === -1 ? this.#text.length : nextEndIndex;
      this.#cursor = Math.min(nextStart + column, nextEnd);
    }
    return;
  }

  #recall(direction: -1 | 1): EditorAction {
    const next = this.#browsing + direction;
    if (next < 0 || next > this.#history.length) return;
    if (this.#browsing === this.#history.length) this.#draft = this.#text;
    this.#browsing = next;
    this.setText(next === this.#history.length ? this.#draft : (this.#history[next] as string));
    return;
  }

  /** A repeated line is kept only where it was last entered. */
  #remember(text: string): void {
    if (text.trim() !== '') {
      const earlier = this.#history.indexOf(text);
      if (earlier !== -1) this.#history.splice(earlier, 1);
      this.#history.push(text);
    }
    if (this.#history.length > this.#historySize) this.#history.shift();
    this.#browsing = this.#history.length;
  }
}

/** UTF-16 units of the character before `index` (2 for a surrogate pair). */
function charBefore(text: string, index: number): number {
  if (index <= 0) return 0;
  const low = text.charCodeAt(index - 1);
  return low >= 0xdc00 && low <= 0xdfff && index >= 2 ? 2 : 1;
}

function charAfter(text: string, index: number): number {
  if (index >= text.length) return 0;
  const high = text.charCodeAt(index);
  return high >= 0xd800 && high <= 0xdbff && index + 1 < text.length ? 2 : 1;
}

const WORD = /[\p{L}\p{N}_]/u;

function wordStart(text: string, index: number): number {
  let i = index;
  while (i > 0 && !WORD.test(text[i - 1] as string)) i--;
  while (i > 0 && WORD.test(text[i - 1] as string)) i--;
  return i;
}

function wordEnd(text: string, index: number): number {
  let i = index;
  while (i < text.length && !WORD.test(text[i] as string)) i++;
  while (i < text.length && WORD.test(text[i] as string)) i++;
  return i;
}
