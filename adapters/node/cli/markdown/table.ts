/**
 * Lays out a markdown table in box-drawing characters, with columns as wide
 * as their widest cell on screen: string-width counts CJK and emoji as two
 * columns and colour codes as none.
 */
import stringWidth from 'string-width';
import type { MarkdownTheme } from './theme.js';

export type Align = 'left' | 'right' | 'center' | null;

/** `header` and `rows` hold cells already rendered (styled); `align` is one per column. */
export function renderTable(header: string[], rows: string[][], align: Align[], theme: MarkdownTheme): string[] {
  const columns = Math.max(header.length, ...rows.map((row) => row.length));
  const widths = Array.from({ length: columns }, (_, i) =>
    Math.max(1, ...[header, ...rows].map((row) => stringWidth(row[i] ?? ''))),
  );
  const pad = (text: string, i: number): string => {
    const room = (widths[i] ?? 0) - stringWidth(text);
    const side = align[i];
    if (side === 'right') return ' '.repeat(room) + text;
    if (side === 'center') return ' '.repeat(Math.floor(room / 2)) + text + ' '.repeat(Math.ceil(room / 2));
    return text + ' '.repeat(room);
  };
  const border = (left: string, middle: string, right: string) =>
    theme.dim(left + widths.map((width) => '─'.repeat(width + 2)).join(middle) + right);
  const bar = theme.dim('│');
  const row = (cells: string[], style: (text: string) => string = (text) => text) =>
    `${bar} ${widths.map((_, i) => style(pad(cells[i] ?? '', i))).join(` ${bar} `)} ${bar}`;
  return [
    border('┌', '┬', '┐'),
    row(header, theme.bold),
    border('├', '┼', '┤'),
    ...rows.map((cells) => row(cells)),
    border('└', '┴', '┘'),
  ];
}
