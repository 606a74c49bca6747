/**
 * The terminal markdown renderer, on its own: what blocks look like, that
 * streaming in pieces cut anywhere ends on the same screen as one piece, and
 * that escape sequences from the model stay inert.
 */
import { describe, expect, test } from 'vitest';
import { MarkdownStream, renderMarkdown } from '../../adapters/node/cli/markdown/stream.js';
import { markdownTheme } from '../../adapters/node/cli/markdown/theme.js';
import { bashFailure, capDiff } from '../../adapters/node/cli/render.js';
import { screenOf } from './cli-support/screen.js';

const DOC = [
  '# Plan',
  '',
  'Some **bold**, *italic*, `code` and a [link](https://example.com/docs).',
  '',
  '- first item',
  '- second, with **bold**',
  '  1. nested one',
  '',
  '| name | 数量 | note |',
  '|:-----|-----:|:----:|',
  '| 中文字 | 1 | 🎉 |',
  '| b | 22 | x |',
  '',
  '```ts',
  'const answer: number = 42; // the answer',
  '',
  'function greet(name: string) {',
  '  return "hi " + name;',
  '}',
  '```',
  '',
  '> a quote',
  '',
  '---',
  'The end.',
].join('\n');

const color = { theme: markdownTheme(true), columns: 120 };
const plain = { theme: markdownTheme(false), columns: 120 };

function streamed(text: string, cuts: number[], options = color): string {
  const stream = new MarkdownStream({ ...options, preview: true });
  let out = '';
  let from = 0;
  for (const cut of [...cuts, text.length]) {
    out += stream.push(text.slice(from, cut));
    from = cut;
  }
  return out + stream.finish();
}

describe('markdown in the terminal', () => {
  test('headings, emphasis, lists, links, aligned tables and highlighted code', async () => {
    const out = renderMarkdown(DOC, color);
    const screen = await screenOf(out);
    expect(screen.lines).toContain('Plan');
    expect(screen.text).not.toContain('**');
    expect(screen.text).toContain('Some bold, italic, code and a link (https://example.com/docs).');
    expect(out).toContain('\x1b[1mbold\x1b[22m');
    expect(out).toContain('\x1b[3mitalic\x1b[23m');
    expect(screen.lines).toContain('• first item');
    expect(screen.lines).toContain('  1. nested one');
    // Columns by display width: CJK and emoji take two cells, so every row's bars line up.
    const table = screen.lines.filter((line) => /^[│┌├└].*[│┐┤┘]$/.test(line));
    expect(table).toEqual([
      '┌────────┬──────┬──────┐',
      '│ name   │ 数量 │ note │',
      '├────────┼──────┼──────┤',
      '│ 中文字 │    1 │  🎉  │',
      '│ b      │   22 │  x   │',
      '└────────┴──────┴──────┘',
    ]);
    // The keyword `const` in magenta (35), the comment grey (90), no fences left.
    expect(screen.colorOf('const')).toBe(5);
    expect(out).toContain('\x1b[90m// the answer\x1b[39m');
    expect(screen.text).not.toContain('```');
    expect(screen.lines).toContain('│ a quote');
  });

  test('without colour: no SGR at all, and the marks that colour would replace stay', async () => {
    const out = renderMarkdown(DOC, plain);
    expect(out).not.toContain('\x1b');
    expect(out).toContain('# Plan\n');
    expect(out).toContain('Some **bold**, *italic*, `code` and a [link](https://example.com/docs).');
    expect(out).toContain('```ts\nconst answer');
    expect(out).toContain('│ 中文字 │    1 │  🎉  │');
  });

  test('streamed in pieces cut anywhere, the final screen is the one-piece screen', async () => {
    const whole = (await screenOf(renderMarkdown(DOC, color))).text;
    for (let cut = 1; cut < DOC.length; cut++) {
      expect((await screenOf(streamed(DOC, [cut]))).text, `cut at ${cut}`).toBe(whole);
    }
    for (const size of [1, 2, 3, 5, 8, 13]) {
      const cuts = Array.from({ length: Math.ceil(DOC.length / size) - 1 }, (_, i) => (i + 1) * size);
      expect((await screenOf(streamed(DOC, cuts))).text, `deltas of ${size}`).toBe(whole);
    }
  });

  test('a block is drawn once, when complete, and never redrawn; only the preview row is rewritten', () => {
    const stream = new MarkdownStream({ ...color, preview: true });
    const first = stream.push('# Title\n\nSome text');
    expect(first).toContain('Title');
    expect(first).not.toContain('Some text\n');
    // The preview row of the open paragraph grows in place.
    expect(stream.push(' more')).toBe('\x1b[2m more\x1b[22m');
    const rest = stream.push(' words.\n\n- item') + stream.finish();
    expect(rest).not.toContain('Title');
    expect(rest).toContain('Some text more words.');
    // Never a clear-screen or a cursor move up.
    // biome-ignore lint/suspicious/noControlCharactersInRegex: looking for escape codes is the point
    expect(first + rest).not.toMatch(/\x1b\[\d*[ABJ]/);
  });

  test('a line of our own (a queued note) in the middle of a block leaves the block whole', async () => {
    const stream = new MarkdownStream({ ...color, preview: true });
    let out = stream.push('# Title\n\nSome **bold');
    out += `${stream.hidePreview()}queued: hello\n`;
    out += stream.push(' words** here.\n\nEnd.') + stream.finish();
    const screen = await screenOf(out);
    expect(screen.lines).toEqual(['Title', 'queued: hello', '', 'Some bold words here.', '', 'End.']);
  });

  test('escape sequences from the model are inert after rendering', async () => {
    const hostile =
      '# T\x1b]0;pwned\x07itle\n\nA \x1b[2Jparagraph with **bo\x1b[31mld**.\n\n```sh\necho \x1b[8mhidden\n```\n';
    for (const out of [renderMarkdown(hostile, color), streamed(hostile, [3, 9, 20, 40])]) {
      // Only our own SGR codes and the preview's erase-row remain.
      // biome-ignore lint/suspicious/noControlCharactersInRegex: looking for control characters is the point
      expect(out.replace(/\x1b\[[0-9;]*m|\r\x1b\[2K/g, '')).not.toMatch(/[\x00-\x08\x0b-\x1f\x7f-\x9f]/);
      // Shown as text: no title set, nothing cleared, no colour switched on, nothing hidden.
      const screen = await screenOf(out);
      expect(screen.text).toContain('A [2Jparagraph with bo[31mld.');
      expect(screen.colorOf('ld.')).toBeUndefined();
      expect(screen.text).toContain('echo [8mhidden');
    }
  });
});

describe('tool output helpers', () => {
  test("a failed node script: the error and the lines before it, not Node's version footer", () => {
    const body = [
      '[eval]:1',
      'throw new Error("boom")',
      '^',
      '',
      'Error: boom',
      '    at [eval]:1:7',
      '    at runScriptInThisContext (node:internal/vm:209:10)',
      '',
      'Node.js v20.20.2',
      '',
      'exit code 1',
    ].join('\n');
    const { reason, excerpt } = bashFailure(body);
    expect(reason).toBe('Error: boom');
    expect(excerpt).toEqual(['[eval]:1', 'throw new Error("boom")', '^']);
    expect(bashFailure('make: *** [all] Error 2\n\nexit code 2').reason).toBe('make: *** [all] Error 2');
  });

  test('a diff is capped, and the rest counted with what edit-diff already cut', () => {
    const diff = Array.from({ length: 100 }, (_, i) => `+line ${i}`).join('\n');
    expect(capDiff(diff, 40)).toMatchObject({ more: 60 });
    expect(capDiff(`${diff}\n… 17 more diff lines`, 40).more).toBe(77);
    expect(capDiff('+a\n-b', 40)).toEqual({ lines: ['+a', '-b'], more: 0 });
  });
});
