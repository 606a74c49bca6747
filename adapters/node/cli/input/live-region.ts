/**
 * The bottom of the terminal while qcore runs: the agent's output scrolls
 * above, and a live region below it holds the line being streamed (until its
 * newline), the prompt being typed and the status line. Every change
 * redraws only the live region: back to its top, erase to the end of the
 * screen, write it again. So text typed while the agent works stays in the
 * input line and never interleaves with the output, and the output keeps
 * its scrollback. Lines end in a bare `\n`: a raw-mode terminal (Node's, as
 * libuv sets it) still turns it into CR LF.
 */
import stringWidth from 'string-width';

export interface RegionOutput {
  write(text: string): void;
}

export interface RegionCursor {
  /** Index into the lines given to `setLines`. */
  line: number;
  /** Display columns from the start of that line. */
  column: number;
}

/** What a line shows once its carriage returns are played: the text after the last one, line erases dropped. */
function overwritten(line: string): string {
  const start = line.lastIndexOf('\r');
  const rest = start === -1 ? line : line.slice(start + 1);
  // biome-ignore lint/suspicious/noControlCharactersInRegex: erase-line sequences are what is dropped
  return rest.includes('\x1b[') ? rest.replace(/\x1b\[[012]?K/g, '') : rest;
}

export class LiveRegion {
  /** Output not yet written above the region: whole lines, each ending in `\n`. */
  #committed = '';
  /** The output line still being streamed. */
  #partial = '';
  #lines: string[] = [];
  #cursor: RegionCursor | undefined;
  /** Terminal rows from the region's top to where the cursor was left. */
  #cursorRow = 0;
  #drawn = false;

  constructor(
    private readonly out: RegionOutput,
    private readonly columns: () => number,
  ) {}

  /**
   * Output for above the region; it may end mid-line, and that line stays
   * live until its newline. A carriage return (with or without an erase of
   * the line after it, as spinners and streaming previews write) starts the
   * line over.
   */
  print(text: string): void {
    if (text === '') return;
    const lines = (this.#partial + text).split('\n');
    this.#partial = overwritten(lines.pop() as string);
    for (const line of lines) this.#committed += `${overwritten(line)}\n`;
    this.render();
  }

  /** The region's own lines (the prompt, the status line) and where the cursor goes among them. */
  setLines(lines: readonly string[], cursor?: RegionCursor): void {
    this.#lines = [...lines];
    this.#cursor = cursor;
    this.render();
  }

  /** Ends the partial line, so that the next output starts on a line of its own. */
  endLine(): void {
    if (this.#partial !== '') this.print('\n');
  }

  /** Removes the region from the screen, leaving the output (and any partial line) above the cursor. */
  close(): void {
    this.#lines = [];
    this.#cursor = undefined;
    this.render();
  }

  render(): void {
    const width = Math.max(1, this.columns());
    let frame = '';
    if (this.#drawn) frame += `\r${this.#cursorRow > 0 ? `\x1b[${this.#cursorRow}A` : ''}\x1b[J`;
    frame += this.#committed;
    this.#committed = '';
    const lines = this.#partial === '' ? this.#lines : [this.#partial, ...this.#lines];
    const cursorLine = this.#cursor ? this.#cursor.line + (this.#partial === '' ? 0 : 1) : lines.length - 1;
    frame += lines.join('\n');
    // Rows each line takes once wrapped; a line exactly as wide as the terminal takes one.
    const rows = lines.map((line) => Math.max(1, Math.ceil(stringWidth(line) / width)));
    const total = rows.reduce((sum, n) => sum + n, 0);
    if (lines.length === 0) {
      this.#cursorRow = 0;
    } else {
      let row = 0;
      for (let i = 0; i < cursorLine; i++) row += rows[i] as number;
      const column = this.#cursor ? this.#cursor.column : stringWidth(lines.at(-1) as string);
      row += Math.floor(column / width);
      // A cursor just past a line that fills the last row needs a row of its own below it.
      if (row > total - 1) frame += '\n'.repeat(row - (total - 1));
      const up = total - 1 - row;
      frame += up > 0 ? `\x1b[${up}A` : '';
      frame += `\r${column % width > 0 ? `\x1b[${column % width}C` : ''}`;
      this.#cursorRow = row;
    }
    this.#drawn = lines.length > 0;
    this.out.write(frame);
  }
}
