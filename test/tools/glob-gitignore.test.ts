import { describe, expect, test } from 'vitest';
import { GitignoreMatcher, parseGitignore } from '../../src/tools/gitignore.js';
import { createGlobMatcher, expandBraces, globToRegExp } from '../../src/tools/glob.js';
import { MemoryWorkspace } from '../../src/tools/memory-workspace.js';
import { type WalkEntry, walk } from '../../src/tools/walk.js';

function matching(glob: string, paths: string[]): string[] {
  const regex = globToRegExp(glob);
  return paths.filter((path) => regex.test(path));
}

describe('glob', () => {
  const paths = ['a.ts', 'b.js', 'src/a.ts', 'src/lib/deep/c.ts', 'src/a.test.ts', '.env', 'x/y', 'a/b/c/d'];

  test('* and ? stay within a segment', () => {
    expect(matching('*.ts', paths)).toEqual(['a.ts']);
    expect(matching('src/*.ts', paths)).toEqual(['src/a.ts', 'src/a.test.ts']);
    expect(matching('?.js', paths)).toEqual(['b.js']);
    expect(matching('*', paths)).toEqual(['a.ts', 'b.js', '.env']);
    expect(matching('x?y', paths)).toEqual([]);
  });

  test('** spans directories only as a whole segment', () => {
    expect(matching('**/*.ts', paths)).toEqual(['a.ts', 'src/a.ts', 'src/lib/deep/c.ts', 'src/a.test.ts']);
    expect(matching('src/**/*.ts', paths)).toEqual(['src/a.ts', 'src/lib/deep/c.ts', 'src/a.test.ts']);
    expect(matching('src/**', paths)).toEqual(['src/a.ts', 'src/lib/deep/c.ts', 'src/a.test.ts']);
    expect(matching('a/**/d', paths)).toEqual(['a/b/c/d']);
    expect(matching('**', paths)).toEqual(paths);
    expect(matching('src/l**p/c.ts', ['src/lib/deep/c.ts', 'src/libdeep/c.ts'])).toEqual(['src/libdeep/c.ts']);
  });

  test('braces, classes and escapes', () => {
    expect(matching('*.{ts,js}', paths)).toEqual(['a.ts', 'b.js']);
    expect(matching('{src,x}/**', paths)).toEqual(['src/a.ts', 'src/lib/deep/c.ts', 'src/a.test.ts', 'x/y']);
    expect(matching('[ab].*', paths)).toEqual(['a.ts', 'b.js']);
    expect(matching('[!a].*', paths)).toEqual(['b.js']);
    expect(matching('[^a].*', paths)).toEqual(['b.js']);
    expect(matching('[a-c].ts', ['a.ts', 'c.ts', 'd.ts'])).toEqual(['a.ts', 'c.ts']);
    expect(matching('x[/]y', ['x/y'])).toEqual([]);
    expect(matching('\\*.ts', ['*.ts', 'a.ts'])).toEqual(['*.ts']);
    expect(matching('a+(b).ts', ['a+(b).ts', 'aab.ts'])).toEqual(['a+(b).ts']);
    expect(matching('{a}.ts', ['{a}.ts', 'a.ts'])).toEqual(['{a}.ts']);
    expect(matching('[abc', ['[abc', 'a'])).toEqual(['[abc']);
  });

  test('brace expansion nests and refuses explosions', () => {
    expect(expandBraces('a{b,c{d,e}}f')).toEqual(['abf', 'acdf', 'acef']);
    expect(expandBraces('{x,y}{1,2}')).toEqual(['x1', 'x2', 'y1', 'y2']);
    expect(expandBraces('[{]a,b}')).toEqual(['[{]a,b}']);
    expect(() => globToRegExp('{a,b}{a,b}{a,b}{a,b}{a,b}{a,b}{a,b}{a,b}{a,b}{a,b}{a,b}')).toThrow('alternatives');
  });

  test('invalid classes are a clear error', () => {
    expect(() => globToRegExp('[z-a]')).toThrow('Invalid glob pattern "[z-a]"');
  });

  test('createGlobMatcher: base names without a slash, whole paths with one', () => {
    const byName = createGlobMatcher('*.ts');
    expect(byName('src/lib/deep/c.ts')).toBe(true);
    expect(byName('src/a.tsx')).toBe(false);
    const byPath = createGlobMatcher('src/*.ts');
    expect(byPath('src/a.ts')).toBe(true);
    expect(byPath('other/src/a.ts')).toBe(false);
    expect(createGlobMatcher('./src/*.ts')('src/a.ts')).toBe(true);
    expect(createGlobMatcher('/src/*.ts')('src/a.ts')).toBe(true);
  });
});

describe('gitignore', () => {
  test('parses comments, blanks, negation, dir-only and escapes', () => {
    const rules = parseGitignore('# comment\n\n*.log\n!keep.log\nbuild/\n\\#literal\n\\!bang\ntrailing   \r\n');
    expect(rules.map((rule) => [rule.source, rule.negated, rule.dirOnly])).toEqual([
      ['*.log', false, false],
      ['!keep.log', true, false],
      ['build/', false, true],
      ['\\#literal', false, false],
      ['\\!bang', false, false],
      ['trailing   ', false, false],
    ]);
    const [log, keep, build, hash, bang, trailing] = rules.map((rule) => rule.regex);
    expect(log?.test('a/b/x.log')).toBe(true);
    expect(keep?.test('keep.log')).toBe(true);
    expect(build?.test('pkg/build')).toBe(true);
    expect(hash?.test('#literal')).toBe(true);
    expect(bang?.test('!bang')).toBe(true);
    expect(trailing?.test('trailing')).toBe(true);
    expect(trailing?.test('trailing   ')).toBe(false);
  });

  test('last matching rule wins, negation re-includes', () => {
    const matcher = new GitignoreMatcher();
    matcher.add('.', '*.log\n!keep.log\n');
    expect(matcher.ignored('debug.log', false)).toBe(true);
    expect(matcher.ignored('logs/deep/debug.log', false)).toBe(true);
    expect(matcher.ignored('keep.log', false)).toBe(false);
    expect(matcher.ignored('logs/keep.log', false)).toBe(false);
    expect(matcher.ignored('main.ts', false)).toBe(false);
  });

  test('dir-only patterns ignore directories (and so their contents) but not files', () => {
    const matcher = new GitignoreMatcher();
    matcher.add('.', 'build/\n');
    expect(matcher.ignored('build', true)).toBe(true);
    expect(matcher.ignored('build', false)).toBe(false);
    expect(matcher.ignored('build/out.js', false)).toBe(true);
    expect(matcher.ignored('pkg/build/out.js', false)).toBe(true);
    expect(matcher.matches('build/out.js', false)).toBe(false);
  });

  test('anchored patterns match from the .gitignore directory only', () => {
    const matcher = new GitignoreMatcher();
    matcher.add('.', '/root-only.txt\ndocs/*.md\n');
    expect(matcher.ignored('root-only.txt', false)).toBe(true);
    expect(matcher.ignored('sub/root-only.txt', false)).toBe(false);
    expect(matcher.ignored('docs/a.md', false)).toBe(true);
    expect(matcher.ignored('docs/deep/a.md', false)).toBe(false);
    expect(matcher.ignored('x/docs/a.md', false)).toBe(false);
  });

  test('** in gitignore patterns', () => {
    const matcher = new GitignoreMatcher();
    matcher.add('.', '**/temp\nlogs/**\na/**/z\n');
    expect(matcher.ignored('temp', false)).toBe(true);
    expect(matcher.ignored('x/y/temp', true)).toBe(true);
    expect(matcher.ignored('logs/a/b.txt', false)).toBe(true);
    expect(matcher.ignored('logs', true)).toBe(false);
    expect(matcher.ignored('a/z', false)).toBe(true);
    expect(matcher.ignored('a/b/c/z', false)).toBe(true);
  });

  test('a file cannot be re-included inside an excluded directory', () => {
    const matcher = new GitignoreMatcher();
    matcher.add('.', 'vendor/\n!vendor/keep.js\n');
    expect(matcher.ignored('vendor/keep.js', false)).toBe(true);
  });

  test('nested .gitignore files apply to their subtree, deeper ones win', () => {
    const matcher = new GitignoreMatcher();
    matcher.add('.', '*.gen.ts\n');
    matcher.add('pkg', '!special.gen.ts\n/local.txt\n');
    expect(matcher.ignored('a.gen.ts', false)).toBe(true);
    expect(matcher.ignored('special.gen.ts', false)).toBe(true);
    expect(matcher.ignored('pkg/special.gen.ts', false)).toBe(false);
    expect(matcher.ignored('pkg/other.gen.ts', false)).toBe(true);
    expect(matcher.ignored('pkg/local.txt', false)).toBe(true);
    expect(matcher.ignored('local.txt', false)).toBe(false);
    expect(matcher.ignored('pkg/sub/local.txt', false)).toBe(false);
  });

  test('an unusable pattern is skipped, the rest kept', () => {
    expect(parseGitignore('[z-a]\n*.tmp\n').map((rule) => rule.source)).toEqual(['*.tmp']);
  });
});

describe('walk', () => {
  const files = {
    '.gitignore': 'dist/\n*.log\n!keep.log\n',
    'a.ts': '',
    'debug.log': '',
    'keep.log': '',
    'dist/out.js': '',
    'node_modules/pkg/index.js': '',
    '.git/HEAD': '',
    'src/main.ts': '',
    'src/.gitignore': 'generated/\n',
    'src/generated/x.ts': '',
    'src/lib/util.ts': '',
    'generated/top.ts': '',
  };

  async function collect(start: string, options: { maxEntries?: number; gitignore?: boolean } = {}) {
    const seen: WalkEntry[] = [];
    const result = await walk(new MemoryWorkspace(files), start, {
      ...options,
      visit: (entry) => {
        seen.push(entry);
      },
    });
    return { paths: seen.map((entry) => (entry.type === 'dir' ? `${entry.path}/` : entry.path)), result };
  }

  test('walks depth first in name order, skipping .git, node_modules and gitignored entries', async () => {
    const { paths, result } = await collect('.');
    expect(paths).toEqual([
      '.gitignore',
      'a.ts',
      'generated/',
      'generated/top.ts',
      'keep.log',
      'src/',
      'src/.gitignore',
      'src/lib/',
      'src/lib/util.ts',
      'src/main.ts',
    ]);
    expect(result).toEqual({ visited: 10, capped: false, stopped: false });
  });

  test('rules from above the start directory still apply', async () => {
    const ws = new MemoryWorkspace({ '.gitignore': '*.tmp\n', 'sub/a.tmp': '', 'sub/b.ts': '' });
    const seen: string[] = [];
    await walk(ws, 'sub', { visit: (entry) => void seen.push(entry.path) });
    expect(seen).toEqual(['sub/b.ts']);
  });

  test('a start inside node_modules is walked; gitignore can be turned off', async () => {
    expect((await collect('node_modules')).paths).toEqual(['node_modules/pkg/', 'node_modules/pkg/index.js']);
    const all = await collect('.', { gitignore: false });
    expect(all.paths).toContain('dist/out.js');
    expect(all.paths).toContain('debug.log');
    expect(all.paths).not.toContain('node_modules/');
  });

  test('caps entries and stops when visit returns false', async () => {
    const capped = await collect('.', { maxEntries: 3 });
    expect(capped.paths).toEqual(['.gitignore', 'a.ts', 'generated/']);
    expect(capped.result).toEqual({ visited: 3, capped: true, stopped: false });
    const seen: string[] = [];
    const stopped = await walk(new MemoryWorkspace(files), '.', {
      visit: (entry) => {
        seen.push(entry.path);
        return seen.length < 2;
      },
    });
    expect(seen).toEqual(['.gitignore', 'a.ts']);
    expect(stopped).toEqual({ visited: 2, capped: false, stopped: true });
  });

  test('aborts with the signal and refuses starts outside the root', async () => {
    const controller = new AbortController();
    controller.abort(new Error('stop now'));
    await expect(walk(new MemoryWorkspace(files), '.', { signal: controller.signal, visit: () => {} })).rejects.toThrow(
      'stop now',
    );
    await expect(walk(new MemoryWorkspace(files), '../x', { visit: () => {} })).rejects.toMatchObject({
      code: 'EOUTSIDE',
    });
  });
});
