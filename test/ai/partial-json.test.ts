import { describe, expect, test } from 'vitest';
import { PartialJsonParser, parseToolArguments } from '../../src/ai/partial-json.js';

const samples: unknown[] = [
  { path: 'src/main.rs', content: 'fn main() {\n\tprintln!("héllo \\"wörld\\" 🦀");\n}\n' },
  { a: [1, -2.5e3, 0, true, false, null, { b: [] }, {}], 'quote"key': 'back\\slash', u: '\u0000\u001f\u2028' },
  { nested: { deeper: { deepest: [[[['x']]]] } }, n: 1234567890.125, e: 1e-7 },
  { emoji: '😀👍🏽', cjk: '漢字かな', escapes: '\b\f\n\r\t/' },
  {},
];

function feedInPieces(text: string, sizes: number[]): PartialJsonParser {
  const parser = new PartialJsonParser();
  let i = 0;
  let k = 0;
  while (i < text.length) {
    const size = sizes[k++ % sizes.length] as number;
    parser.feed(text.slice(i, i + size));
    i += size;
  }
  return parser;
}

describe('PartialJsonParser', () => {
  test('matches JSON.parse for every split of every sample', () => {
    for (const sample of samples) {
      const text = JSON.stringify(sample, null, sample === samples[2] ? 2 : undefined);
      for (const sizes of [[1], [2], [3], [7], [1, 5, 2], [text.length]]) {
        const parser = feedInPieces(text, sizes);
        expect(parser.finish()).toEqual(JSON.parse(text));
        expect(parser.error).toBeUndefined();
      }
    }
  });

  test('splits inside escapes and \\u sequences', () => {
    const text = '{"k":"a\\u00e9\\ud83d\\ude00\\n"}';
    for (let cut = 1; cut < text.length; cut++) {
      const parser = new PartialJsonParser();
      parser.feed(text.slice(0, cut));
      parser.feed(text.slice(cut));
      expect(parser.finish()).toEqual({ k: 'aé😀\n' });
    }
  });

  test('exposes an open string and completed values while streaming', () => {
    const parser = new PartialJsonParser();
    parser.feed('{"path": "src/ma');
    expect(parser.value).toEqual({ path: 'src/ma' });
    parser.feed('in.rs", "n": 12');
    // A number is shown only once it is complete.
    expect(parser.value).toEqual({ path: 'src/main.rs' });
    parser.feed(', "list": ["a", "b');
    expect(parser.value).toEqual({ path: 'src/main.rs', n: 12, list: ['a', 'b'] });
    parser.feed('c"]}');
    expect(parser.finish()).toEqual({ path: 'src/main.rs', n: 12, list: ['a', 'bc'] });
  });

  test('keeps the same root object while it grows', () => {
    const parser = new PartialJsonParser();
    parser.feed('{"a": 1, ');
    const root = parser.value;
    parser.feed('"b": 2}');
    expect(parser.finish()).toBe(root);
  });

  test.each([
    ['{"a": 1,}', /Unexpected character "}"/],
    ['{"a" 1}', /Unexpected character "1"/],
    ['{"a": tru}', /Invalid literal "tru"/],
    ['{"a": 01}', /Invalid number "01"/],
    ['{"a": "b"} x', /Unexpected data after JSON/],
    ['[1, 2}', /Unexpected character "}"/],
    ['{"a": "\\x"}', /Unexpected character "x"/],
    ['{"a": "line\nbreak"}', /Bad control character/],
    ['{"a": [1, 2', /Unexpected end of JSON input/],
    ['{"a": "open', /Unterminated string/],
  ])('rejects %j', (text, message) => {
    const parser = new PartialJsonParser();
    parser.feed(text);
    expect(parser.finish()).toBeUndefined();
    expect(parser.error).toMatch(message);
  });

  test('parses 200 KB of arguments in 2,000 fragments', () => {
    const big = { path: 'big.txt', content: 'x'.repeat(200_000) };
    const text = JSON.stringify(big);
    const parser = new PartialJsonParser();
    const size = Math.ceil(text.length / 2000);
    for (let i = 0; i < text.length; i += size) parser.feed(text.slice(i, i + size));
    expect(parser.finish()).toEqual(big);
  });
});

describe('parseToolArguments', () => {
  test('empty input means no arguments', () => {
    expect(parseToolArguments('')).toEqual({ value: {} });
    expect(parseToolArguments('  ')).toEqual({ value: {} });
  });

  test('a non-object is an error, not arguments', () => {
    expect(parseToolArguments('[1]').error).toBe('Tool arguments must be a JSON object');
    expect(parseToolArguments('"x"').error).toBe('Tool arguments must be a JSON object');
  });

  test('invalid JSON keeps what parsed and says why', () => {
    const result = parseToolArguments('{"path": "a.txt", "content": "unfinished');
    expect(result.error).toMatch(/Unterminated string/);
    expect(result.value).toEqual({ path: 'a.txt', content: 'unfinished' });
  });
});
