/**
 * Paths for `@` completion: the entries of one directory under the working
 * directory whose names start with what was typed. One `readdir`, at most
 * `limit` names, never outside the working directory.
 */
import { readdirSync } from 'node:fs';
import { relative, resolve, sep } from 'node:path';

export function listFiles(cwd: string, prefix: string, limit = 200): string[] {
  const slash = prefix.lastIndexOf('/');
  const dir = prefix.slice(0, slash + 1);
  const start = prefix.slice(slash + 1);
  const absolute = resolve(cwd, dir);
  const inside = relative(cwd, absolute);
  if (inside.startsWith('..') || inside.split(sep).includes('..')) return [];
  let entries: import('node:fs').Dirent[];
  try {
    entries = readdirSync(absolute, { withFileTypes: true });
  } catch {
    return [];
  }
  const names: string[] = [];
  for (const entry of entries) {
    if (names.length >= limit) break;
    // Hidden files only when asked for, as shells do.
    if (!entry.name.startsWith(start) || (entry.name.startsWith('.') && !start.startsWith('.'))) continue;
    names.push(`${dir}${entry.name}${entry.isDirectory() ? '/' : ''}`);
  }
  return names.sort();
}
