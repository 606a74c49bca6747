/**
 * One block of markdown (a heading, paragraph, list, quote, code block,
 * table, rule) as the lines a terminal shows. Without colour, the marks that
 * colour would replace stay: `#` before headings, fences around code.
 */
import type { Token, Tokens } from 'marked';
import { highlightLines } from './highlight.js';
import { decodeEntities, renderInline } from './inline.js';
import { type Align, renderTable } from './table.js';
import type { MarkdownTheme } from './theme.js';

const BULLETS = ['•', '◦', '▪'];

export interface BlockOptions {
  theme: MarkdownTheme;
  /** Terminal width, for rules. */
  columns: number;
}

/** The lines of `token`; none for tokens that show nothing (blank space, link definitions). */
export function renderBlock(token: Token, options: BlockOptions, depth = 0): string[] {
  const { theme } = options;
  switch (token.type) {
    case 'space':
    case 'def':
      return [];
    case 'heading': {
      const text = renderInline(token.tokens, theme);
      return [theme.color ? theme.heading(text, token.depth) : `${'#'.repeat(token.depth)} ${text}`];
    }
    case 'paragraph':
      return renderInline(token.tokens, theme).split('\n');
    case 'text':
      return (token.tokens ? renderInline(token.tokens, theme) : decodeEntities(token.text)).split('\n');
    case 'code': {
      const code = token.text as string;
      const lang = (token.lang as string | undefined) || undefined;
      const lines = highlightLines(code, lang, theme);
      if (!theme.color) {
        const fence = (token.raw as string).trimStart().startsWith('~') ? '~~~' : '```';
        return token.codeBlockStyle === 'indented'
          ? lines.map((line) => `    ${line}`)
          : [`${fence}${lang ?? ''}`, ...lines, fence];
      }
      return [...(lang ? [theme.dim(lang)] : []), ...lines.map((line) => `  ${line}`)];
    }
    case 'blockquote': {
      const bar = theme.color ? theme.dim('│ ') : '> ';
      return blocks(token.tokens ?? [], options, depth).map((line) => bar + line);
    }
    case 'list':
      return renderList(token as Tokens.List, options, depth);
    case 'table': {
      const table = token as Tokens.Table;
      const cell = (c: Tokens.TableCell) => renderInline(c.tokens, theme);
      return renderTable(
        table.header.map(cell),
        table.rows.map((row) => row.map(cell)),
        table.align as Align[],
        theme,
      );
    }
    case 'hr':
      return [theme.dim('─'.repeat(Math.max(3, Math.min(options.columns - 1, 60))))];
    case 'html':
      return (token.raw as string).replace(/\n+$/, '').split('\n');
    default:
      return (token.raw as string).replace(/\n+$/, '').split('\n');
  }
}

/** Blocks one after another, a blank line between them. */
export function blocks(tokens: readonly Token[], options: BlockOptions, depth: number): string[] {
  const out: string[] = [];
  for (const token of tokens) {
    const lines = renderBlock(token, options, depth);
    if (lines.length === 0) continue;
    if (out.length > 0) out.push('');
    out.push(...lines);
  }
  return out;
}

function renderList(list: Tokens.List, options: BlockOptions, depth: number): string[] {
  const out: string[] = [];
  const start = typeof list.start === 'number' ? list.start : 1;
  list.items.forEach((item, i) => {
    let marker = list.ordered ? `${start + i}.` : (BULLETS[depth % BULLETS.length] ?? '•');
    if (item.task) marker += item.checked ? ' ☑' : ' ☐';
    const indent = ' '.repeat(marker.length + 1);
    // A tight item's text and its sublists follow each other without blank lines.
    const lines: string[] = [];
    for (const child of item.tokens) {
      if (child.type === 'checkbox') continue;
      const childLines = renderBlock(child, options, child.type === 'list' ? depth + 1 : depth);
      if (childLines.length === 0) continue;
      if (lines.length > 0 && item.loose) lines.push('');
      lines.push(...childLines);
    }
    if (lines.length === 0) lines.push('');
    for (const [k, line] of lines.entries()) out.push(k === 0 ? `${marker} ${line}` : line === '' ? '' : indent + line);
    if (list.loose && i < list.items.length - 1) out.push('');
  });
  return out;
}
