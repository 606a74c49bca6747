/**
 * Where `grep` runs its regular expression. A JavaScript regex can backtrack
 * for minutes (`(a+)+$` on 32 characters), and nothing interrupts it on the
 * thread that runs it: not an abort, not a timer, not Ctrl-C. So the search
 * is behind an interface: `qcore/node` and `qcore/browser` run it in a worker
 * they can terminate; the default here, for runtimes without threads
 * (workerd), runs it in place and refuses the patterns most likely to blow up.
 *
 * One call matches a whole file, so a search costs one message per file, not
 * one per line.
 */

/** A compiled and validated regular expression, as `RegExp` would take it. */
export interface GrepPattern {
  source: string;
  /** Some of `i` and `u`; never `g` or `y`, so matching keeps no state. */
  flags: string;
}

/** The first match on one line. */
export interface GrepLineMatch {
  /** 0-based line, counting LF and CRLF breaks. */
  line: number;
  /** UTF-16 offset of the match in the line. */
  index: number;
  /** UTF-16 length of the match. */
  length: number;
}

export interface GrepMatchRequest {
  pattern: GrepPattern;
  /** One file's text. Lines end at LF or CRLF; a final break ends the last line. */
  text: string;
  /** Matching lines wanted at most; matching stops there. */
  limit: number;
  /** Once aborted, the call rejects promptly, stopping the work if it can. */
  signal?: AbortSignal;
}

export interface GrepMatcher {
  /**
   * Throws when this matcher will not run `pattern`, with a reason the model
   * can act on. Called once per search, before any file is read.
   */
  check?(pattern: GrepPattern): void;
  /** The matching lines of one file, in order, at most `request.limit`. */
  match(request: GrepMatchRequest): Promise<GrepLineMatch[]>;
}

/**
 * The matching itself. Self-contained (no imports, no helpers, no nested
 * functions), because the worker matchers send its source text to a worker
 * that cannot import this module.
 */
export function matchLines(text: string, source: string, flags: string, limit: number): GrepLineMatch[] {
  const regex = new RegExp(source, flags);
  const hits: GrepLineMatch[] = [];
  let start = 0;
  for (let line = 0; start < text.length && hits.length < limit; line++) {
    let end = text.indexOf('\n', start);
    if (end < 0) end = text.length;
    const content = text.slice(start, end > start && text.charCodeAt(end - 1) === 13 ? end - 1 : end);
    const found = regex.exec(content);
    if (found) hits.push({ line, index: found.index, length: found[0].length });
    start = end + 1;
  }
  return hits;
}

/** What a worker is sent: one file's search. */
export interface GrepWorkerRequest {
  text: string;
  source: string;
  flags: string;
  limit: number;
}

/** What a worker answers. */
export type GrepWorkerReply = { hits: GrepLineMatch[] } | { error: string };

/**
 * Script text defining `handleGrepRequest(request): reply` for a worker; the
 * worker matchers add the few lines that receive and post messages.
 */
export const GREP_WORKER_HANDLER = `const matchLines = (${matchLines.toString()});
function handleGrepRequest(request) {
  try {
    return { hits: matchLines(request.text, request.source, request.flags, request.limit) };
  } catch (error) {
    return { error: error instanceof Error ? error.message : String(error) };
  }
}
`;

/**
 * The first group that is repeated and itself holds a repetition, such as
 * `(a+)+` or `(?:\w+\s?)*`: the shape behind most catastrophic backtracking.
 * A rough scan of the source, not a parser: it sees through escapes, classes
 * and group prefixes, and nothing more. It does not catch every slow pattern
 * (overlapping alternatives such as `(a|a)*b` pass).
 */
export function findNestedQuantifier(source: string): string | undefined {
  // Per open group: where it starts and whether a variable repetition occurs inside it.
  const groups: { start: number; repeats: boolean }[] = [{ start: 0, repeats: false }];
  let i = 0;
  while (i < source.length) {
    const char = source[i];
    const current = groups[groups.length - 1];
    if (!current) return undefined;
    if (char === '\\') {
      // `\u{…}`, `\p{…}` and `\P{…}` carry braces that are not a quantifier.
      const braced = /^\\[uUpP]\{[^}]*\}/.exec(source.slice(i));
      i += braced ? braced[0].length : 2;
    } else if (char === '[') {
      i = classEnd(source, i);
    } else if (char === '(') {
      const prefix = /^\(\?(?:[:=!]|<[=!]|<[^>]*>)?/.exec(source.slice(i));
      groups.push({ start: i, repeats: false });
      i += prefix ? prefix[0].length : 1;
    } else if (char === ')') {
      const group = groups.length > 1 ? groups.pop() : undefined;
      const quantifier = readQuantifier(source, i + 1);
      const parent = groups[groups.length - 1];
      if (group && quantifier) {
        if (group.repeats && quantifier.max > 1) return source.slice(group.start, quantifier.end);
        if (parent) parent.repeats ||= quantifier.max > quantifier.min;
      }
      if (group && parent) parent.repeats ||= group.repeats;
      i = quantifier ? quantifier.end : i + 1;
    } else {
      const quantifier = readQuantifier(source, i);
      if (quantifier) {
        current.repeats ||= quantifier.max > quantifier.min;
        i = quantifier.end;
      } else {
        i++;
      }
    }
  }
  return undefined;
}

/** Index just past the character class opening at `open`. */
function classEnd(source: string, open: number): number {
  let i = open + 1;
  if (source[i] === '^') i++;
  while (i < source.length && source[i] !== ']') i += source[i] === '\\' ? 2 : 1;
  return i + 1;
}

/** A quantifier starting at `at`, with any lazy `?` after it. */
function readQuantifier(source: string, at: number): { min: number; max: number; end: number } | undefined {
  const char = source[at];
  let min: number;
  let max: number;
  let end: number;
  if (char === '*' || char === '+' || char === '?') {
    min = char === '+' ? 1 : 0;
    max = char === '?' ? 1 : Number.POSITIVE_INFINITY;
    end = at + 1;
  } else {
    const braces = /^\{(\d+)(,(\d*))?\}/.exec(source.slice(at, at + 40));
    if (!braces) return undefined;
    min = Number(braces[1]);
    max = braces[2] === undefined ? min : braces[3] === '' ? Number.POSITIVE_INFINITY : Number(braces[3]);
    end = at + braces[0].length;
  }
  if (source[end] === '?') end++;
  return { min, max, end };
}

function checkInPlace(pattern: GrepPattern): void {
  const nested = findNestedQuantifier(pattern.source);
  if (nested === undefined) return;
  throw new Error(
    `Refusing the pattern: ${JSON.stringify(nested)} repeats a group that itself repeats (a nested quantifier), which can backtrack for minutes, and this runtime cannot stop a search once it starts. Rewrite it without the nested quantifier (usually the inner or the outer one can go), or set literal to true to search for plain text.`,
  );
}

/**
 * Matches on the calling thread, so nothing can stop a search once it runs.
 * It therefore refuses patterns with nested quantifiers. For runtimes
 * without threads; `qcore/node` and `qcore/browser` inject worker matchers.
 */
export const defaultGrepMatcher: GrepMatcher = {
  check: checkInPlace,
  async match({ pattern, text, limit, signal }) {
    signal?.throwIfAborted();
    checkInPlace(pattern);
    return matchLines(text, pattern.source, pattern.flags, limit);
  },
};
