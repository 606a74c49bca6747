/**
 * .gitignore rules, following git's documented syntax: `#` comments, `!`
 * negation, a trailing `/` for directories only, a `/` at the start or in the
 * middle anchoring a pattern to its file's directory, and `**` spanning
 * directories. Several files apply at once, each to its own subtree, and the
 * last matching rule wins, deeper files after shallower ones.
 */
import { globToRegExpSource } from './glob.js';
import { dirname, ROOT, relativeTo } from './paths.js';

export interface GitignoreRule {
  /** The line the rule came from, for debugging. */
  source: string;
  regex: RegExp;
  negated: boolean;
  dirOnly: boolean;
}

/** Parses the text of one .gitignore file. */
export function parseGitignore(text: string): GitignoreRule[] {
  const rules: GitignoreRule[] = [];
  for (const rawLine of text.split('\n')) {
    const rule = parseLine(rawLine.endsWith('\r') ? rawLine.slice(0, -1) : rawLine);
    if (rule) rules.push(rule);
  }
  return rules;
}

function parseLine(line: string): GitignoreRule | undefined {
  if (line === '' || line.startsWith('#')) return undefined;
  let pattern = trimUnescapedTrailingSpaces(line);
  let negated = false;
  if (pattern.startsWith('!')) {
    negated = true;
    pattern = pattern.slice(1);
  }
  let dirOnly = false;
  if (pattern.endsWith('/') && !pattern.endsWith('\\/')) {
    dirOnly = true;
    pattern = pattern.replace(/\/+$/, '');
  }
  if (pattern === '') return undefined;
  // Git: a separator at the start or in the middle ties the pattern to the .gitignore's directory.
  const anchored = pattern.includes('/');
  if (pattern.startsWith('/')) pattern = pattern.slice(1);
  const body = globToRegExpSource(pattern, { braces: false });
  try {
    const regex = new RegExp(anchored ? `^${body}$` : `^(?:.*/)?${body}$`);
    return { source: line, regex, negated, dirOnly };
  } catch {
    // Git skips a pattern it cannot use (such as the class `[z-a]`) and keeps the rest of the file.
    return undefined;
  }
}

function trimUnescapedTrailingSpaces(line: string): string {
  let end = line.length;
  while (end > 0 && line[end - 1] === ' ' && line[end - 2] !== '\\') end--;
  return line.slice(0, end);
}

interface RuleSet {
  /** The root-relative directory holding the .gitignore. */
  base: string;
  rules: GitignoreRule[];
}

/**
 * The .gitignore files found so far, keyed by the directory they sit in.
 * Paths are root-relative.
 */
export class GitignoreMatcher {
  readonly #sets: RuleSet[] = [];

  /** Adds the rules of the .gitignore in directory `base`. */
  add(base: string, text: string): void {
    const rules = parseGitignore(text);
    if (rules.length === 0) return;
    this.#sets.push({ base, rules });
    // Shallower files first, so a deeper file's rules are checked later and win.
    this.#sets.sort((a, b) => depth(a.base) - depth(b.base));
  }

  /**
   * Whether the rules match this path itself, ignoring its parents. A walker
   * that never enters ignored directories needs only this.
   */
  matches(path: string, isDir: boolean): boolean {
    let ignored = false;
    for (const set of this.#sets) {
      const relative = relativeTo(set.base, path);
      if (relative === undefined || relative === ROOT) continue;
      for (const rule of set.rules) {
        if (rule.dirOnly && !isDir) continue;
        if (rule.negated === ignored && rule.regex.test(relative)) ignored = !rule.negated;
      }
    }
    return ignored;
  }

  /**
   * Whether git would ignore this path: it, or a directory above it, is
   * ignored. As in git, a file cannot be re-included once its directory is
   * excluded.
   */
  ignored(path: string, isDir: boolean): boolean {
    if (path === ROOT) return false;
    const parents: string[] = [];
    for (let parent = dirname(path); parent !== ROOT; parent = dirname(parent)) parents.push(parent);
    for (const parent of parents.reverse()) {
      if (this.matches(parent, true)) return true;
    }
    return this.matches(path, isDir);
  }
}

function depth(path: string): number {
  return path === ROOT ? 0 : path.split('/').length;
}
