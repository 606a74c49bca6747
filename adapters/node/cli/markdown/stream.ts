/**
 * Markdown rendered as it streams, without flicker: a block is drawn once,
 * when it is complete, and never redrawn. The block still open shows only as
 * a one-row preview of its current line (cut to the terminal's width, so it
 * never wraps), rewritten in place; nothing above it is ever touched.
 *
 * A block is complete once another block starts after it, or, for one that
 * a blank line ends (paragraph, heading, table, rule, closed code fence),
 * once that blank line arrives. Only the text after the last complete block
 * is lexed again, only when a newline arrives, and not while an open code
 * fence is all there is: a long code block costs one lex, not one per line.
 */
import { Lexer, type Token } from 'marked';
import stringWidth from 'string-width';
import { terminalSafe } from '../render.js';
import { type BlockOptions, renderBlock } from './blocks.js';

const ERASE_ROW = '\r\x1b[2K';
const ENDED_BY_BLANK_LINE = new Set(['paragraph', 'heading', 'table', 'hr', 'code']);

export class MarkdownStream {
  /** Text after the last block drawn. */
  private pending = '';
  private drawn = 0;
  /** The preview row as shown, or '' when none is. */
  private preview = '';

  constructor(
    private readonly options: BlockOptions & { /** Show the open block's current line. */ preview: boolean },
  ) {}

  /** What to write to the terminal for `delta`. */
  push(delta: string): string {
    const text = terminalSafe(delta);
    if (text === '') return '';
    this.pending += text;
    let out = '';
    if (text.includes('\n') && !insideFence(this.pending)) out += this.drawComplete(false);
    return out + this.updatePreview(out !== '');
  }

  /** The rest, drawn: call when the text ends. The cursor ends at the start of a line. */
  finish(): string {
    const out = this.clearPreview() + this.drawComplete(true);
    this.pending = '';
    return out;
  }

  /** Erases the preview row, for a line of our own to take its place; the next push draws it again. */
  hidePreview(): string {
    return this.clearPreview();
  }

  /** True when something drawn, or previewed, awaits `finish()`. */
  get open(): boolean {
    return this.pending !== '';
  }

  private drawComplete(all: boolean): string {
    const tokens = new Lexer({ gfm: true }).lex(this.pending);
    let last = tokens.length - 1;
    while (last >= 0 && tokens[last]?.type === 'space') last--;
    let complete = last;
    const open = tokens[last];
    if (all || (open && closedByBlankLine(open, this.pending))) complete = tokens.length;
    let consumed = 0;
    let out = '';
    for (const token of tokens.slice(0, complete)) {
      consumed += token.raw.length;
      const lines = renderBlock(token, this.options);
      if (lines.length === 0) continue;
      out += `${this.drawn > 0 ? '\n' : ''}${lines.join('\n')}\n`;
      this.drawn++;
    }
    if (consumed === 0) return '';
    this.pending = this.pending.slice(consumed);
    return this.clearPreview() + out;
  }

  private updatePreview(afterBlocks: boolean): string {
    if (!this.options.preview) return '';
    const line = this.pending.slice(this.pending.lastIndexOf('\n') + 1);
    const next = fitTail(line, this.options.columns - 1);
    if (next === this.preview) return '';
    let out: string;
    if (!afterBlocks && this.preview !== '' && next.startsWith(this.preview)) {
      out = this.options.theme.dim(next.slice(this.preview.length));
    } else {
      out = (this.preview !== '' ? ERASE_ROW : '') + this.options.theme.dim(next);
    }
    this.preview = next;
    return out;
  }

  private clearPreview(): string {
    if (this.preview === '') return '';
    this.preview = '';
    return ERASE_ROW;
  }
}

/** Whole-text rendering, the same as streaming `text` in one piece. */
export function renderMarkdown(text: string, options: BlockOptions): string {
  const stream = new MarkdownStream({ ...options, preview: false });
  return stream.push(text) + stream.finish();
}

/**
 * True while the pending text is a fenced code block not yet closed: nothing
 * in it can complete a block, so it is not lexed again for each new line.
 */
function insideFence(pending: string): boolean {
  const open = /^\n*( {0,3})(`{3,}|~{3,})[^\n]*\n/.exec(pending);
  const marker = open?.[2];
  if (!open || !marker) return false;
  const closing = new RegExp(`\\n {0,3}\\${marker[0]}{${marker.length},}[ \\t]*\\n`);
  return !closing.test(pending.slice(open[0].length - 1));
}

function closedByBlankLine(token: Token, source: string): boolean {
  if (!ENDED_BY_BLANK_LINE.has(token.type) || !/\n[ \t]*\n$/.test(source)) return false;
  // A fence still open swallows blank lines.
  if (token.type === 'code' && token.codeBlockStyle !== 'indented') {
    return /\n[ \t]*(`{3,}|~{3,})[ \t]*\n*$/.test(token.raw) && token.raw.trimEnd().split('\n').length > 1;
  }
  return true;
}

/** The end of `line` that fits in `columns`, by display width. */
function fitTail(line: string, columns: number): string {
  if (stringWidth(line) <= columns) return line;
  const chars = [...line];
  let tail = '';
  for (let i = chars.length - 1; i >= 0; i--) {
    const next = `${chars[i]}${tail}`;
    if (stringWidth(next) > columns - 1) break;
    tail = next;
  }
  return `…${tail}`;
}
