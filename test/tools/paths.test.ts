import { describe, expect, test } from 'vitest';
import {
  basename,
  dirname,
  joinPath,
  relativeTo,
  resolveWorkspacePath,
  toAbsolutePath,
  tryResolveWorkspacePath,
} from '../../src/tools/paths.js';
import { WorkspaceError } from '../../src/tools/types.js';

function refusal(root: string, input: string): WorkspaceError {
  try {
    resolveWorkspacePath(root, input);
  } catch (error) {
    if (error instanceof WorkspaceError) return error;
    throw error;
  }
  throw new Error(`expected ${JSON.stringify(input)} to be refused`);
}

describe('resolveWorkspacePath', () => {
  test('normalises relative paths to root-relative POSIX form', () => {
    expect(resolveWorkspacePath('/workspace', 'src/main.ts')).toBe('src/main.ts');
    expect(resolveWorkspacePath('/workspace', './src//./a/b.ts')).toBe('src/a/b.ts');
    expect(resolveWorkspacePath('/workspace', 'src/lib/../main.ts')).toBe('src/main.ts');
    expect(resolveWorkspacePath('/workspace', 'src/')).toBe('src');
    expect(resolveWorkspacePath('/workspace', 'a/..')).toBe('.');
  });

  test('the root is spelled "."', () => {
    expect(resolveWorkspacePath('/workspace', '')).toBe('.');
    expect(resolveWorkspacePath('/workspace', '.')).toBe('.');
    expect(resolveWorkspacePath('/workspace', './')).toBe('.');
    expect(resolveWorkspacePath('/workspace', '/workspace')).toBe('.');
    expect(resolveWorkspacePath('/workspace', '/workspace/')).toBe('.');
  });

  test('accepts absolute paths under the root', () => {
    expect(resolveWorkspacePath('/workspace', '/workspace/src/a.ts')).toBe('src/a.ts');
    expect(resolveWorkspacePath('/workspace/', '/workspace//src/./a.ts')).toBe('src/a.ts');
    expect(resolveWorkspacePath('/home/me/project', '/home/me/project/x/../y')).toBe('y');
    expect(resolveWorkspacePath('/', '/etc/passwd')).toBe('etc/passwd');
  });

  test('refuses paths that leave the root, with the documented message', () => {
    const error = refusal('/workspace', '../x');
    expect(error.code).toBe('EOUTSIDE');
    expect(error.message).toBe('Path "../x" is outside the workspace root /workspace');
    for (const input of ['../etc/passwd', '/etc/passwd', 'a/../../x', '..', '/workspace2/x', '/workspacex', '/']) {
      expect(refusal('/workspace', input).code).toBe('EOUTSIDE');
    }
    expect(refusal('/workspace', '/workspace/../etc/passwd').message).toBe(
      'Path "/workspace/../etc/passwd" is outside the workspace root /workspace',
    );
  });

  test('refuses a path that leaves the root and comes back', () => {
    expect(refusal('/workspace', '../workspace/a').code).toBe('EOUTSIDE');
    expect(refusal('/workspace', 'src/../../workspace/a').code).toBe('EOUTSIDE');
  });

  test('refuses NUL bytes', () => {
    const error = refusal('/workspace', 'a\0/../../etc');
    expect(error.code).toBe('EOUTSIDE');
    expect(error.message).toContain('NUL byte');
    expect(refusal('/workspace', 'safe.txt\0.png').code).toBe('EOUTSIDE');
  });

  test('tryResolveWorkspacePath returns undefined instead of throwing', () => {
    expect(tryResolveWorkspacePath('/workspace', '/workspace/a')).toBe('a');
    expect(tryResolveWorkspacePath('/workspace', '../a')).toBeUndefined();
  });
});

describe('path helpers', () => {
  test('joinPath', () => {
    expect(joinPath('.', 'src')).toBe('src');
    expect(joinPath('src', 'a.ts')).toBe('src/a.ts');
    expect(joinPath('src/', '/lib/', 'a.ts')).toBe('src/lib/a.ts');
    expect(joinPath('src', '..', 'b')).toBe('b');
    expect(joinPath('.', '.')).toBe('.');
    expect(joinPath('..', 'a')).toBe('../a');
  });

  test('dirname and basename', () => {
    expect(dirname('src/lib/a.ts')).toBe('src/lib');
    expect(dirname('a.ts')).toBe('.');
    expect(dirname('.')).toBe('.');
    expect(dirname('src/lib/')).toBe('src');
    expect(dirname('/a')).toBe('/');
    expect(basename('src/lib/a.ts')).toBe('a.ts');
    expect(basename('src/lib/')).toBe('lib');
    expect(basename('a.ts')).toBe('a.ts');
    expect(basename('.')).toBe('.');
  });

  test('relativeTo and toAbsolutePath', () => {
    expect(relativeTo('.', 'src/a')).toBe('src/a');
    expect(relativeTo('src', 'src/a/b')).toBe('a/b');
    expect(relativeTo('src', 'src')).toBe('.');
    expect(relativeTo('src', 'srcx/a')).toBeUndefined();
    expect(toAbsolutePath('/workspace', 'src/a')).toBe('/workspace/src/a');
    expect(toAbsolutePath('/workspace/', '.')).toBe('/workspace');
    expect(toAbsolutePath('/', 'etc')).toBe('/etc');
  });
});
