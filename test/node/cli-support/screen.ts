/**
 * What a terminal shows for a stream of output: the raw bytes replayed into
 * a headless xterm.js of the pty's size (120×40, as pty-bridge.py sets it),
 * read back as lines of text, with the colour of any cell on request.
 */
import xterm from '@xterm/headless';

export interface Screen {
  /** Every line, scrollback included, right-trimmed; trailing empty lines dropped. */
  lines: string[];
  text: string;
  /** The palette foreground colour (0-15) of the first cell of `needle`'s first occurrence, or undefined. */
  colorOf(needle: string): number | undefined;
}

export const PTY_COLUMNS = 120;
export const PTY_ROWS = 40;

export async function screenOf(raw: string, columns = PTY_COLUMNS, rows = PTY_ROWS): Promise<Screen> {
  const terminal = new xterm.Terminal({
    cols: columns,
    rows,
    scrollback: 10_000,
    allowProposedApi: true,
    convertEol: true,
  });
  // convertEol: a renderer's output written here directly has bare \n, which a pty would have made \r\n.
  await new Promise<void>((resolve) => terminal.write(raw, resolve));
  const buffer = terminal.buffer.active;
  const lines: string[] = [];
  for (let y = 0; y < buffer.length; y++) lines.push(buffer.getLine(y)?.translateToString(true) ?? '');
  while (lines.length > 0 && lines.at(-1) === '') lines.pop();
  const colorOf = (needle: string): number | undefined => {
    const y = lines.findIndex((line) => line.includes(needle));
    if (y < 0) return undefined;
    const line = buffer.getLine(y);
    // translateToString's index counts characters; wide characters take two cells, so walk the cells.
    const x = cellIndex(line, lines[y]?.indexOf(needle) ?? 0);
    const cell = line?.getCell(x);
    return cell?.isFgPalette() ? cell.getFgColor() : undefined;
  };
  terminal.dispose();
  return { lines, text: lines.join('\n'), colorOf };
}

function cellIndex(line: xterm.IBufferLine | undefined, charIndex: number): number {
  if (!line) return charIndex;
  let chars = 0;
  for (let x = 0; x < line.length; x++) {
    if (chars >= charIndex) return x;
    const cell = line.getCell(x);
    if (cell && cell.getWidth() > 0) chars += cell.getChars().length || 1;
  }
  return charIndex;
}
