/**
 * Path confinement shared by every workspace and tool.
 *
 * Inside a workspace a path is POSIX and relative to its root, with no `.`,
 * `..` or empty segments. The root itself is `.` (never `''`), so a resolved
 * path can always be printed, compared and joined as it is.
 */
import { WorkspaceError } from './types.js';

/** The canonical spelling of the workspace root as a relative path. */
export const ROOT = '.';

/**
 * Resolves what a caller (often a model) wrote into a root-relative path.
 * Accepts relative paths and absolute paths under `root`; refuses anything
 * that leaves the root, even briefly (`a/../../root/x`), because a lexical
 * rule is the only one every backend can apply the same way.
 */
export function resolveWorkspacePath(root: string, input: string): string {
  const displayRoot = normaliseRoot(root);
  // A NUL byte truncates the path in native APIs, so what gets checked would not be what gets opened.
  if (input.includes('\0')) {
    throw new WorkspaceError('EOUTSIDE', `Path ${JSON.stringify(input)} contains a NUL byte and is refused`);
  }
  let relative = input;
  if (input.startsWith('/')) {
    const absolute = normaliseAbsolute(input);
    if (displayRoot === '/') relative = absolute;
    else if (absolute === displayRoot) relative = '';
    else if (absolute.startsWith(`${displayRoot}/`)) relative = absolute.slice(displayRoot.length + 1);
    else throw outside(input, displayRoot);
  }
  const segments: string[] = [];
  for (const segment of relative.split('/')) {
    if (segment === '' || segment === '.') continue;
    if (segment === '..') {
      if (segments.length === 0) throw outside(input, displayRoot);
      segments.pop();
    } else {
      segments.push(segment);
    }
  }
  return segments.length === 0 ? ROOT : segments.join('/');
}

/** Like `resolveWorkspacePath`, but `undefined` instead of throwing. */
export function tryResolveWorkspacePath(root: string, input: string): string | undefined {
  try {
    return resolveWorkspacePath(root, input);
  } catch {
    return undefined;
  }
}

/** An absolute root without trailing or doubled slashes; `/` stays `/`. */
export function normaliseRoot(root: string): string {
  return normaliseAbsolute(root.startsWith('/') ? root : `/${root}`);
}

/** The absolute display path of a root-relative path. */
export function toAbsolutePath(root: string, path: string): string {
  const base = normaliseRoot(root);
  if (path === ROOT || path === '') return base;
  return base === '/' ? `/${path}` : `${base}/${path}`;
}

/** Joins root-relative paths lexically; `..` is kept only where nothing is left to pop. */
export function joinPath(...parts: string[]): string {
  const segments: string[] = [];
  for (const part of parts) {
    for (const segment of part.split('/')) {
      if (segment === '' || segment === '.') continue;
      if (segment === '..' && segments.length > 0 && segments[segments.length - 1] !== '..') segments.pop();
      else segments.push(segment);
    }
  }
  return segments.length === 0 ? ROOT : segments.join('/');
}

/** The parent of a root-relative path; the root's parent is the root. */
export function dirname(path: string): string {
  const trimmed = trimTrailingSlashes(path);
  const slash = trimmed.lastIndexOf('/');
  if (slash < 0) return ROOT;
  if (slash === 0) return '/';
  return trimmed.slice(0, slash);
}

/** The last segment of a path (`.` for the root). */
export function basename(path: string): string {
  const trimmed = trimTrailingSlashes(path);
  return trimmed.slice(trimmed.lastIndexOf('/') + 1) || ROOT;
}

/**
 * `path` relative to the directory `base` (both root-relative), or
 * `undefined` when `path` is not inside `base`. `base` itself gives `.`.
 */
export function relativeTo(base: string, path: string): string | undefined {
  if (base === ROOT) return path;
  if (path === base) return ROOT;
  return path.startsWith(`${base}/`) ? path.slice(base.length + 1) : undefined;
}

function normaliseAbsolute(path: string): string {
  const segments: string[] = [];
  for (const segment of path.split('/')) {
    if (segment === '' || segment === '.') continue;
    // POSIX: `/..` is `/`, so popping past the top just stays there.
    if (segment === '..') segments.pop();
    else segments.push(segment);
  }
  return `/${segments.join('/')}`;
}

function trimTrailingSlashes(path: string): string {
  let end = path.length;
  while (end > 1 && path[end - 1] === '/') end--;
  return path.slice(0, end);
}

function outside(input: string, root: string): WorkspaceError {
  return new WorkspaceError('EOUTSIDE', `Path ${JSON.stringify(input)} is outside the workspace root ${root}`);
}
