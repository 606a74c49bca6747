import { describe, expect, test } from 'vitest';
import { createFindTool } from '../../src/tools/find-tool.js';
import type { GrepMatcher, GrepMatchRequest } from '../../src/tools/grep-matcher.js';
import { createGrepTool } from '../../src/tools/grep-tool.js';
import { createLsTool } from '../../src/tools/ls-tool.js';
import { MemoryWorkspace } from '../../src/tools/memory-workspace.js';
import { ESCAPES, runTool, textOf } from './run-tool.js';

function project(): MemoryWorkspace {
  return new MemoryWorkspace({
    '.gitignore': 'dist/\n*.log\n!keep.log\n',
    '.env': 'SECRET=1\n',
    'README.md': '# Demo\nUse TODO markers.\n',
    'a.txt': 'alpha\n',
    'debug.log': 'TODO in a log\n',
    'keep.log': 'TODO kept\n',
    'dist/bundle.js': 'TODO bundled\n',
    'node_modules/dep/index.js': 'TODO dependency\n',
    '.git/config': 'TODO git\n',
    'src/main.ts': 'import { util } from "./lib/util";\n// TODO: start\nutil();\n',
    'src/lib/util.ts': 'export function util() {\n  return 1; // todo lower\n}\n',
    'src/lib/util.test.ts': 'test("util", () => {});\n',
    'src/.gitignore': 'generated/\n',
    'src/generated/api.ts': '// TODO generated\n',
    'pkg/generated/keep.ts': '// TODO not ignored here\n',
  });
}

describe('ls tool', () => {
  test('lists sorted entries with dotfiles and directory slashes', async () => {
    const result = await runTool(createLsTool(project()), {});
    expect(textOf(result)).toBe(
      [
        '.env',
        '.git/',
        '.gitignore',
        'a.txt',
        'debug.log',
        'dist/',
        'keep.log',
        'node_modules/',
        'pkg/',
        'README.md',
        'src/',
      ].join('\n'),
    );
    expect(result.details).toEqual({ path: '.', total: 11, shown: 11 });
  });

  test('lists a subdirectory, by relative or absolute path', async () => {
    const ws = project();
    const expected = '.gitignore\ngenerated/\nlib/\nmain.ts';
    expect(textOf(await runTool(createLsTool(ws), { path: 'src' }))).toBe(expected);
    expect(textOf(await runTool(createLsTool(ws), { path: '/workspace/src/' }))).toBe(expected);
  });

  test('limit caps entries with a note', async () => {
    const text = textOf(await runTool(createLsTool(project()), { path: 'src', limit: 2 }));
    expect(text).toBe('.gitignore\ngenerated/\n\n[Showing 2 of 4 entries. Use a larger limit, or find to search.]');
  });

  test('empty directories, files and missing paths', async () => {
    const ws = project();
    await ws.mkdir('empty');
    const tool = createLsTool(ws);
    expect(textOf(await runTool(tool, { path: 'empty' }))).toBe('(empty is empty)');
    await expect(runTool(tool, { path: 'a.txt' })).rejects.toThrow(
      'a.txt is a file, not a directory; use read to see it',
    );
    await expect(runTool(tool, { path: 'nope' })).rejects.toThrow('Directory not found: nope');
  });

  test('refuses paths outside the workspace', async () => {
    const tool = createLsTool(project());
    for (const path of [...ESCAPES, '..', '/']) {
      await expect(runTool(tool, { path })).rejects.toThrow('outside the workspace root');
    }
  });
});

describe('find tool', () => {
  test('a pattern without / matches base names anywhere, skipping ignored paths', async () => {
    const result = await runTool(createFindTool(project()), { pattern: '*.ts' });
    expect(textOf(result)).toBe(
      ['pkg/generated/keep.ts', 'src/lib/util.test.ts', 'src/lib/util.ts', 'src/main.ts'].join('\n'),
    );
    expect(result.details).toEqual({ matches: 4, shown: 4, incomplete: false });
  });

  test('a pattern with / or ** matches the relative path', async () => {
    const ws = project();
    expect(textOf(await runTool(createFindTool(ws), { pattern: 'src/**/*.test.ts' }))).toBe('src/lib/util.test.ts');
    expect(textOf(await runTool(createFindTool(ws), { pattern: 'src/*.ts' }))).toBe('src/main.ts');
    expect(textOf(await runTool(createFindTool(ws), { pattern: '**/generated' }))).toBe('pkg/generated/');
  });

  test('in a subdirectory, patterns may be relative to it', async () => {
    const ws = project();
    expect(textOf(await runTool(createFindTool(ws), { pattern: 'lib/*.ts', path: 'src' }))).toBe(
      'src/lib/util.test.ts\nsrc/lib/util.ts',
    );
    expect(textOf(await runTool(createFindTool(ws), { pattern: '*.ts', path: '/workspace/src/lib' }))).toBe(
      'src/lib/util.test.ts\nsrc/lib/util.ts',
    );
  });

  test('gitignore negation, dotfiles and braces', async () => {
    const ws = project();
    expect(textOf(await runTool(createFindTool(ws), { pattern: '*.log' }))).toBe('keep.log');
    expect(textOf(await runTool(createFindTool(ws), { pattern: '.*' }))).toBe('.env\n.gitignore\nsrc/.gitignore');
    expect(textOf(await runTool(createFindTool(ws), { pattern: '{README.md,a.txt}' }))).toBe('README.md\na.txt');
  });

  test('searching inside node_modules works when asked by path', async () => {
    const text = textOf(await runTool(createFindTool(project()), { pattern: '*.js', path: 'node_modules' }));
    expect(text).toBe('node_modules/dep/index.js');
  });

  test('limit, no results and walk cap notes', async () => {
    const ws = project();
    expect(textOf(await runTool(createFindTool(ws), { pattern: '*.ts', limit: 2 }))).toBe(
      'pkg/generated/keep.ts\nsrc/lib/util.test.ts\n\n[Showing 2 of 4 results. Narrow the pattern or path, or raise limit.]',
    );
    expect(textOf(await runTool(createFindTool(ws), { pattern: '*.rs' }))).toBe('No files found matching *.rs');
    const capped = await runTool(createFindTool(ws, { maxEntries: 3 }), { pattern: '*' });
    expect(textOf(capped)).toBe(
      '.env\n.gitignore\nREADME.md\n\n[Stopped after 3 entries; results may be incomplete. Search a narrower path.]',
    );
    expect(capped.details?.incomplete).toBe(true);
  });

  test('bad paths and patterns are clear errors', async () => {
    const tool = createFindTool(project());
    await expect(runTool(tool, { pattern: '*', path: 'nope' })).rejects.toThrow('Directory not found: nope');
    await expect(runTool(tool, { pattern: '*', path: 'a.txt' })).rejects.toThrow('a.txt is not a directory');
    await expect(runTool(tool, { pattern: '[z-a]' })).rejects.toThrow('Invalid glob pattern "[z-a]"');
    for (const path of ESCAPES) {
      await expect(runTool(tool, { pattern: '*', path })).rejects.toThrow('outside the workspace root');
    }
  });
});

describe('grep tool', () => {
  test('prints path:line: text, skipping ignored, node_modules and .git files', async () => {
    const result = await runTool(createGrepTool(project()), { pattern: 'TODO' });
    expect(textOf(result)).toBe(
      [
        'README.md:2: Use TODO markers.',
        'keep.log:1: TODO kept',
        'pkg/generated/keep.ts:1: // TODO not ignored here',
        'src/main.ts:2: // TODO: start',
      ].join('\n'),
    );
    expect(result.details).toMatchObject({ matches: 4, files: 4, limitReached: false });
  });

  test('ignoreCase, literal and regex syntax', async () => {
    const ws = project();
    const insensitive = textOf(await runTool(createGrepTool(ws), { pattern: 'todo', ignoreCase: true, path: 'src' }));
    expect(insensitive).toBe('src/lib/util.ts:2:   return 1; // todo lower\nsrc/main.ts:2: // TODO: start');
    expect(textOf(await runTool(createGrepTool(ws), { pattern: 'util();', literal: true }))).toBe(
      'src/main.ts:3: util();',
    );
    // As a regular expression `()` is an empty group, so this also matches the import line.
    expect(textOf(await runTool(createGrepTool(ws), { pattern: 'util()', path: 'src/main.ts' }))).toBe(
      'src/main.ts:1: import { util } from "./lib/util";\nsrc/main.ts:3: util();',
    );
    expect(textOf(await runTool(createGrepTool(ws), { pattern: '^export\\s+function\\s+(\\w+)' }))).toBe(
      'src/lib/util.ts:1: export function util() {',
    );
    expect(textOf(await runTool(createGrepTool(ws), { pattern: '\\p{Lu}{3}=', path: '.env' }))).toBe(
      '.env:1: SECRET=1',
    );
  });

  test('invalid regular expressions are a clear error', async () => {
    await expect(runTool(createGrepTool(project()), { pattern: 'foo(' })).rejects.toThrow(
      'Invalid regular expression "foo(":',
    );
    await expect(runTool(createGrepTool(project()), { pattern: 'foo(' })).rejects.toThrow('set literal to true');
  });

  test('glob filter and single-file paths', async () => {
    const ws = project();
    expect(textOf(await runTool(createGrepTool(ws), { pattern: 'util', glob: '*.test.ts' }))).toBe(
      'src/lib/util.test.ts:1: test("util", () => {});',
    );
    expect(textOf(await runTool(createGrepTool(ws), { pattern: 'util', glob: 'lib/*.ts', path: 'src' }))).toBe(
      'src/lib/util.test.ts:1: test("util", () => {});\nsrc/lib/util.ts:1: export function util() {',
    );
    // A file named directly is searched even though .gitignore excludes it.
    expect(textOf(await runTool(createGrepTool(ws), { pattern: 'TODO', path: 'debug.log' }))).toBe(
      'debug.log:1: TODO in a log',
    );
  });

  test('context lines, merged groups and separators', async () => {
    const lines = Array.from({ length: 12 }, (_, i) =>
      i === 2 || i === 4 || i === 10 ? `hit ${i + 1}` : `line ${i + 1}`,
    );
    const ws = new MemoryWorkspace({ 'f.txt': `${lines.join('\n')}\n`, 'g.txt': 'x\nhit g\n' });
    const text = textOf(await runTool(createGrepTool(ws), { pattern: 'hit', context: 1 }));
    expect(text).toBe(
      [
        'f.txt-2- line 2',
        'f.txt:3: hit 3',
        'f.txt-4- line 4',
        'f.txt:5: hit 5',
        'f.txt-6- line 6',
        '--',
        'f.txt-10- line 10',
        'f.txt:11: hit 11',
        'f.txt-12- line 12',
        '--',
        'g.txt-1- x',
        'g.txt:2: hit g',
      ].join('\n'),
    );
  });

  test('match limit stops the search with a note', async () => {
    const ws = new MemoryWorkspace({
      'a.txt': Array.from({ length: 150 }, (_, i) => `match ${i + 1}`).join('\n'),
      'b.txt': 'match b\n',
    });
    const result = await runTool(createGrepTool(ws), { pattern: 'match' });
    const lines = textOf(result).split('\n');
    expect(lines).toHaveLength(102);
    expect(lines[99]).toBe('a.txt:100: match 100');
    expect(lines[101]).toBe('[Match limit of 100 reached; there may be more. Narrow the search or raise limit.]');
    expect(result.details).toMatchObject({ matches: 100, files: 1, limitReached: true });
    expect(textOf(await runTool(createGrepTool(ws), { pattern: 'match', limit: 2 }))).toBe(
      'a.txt:1: match 1\na.txt:2: match 2\n\n[Match limit of 2 reached; there may be more. Narrow the search or raise limit.]',
    );
  });

  test('long lines are cut around the match; binary and large files are skipped', async () => {
    const ws = new MemoryWorkspace({
      'long.txt': `${'a'.repeat(1000)}NEEDLE${'b'.repeat(1000)}\n`,
      'bin.dat': new Uint8Array([0x4e, 0x45, 0x45, 0x44, 0x4c, 0x45, 0]),
      'huge.txt': `NEEDLE${'x'.repeat(3000)}`,
    });
    const result = await runTool(createGrepTool(ws, { maxFileBytes: 2100 }), { pattern: 'NEEDLE' });
    const [first, , note] = textOf(result).split('\n');
    expect(first).toBe(`long.txt:1: [875 chars]…${'a'.repeat(125)}NEEDLE${'b'.repeat(369)}…[631 more chars]`);
    expect(note).toBe('[Skipped 1 file(s) over 2.1 KB]');
    expect(result.details).toMatchObject({ matches: 1, searched: 1, skippedBinary: 1, skippedLarge: 1 });
  });

  test('the default matcher refuses nested quantifiers with a clear error', async () => {
    // Lines the patterns fail on quickly, so the code before the fix ends too.
    const ws = new MemoryWorkspace({ 'f.txt': 'b\n' });
    for (const pattern of ['(a+)+$', '(?:\\w+\\s?)*$', '((ab)*c)+', '(a+){3}', '(x+x+)+y', '(?<word>a*)*']) {
      const search = runTool(createGrepTool(ws), { pattern });
      await expect(search, pattern).rejects.toThrow('a nested quantifier');
      await expect(search, pattern).rejects.toThrow('set literal to true');
    }
    await expect(runTool(createGrepTool(ws), { pattern: '(a+)+$' })).rejects.toThrow(
      'Refusing the pattern: "(a+)+" repeats a group that itself repeats',
    );
  });

  test('the default matcher accepts ordinary patterns', async () => {
    const ws = new MemoryWorkspace({ 'f.txt': 'v1.2 (a+)+ foobar 555-123- é\n' });
    const accepted = [
      '(foo|bar)+',
      '\\d+(\\.\\d+)?',
      '[(a+)]+',
      '\\(a\\+\\)\\+',
      '(\\d{3}-)+',
      '(a+)?',
      '\\p{L}+',
      '(?:foo){2,}|bar',
    ];
    for (const pattern of accepted) {
      expect(textOf(await runTool(createGrepTool(ws), { pattern })), pattern).toBe(
        'f.txt:1: v1.2 (a+)+ foobar 555-123- é',
      );
    }
    expect(textOf(await runTool(createGrepTool(ws), { pattern: '(a+)+', literal: true }))).toBe(
      'f.txt:1: v1.2 (a+)+ foobar 555-123- é',
    );
  });

  test('an injected matcher gets one call per file with its whole text', async () => {
    const calls: Omit<GrepMatchRequest, 'signal'>[] = [];
    const matcher: GrepMatcher = {
      async match({ signal: _signal, ...request }) {
        calls.push(request);
        return request.text.startsWith('hit') ? [{ line: 1, index: 2, length: 1 }] : [];
      },
    };
    const ws = new MemoryWorkspace({ 'a.txt': 'hit\r\nsecond\r\n', 'b.txt': 'one\ntwo\nthree\n' });
    const result = await runTool(createGrepTool(ws, { matcher }), { pattern: 'x', ignoreCase: true, limit: 5 });
    expect(textOf(result)).toBe('a.txt:2: second');
    expect(calls).toEqual([
      { pattern: { source: 'x', flags: 'iu' }, text: 'hit\r\nsecond\r\n', limit: 5 },
      { pattern: { source: 'x', flags: 'iu' }, text: 'one\ntwo\nthree\n', limit: 4 },
    ]);
  });

  test('a matcher that fails or runs out of time ends the search, naming the file', async () => {
    const matcher: GrepMatcher = {
      async match() {
        throw new Error('The pattern ran for more than 5 s on one file and was stopped');
      },
    };
    const ws = new MemoryWorkspace({ 'src/slow.txt': 'aaaa\n' });
    await expect(runTool(createGrepTool(ws, { matcher }), { pattern: 'a' })).rejects.toThrow(
      'grep stopped while searching src/slow.txt: The pattern ran for more than 5 s',
    );
  });

  test('a matcher may refuse a pattern before any file is read', async () => {
    let reads = 0;
    const ws = new MemoryWorkspace({ 'f.txt': 'x\n' });
    const readFile = ws.readFile.bind(ws);
    ws.readFile = async (path) => {
      reads++;
      return readFile(path);
    };
    const matcher: GrepMatcher = {
      check: (pattern) => {
        throw new Error(`no ${pattern.source}`);
      },
      match: async () => [],
    };
    await expect(runTool(createGrepTool(ws, { matcher }), { pattern: 'x' })).rejects.toThrow('no x');
    expect(reads).toBe(0);
  });

  test('no matches, missing paths and escapes', async () => {
    const tool = createGrepTool(project());
    expect(textOf(await runTool(tool, { pattern: 'zzz' }))).toBe('No matches for "zzz"');
    await expect(runTool(tool, { pattern: 'x', path: 'nope' })).rejects.toThrow('Path not found: nope');
    for (const path of ESCAPES) {
      await expect(runTool(tool, { pattern: 'x', path })).rejects.toThrow('outside the workspace root');
    }
  });
});
