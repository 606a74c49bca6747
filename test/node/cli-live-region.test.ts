/**
 * The live region on a real terminal emulator: output above, the prompt and
 * the status line below, whatever order they change in.
 */
import xterm from '@xterm/headless';
import { describe, expect, test } from 'vitest';
import { LiveRegion } from '../../adapters/node/cli/input/live-region.js';

/** A terminal of `columns` × `rows` and a region that writes to it. */
function terminal(columns = 40, rows = 12) {
  const term = new xterm.Terminal({ cols: columns, rows, scrollback: 1000, allowProposedApi: true });
  let raw = '';
  // As a raw-mode pty does (libuv keeps ONLCR on): LF becomes CR LF.
  const region = new LiveRegion({ write: (text) => (raw += text.replace(/\n/g, '\r\n')) }, () => columns);
  const screen = async () => {
    await new Promise<void>((resolve) => term.write(raw, resolve));
    raw = '';
    const buffer = term.buffer.active;
    const lines: string[] = [];
    for (let y = 0; y < buffer.length; y++) lines.push(buffer.getLine(y)?.translateToString(true) ?? '');
    while (lines.length > 0 && lines.at(-1) === '') lines.pop();
    return { lines, cursor: { x: buffer.cursorX, y: buffer.cursorY + buffer.viewportY } };
  };
  return { region, screen };
}

describe('LiveRegion', () => {
  test('streamed output goes above the prompt and status line; typing meanwhile never interleaves', async () => {
    const { region, screen } = terminal();
    region.setLines(['› ', 'model · 3% · $0.00'], { line: 0, column: 2 });
    region.print('Hello');
    region.setLines(['› wh', 'model · 3% · $0.00'], { line: 0, column: 4 });
    region.print(', world.\nSecond ');
    region.setLines(['› what next', 'model · 3% · $0.00'], { line: 0, column: 11 });
    region.print('line.\n');
    const { lines, cursor } = await screen();
    expect(lines).toEqual(['Hello, world.', 'Second line.', '› what next', 'model · 3% · $0.00']);
    expect(cursor).toEqual({ x: 11, y: 2 });
  });

  test('the streamed line stays live until its newline, then joins the output for good', async () => {
    const { region, screen } = terminal();
    region.setLines(['› ']);
    region.print('partial');
    expect((await screen()).lines).toEqual(['partial', '› ']);
    region.print(' and done\nnext');
    expect((await screen()).lines).toEqual(['partial and done', 'next', '› ']);
  });

  test('wrapped lines and wide characters are counted by display width', async () => {
    const { region, screen } = terminal(10);
    region.setLines(['› 一二三四五六', 'status'], { line: 0, column: 14 });
    region.print('0123456789abcde\n');
    region.setLines(['› 一二', 'status'], { line: 0, column: 6 });
    const { lines, cursor } = await screen();
    expect(lines).toEqual(['0123456789', 'abcde', '› 一二', 'status']);
    expect(cursor).toEqual({ x: 6, y: 2 });
  });

  test('a prompt of several lines, the cursor on its first; a line exactly as wide as the terminal', async () => {
    const { region, screen } = terminal(10);
    region.setLines(['› one', '  two', 'status'], { line: 0, column: 5 });
    region.print('x\n');
    let shown = await screen();
    expect(shown.lines).toEqual(['x', '› one', '  two', 'status']);
    expect(shown.cursor).toEqual({ x: 5, y: 1 });
    region.setLines(['› 12345678', 'status'], { line: 0, column: 10 });
    region.print('y\n');
    shown = await screen();
    expect(shown.lines.slice(0, 3)).toEqual(['x', 'y', '› 12345678']);
    expect(shown.lines).toContain('status');
  });

  test('close() leaves the output and removes the region', async () => {
    const { region, screen } = terminal();
    region.setLines(['› typed', 'status']);
    region.print('answer\n');
    region.close();
    expect((await screen()).lines).toEqual(['answer']);
  });

  test('many redraws after the screen has scrolled keep one copy of the region', async () => {
    const { region, screen } = terminal(30, 6);
    for (let i = 0; i < 20; i++) {
      region.setLines([`› typing ${i}`, 'status']);
      region.print(`line ${i}\n`);
    }
    const { lines } = await screen();
    expect(lines.filter((line) => line.startsWith('› '))).toEqual(['› typing 19']);
    expect(lines.filter((line) => line === 'status')).toHaveLength(1);
    expect(lines.slice(-3)).toEqual(['line 19', '› typing 19', 'status']);
  });
});
