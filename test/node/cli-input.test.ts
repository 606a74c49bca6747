/**
 * The CLI's input layer as data: bytes to keys (split anywhere), the line
 * editor, and completion. The terminal wiring is tested through a pty.
 */
import { describe, expect, test } from 'vitest';
import { complete } from '../../adapters/node/cli/input/completion.js';
import { type Key, KeyDecoder, MAX_PASTE_CHARS } from '../../adapters/node/cli/input/keys.js';
import { type EditorAction, LineEditor } from '../../adapters/node/cli/input/line-editor.js';

/** Feeds `input` cut at every `size` characters, then flushes. */
function decode(input: string, size = input.length): Key[] {
  const decoder = new KeyDecoder();
  const keys: Key[] = [];
  for (let i = 0; i < input.length; i += size) keys.push(...decoder.feed(input.slice(i, i + size)));
  keys.push(...decoder.flush());
  // Adjacent text keys are one run of typing, however the reads split it.
  const merged: Key[] = [];
  for (const key of keys) {
    const last = merged.at(-1);
    if (key.type === 'text' && last?.type === 'text') last.text += key.text;
    else merged.push({ ...key });
  }
  return merged;
}

function type(editor: LineEditor, input: string): EditorAction[] {
  return decode(input).map((key) => editor.handle(key));
}

describe('KeyDecoder', () => {
  const stream =
    'hé 👋\x1b[D\x1b[1;5C\x7f\t\x1b\r\x1b[13;2u\x1b[27;2;13~\x03\x1b[200~line 1\r\nline 2\x1b[31m red\x1b[0m\x1b[201~\r\x1b[3~\x1b[H\x1b[F\x1bOA';
  const expected: Key[] = [
    { type: 'text', text: 'hé 👋' },
    { type: 'left' },
    { type: 'wordRight' },
    { type: 'backspace' },
    { type: 'tab' },
    { type: 'newline' },
    { type: 'newline' },
    { type: 'newline' },
    { type: 'ctrl', key: 'c' },
    { type: 'paste', text: 'line 1\nline 2 red' },
    { type: 'enter' },
    { type: 'delete' },
    { type: 'home' },
    { type: 'end' },
    { type: 'up' },
  ];

  test('decodes text, control keys, escape sequences, Alt- and Shift-Enter, and a bracketed paste as one key', () => {
    expect(decode(stream)).toEqual(expected);
  });

  test.each([1, 2, 3, 5, 7])('gives the same keys when the bytes arrive %i at a time', (size) => {
    expect(decode(stream, size)).toEqual(expected);
  });

  test('a lone Escape waits for flush; an unknown sequence is dropped, never typed', () => {
    const decoder = new KeyDecoder();
    expect(decoder.feed('\x1b')).toEqual([]);
    expect(decoder.flush()).toEqual([{ type: 'escape' }]);
    expect(decode('a\x1b[99;9Zb')).toEqual([{ type: 'text', text: 'ab' }]);
  });

  test('a paste is bounded', () => {
    const keys = decode(`\x1b[200~${'x'.repeat(MAX_PASTE_CHARS + 10)}\x1b[201~`, 65536);
    expect(keys).toHaveLength(1);
    expect((keys[0] as { text: string }).text.length).toBe(MAX_PASTE_CHARS);
  });
});

describe('LineEditor', () => {
  test('a pasted stack trace is one prompt: Enter inside the paste does not submit', () => {
    const editor = new LineEditor();
    const actions = type(editor, 'why?\x1b[200~Error: boom\r\n    at f (a.js:1)\r\n    at g (b.js:2)\x1b[201~\r');
    expect(actions.filter(Boolean)).toEqual([
      { type: 'submit', text: 'why?Error: boom\n    at f (a.js:1)\n    at g (b.js:2)' },
    ]);
  });

  test('Alt-Enter, Shift-Enter and a trailing backslash insert newlines; Enter submits all of it', () => {
    const editor = new LineEditor();
    type(editor, 'one\x1b\rtwo\x1b[13;2uthree\\\r');
    expect(editor.text).toBe('one\ntwo\nthree\n');
    expect(type(editor, 'four\r').at(-1)).toEqual({ type: 'submit', text: 'one\ntwo\nthree\nfour' });
    expect(editor.text).toBe('');
  });

  test('editing: cursor moves by character (surrogate pairs whole) and word, Ctrl-A/E/U/K/W, Delete', () => {
    const editor = new LineEditor();
    type(editor, 'fix the 👋 bug');
    // Four characters back is just after the emoji, which one Backspace removes whole.
    type(editor, '\x1b[D\x1b[D\x1b[D\x1b[D\x7f');
    expect(editor.text).toBe('fix the  bug');
    type(editor, '\x01\x1b[1;5C');
    expect(editor.cursor).toBe(3);
    type(editor, '\x17');
    expect(editor.text).toBe(' the  bug');
    type(editor, '\x05\x15');
    expect(editor.text).toBe('');
    type(editor, 'abc\x01\x1b[3~');
    expect(editor.text).toBe('bc');
    type(editor, '\x0b');
    expect(editor.text).toBe('');
  });

  test('history: up and down recall, keeping the draft; in a multi-line prompt up moves between lines first', () => {
    const editor = new LineEditor({ history: ['first'] });
    type(editor, 'second\r');
    type(editor, 'draft');
    type(editor, '\x1b[A');
    expect(editor.text).toBe('second');
    type(editor, '\x1b[A');
    expect(editor.text).toBe('first');
    type(editor, '\x1b[B\x1b[B');
    expect(editor.text).toBe('draft');
    editor.setText('ab\ncd', 4);
    type(editor, '\x1b[A');
    expect(editor.text).toBe('ab\ncd');
    expect(editor.cursor).toBe(1);
    expect(editor.history).toEqual(['first', 'second']);
  });

  test('Ctrl-C interrupts, Ctrl-D on an empty line ends, Tab asks for completion, Ctrl-O for the last output', () => {
    const editor = new LineEditor();
    expect(type(editor, '\x03\x04\t\x0f')).toEqual([
      { type: 'interrupt' },
      { type: 'eof' },
      { type: 'complete' },
      { type: 'expand' },
    ]);
  });
});

describe('complete', () => {
  const commands = ['/compact', '/clear', '/cost', '/exit', '/expand'];
  const files = ['src/', 'src/main.ts', 'src/math.ts', 'README.md'];
  const list = (prefix: string) => files.filter((file) => file.startsWith(prefix));

  test('slash commands: the only match with a space, or the common prefix and the choices', () => {
    expect(complete('/com', 4, commands, list)).toEqual({ text: '/compact ', cursor: 9, candidates: [] });
    expect(complete('/c', 2, commands, list)).toEqual({
      text: '/c',
      cursor: 2,
      candidates: ['/clear', '/compact', '/cost'],
    });
    expect(complete('/zz', 3, commands, list)).toBeUndefined();
  });

  test('@ paths, in the middle of a prompt; a directory gets no space', () => {
    expect(complete('look at @READ please', 13, commands, list)).toEqual({
      text: 'look at @README.md  please',
      cursor: 19,
      candidates: [],
    });
    expect(complete('@sr', 3, commands, list)).toMatchObject({ text: '@src/', cursor: 5 });
    expect(complete('@src/ma', 7, commands, list)).toMatchObject({
      text: '@src/ma',
      candidates: ['src/main.ts', 'src/math.ts'],
    });
    expect(complete('email a@b', 9, commands, list)).toBeUndefined();
  });
});
