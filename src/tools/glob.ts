/**
 * Glob patterns compiled to regular expressions, matched against
 * root-relative POSIX paths: `*` and `?` stay within one segment, `**` as a
 * whole segment spans any number of them, `{a,b}` is alternation, `[a-z]`
 * and `[!a-z]` are classes, and a backslash escapes the next character.
 * Leading dots get no special treatment: `*` matches `.env`.
 */

export interface GlobOptions {
  /** Expand `{a,b}`. Off for .gitignore patterns, where braces are literal. Default true. */
  braces?: boolean;
}

/** Brace expansion multiplies; past this a pattern is surely a mistake. */
const MAX_ALTERNATIVES = 1024;

/** The regular expression source of a glob, without anchors. */
export function globToRegExpSource(glob: string, options: GlobOptions = {}): string {
  const alternatives = options.braces === false ? [glob] : expandBraces(glob);
  const sources = alternatives.map(compileWithoutBraces);
  return sources.length === 1 ? (sources[0] ?? '') : `(?:${sources.join('|')})`;
}

/** A glob as an anchored regular expression. */
export function globToRegExp(glob: string, options: GlobOptions = {}): RegExp {
  try {
    return new RegExp(`^${globToRegExpSource(glob, options)}$`);
  } catch (error) {
    // Only a class such as `[z-a]` can produce an invalid expression.
    const reason = error instanceof Error ? error.message : String(error);
    throw new Error(`Invalid glob pattern ${JSON.stringify(glob)}: ${reason}`);
  }
}

/**
 * A matcher the way `find` and `grep --glob` use one: a pattern without `/`
 * (`*.ts`) matches the base name at any depth; one with `/` matches the whole
 * root-relative path (a leading `/` or `./` anchors it to the root).
 */
export function createGlobMatcher(pattern: string): (path: string) => boolean {
  let glob = pattern.trim();
  while (glob.startsWith('./')) glob = glob.slice(2);
  if (glob.startsWith('/')) glob = glob.slice(1);
  const regex = globToRegExp(glob);
  if (!glob.includes('/')) {
    return (path) => regex.test(path.slice(path.lastIndexOf('/') + 1));
  }
  return (path) => regex.test(path);
}

/** Expands `{a,b}` textually, so `**` next to a brace keeps its meaning. */
export function expandBraces(glob: string): string[] {
  const results = new Set<string>();
  expandInto(glob, 0, results);
  return [...results];
}

function expandInto(glob: string, from: number, results: Set<string>): void {
  for (let i = from; i < glob.length; i++) {
    const char = glob[i];
    if (char === '\\') {
      i++;
      continue;
    }
    if (char === '[') {
      const close = classEnd(glob, i);
      if (close > 0) i = close;
      continue;
    }
    if (char !== '{') continue;
    const group = braceGroup(glob, i);
    // `{a}` or an unclosed `{` is literal, as in bash.
    if (!group || group.alternatives.length < 2) continue;
    const prefix = glob.slice(0, i);
    const suffix = glob.slice(group.end + 1);
    for (const alternative of group.alternatives) {
      expandInto(prefix + alternative + suffix, i, results);
      if (results.size > MAX_ALTERNATIVES) {
        throw new Error(`Glob pattern "${glob}" expands to more than ${MAX_ALTERNATIVES} alternatives`);
      }
    }
    return;
  }
  results.add(glob);
}

function braceGroup(glob: string, open: number): { end: number; alternatives: string[] } | undefined {
  let depth = 0;
  let start = open + 1;
  const alternatives: string[] = [];
  for (let i = open; i < glob.length; i++) {
    const char = glob[i];
    if (char === '\\') {
      i++;
    } else if (char === '[') {
      const close = classEnd(glob, i);
      if (close > 0) i = close;
    } else if (char === '{') {
      depth++;
    } else if (char === '}') {
      depth--;
      if (depth === 0) {
        alternatives.push(glob.slice(start, i));
        return { end: i, alternatives };
      }
    } else if (char === ',' && depth === 1) {
      alternatives.push(glob.slice(start, i));
      start = i + 1;
    }
  }
  return undefined;
}

/** The index of the `]` closing the class opened at `open`, or -1. */
function classEnd(glob: string, open: number): number {
  let i = open + 1;
  if (glob[i] === '!' || glob[i] === '^') i++;
  // A `]` first in the class is a member, not the end.
  if (glob[i] === ']') i++;
  for (; i < glob.length; i++) {
    if (glob[i] === '\\') i++;
    else if (glob[i] === ']') return i;
  }
  return -1;
}

function compileWithoutBraces(glob: string): string {
  let source = '';
  for (let i = 0; i < glob.length; i++) {
    const char = glob[i] ?? '';
    if (char === '\\') {
      source += escapeRegExp(glob[i + 1] ?? '\\');
      i++;
    } else if (char === '*') {
      if (glob[i + 1] !== '*') {
        source += '[^/]*';
        continue;
      }
      let end = i;
      while (glob[end] === '*') end++;
      const atSegmentStart = i === 0 || glob[i - 1] === '/';
      const atSegmentEnd = end === glob.length || glob[end] === '/';
      if (!atSegmentStart || !atSegmentEnd) {
        // `a**b` is not a globstar; it means the same as `a*b`.
        source += '[^/]*';
      } else if (end === glob.length) {
        source += '.*';
      } else {
        // `**/` matches zero or more whole directories.
        source += '(?:[^/]*/)*';
        end++;
      }
      i = end - 1;
    } else if (char === '?') {
      source += '[^/]';
    } else if (char === '[') {
      const close = classEnd(glob, i);
      if (close < 0) {
        source += '\\[';
        continue;
      }
      source += compileClass(glob.slice(i + 1, close));
      i = close;
    } else {
      source += escapeRegExp(char);
    }
  }
  return source;
}

function compileClass(body: string): string {
  let negated = false;
  let i = 0;
  if (body[0] === '!' || body[0] === '^') {
    negated = true;
    i = 1;
  }
  let members = '';
  for (; i < body.length; i++) {
    const char = body[i] ?? '';
    if (char === '\\' && i + 1 < body.length) {
      members += escapeClassChar(body[i + 1] ?? '');
      i++;
    } else if (char === '-' && members !== '' && i + 1 < body.length) {
      members += '-';
    } else {
      members += escapeClassChar(char);
    }
  }
  // A class never matches the separator, negated or not.
  return negated ? `[^/${members}]` : `(?!/)[${members}]`;
}

function escapeClassChar(char: string): string {
  return /[\\\]^[-]/.test(char) ? `\\${char}` : char;
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}
