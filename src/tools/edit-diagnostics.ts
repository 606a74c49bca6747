/**
 * Why an edit's `oldText` did not match, worded so the model can fix its
 * next attempt without re-reading the whole file.
 */
import { truncateLine } from './truncate.js';

const SHOWN_LINE_CHARS = 200;
const SHOWN_LINES = 8;

/**
 * Explains a miss. `content` and `oldText` use LF line breaks. Tries, in
 * order: a match that ignores whitespace, a match of oldText's first lines
 * that breaks off, and the line most like oldText's first line.
 */
export function explainNoMatch(content: string, oldText: string, path: string): string {
  const head = `Could not find oldText in ${path}.`;
  const fileLines = content.split('\n');
  const oldLines = trimBlankEnds(oldText.split('\n'));
  if (oldLines.length === 0) return `${head} oldText is only whitespace.`;

  const loose = findLooseMatch(fileLines, oldLines);
  if (loose !== undefined) {
    const last = loose + oldLines.length - 1;
    const range = loose === last ? `line ${loose + 1}` : `lines ${loose + 1}-${last + 1}`;
    return [
      `${head} It matches ${range} if whitespace is ignored, so indentation, tabs or trailing spaces differ. The file has:`,
      ...showLines(fileLines, loose, last),
      'Copy oldText exactly from the file, whitespace included.',
    ].join('\n');
  }

  const partial = findPartialMatch(fileLines, oldLines);
  if (partial) {
    const differing = partial.start + partial.matched;
    const fileLine = fileLines[differing];
    const count = partial.matched === 1 ? 'The first line' : `The first ${partial.matched} lines`;
    return [
      `${head} ${count} of oldText match at line ${partial.start + 1}, then they differ:`,
      fileLine === undefined ? '  file:    (end of file)' : `  file line ${differing + 1}: ${quote(fileLine)}`,
      `  oldText line ${partial.matched + 1}: ${quote(oldLines[partial.matched] ?? '')}`,
    ].join('\n');
  }

  const probe = oldLines.find((line) => line.trim() !== '') ?? '';
  const closest = findClosestLine(fileLines, probe);
  if (closest === undefined) return `${head} No line of the file resembles it; read the file to see its content.`;
  return [
    `${head} No line of the file contains oldText's first line ${quote(probe)}.`,
    `The closest line is ${closest + 1}: ${quote(fileLines[closest] ?? '')}`,
  ].join('\n');
}

/** Explains several matches when one was expected. */
export function explainManyMatches(path: string, lineNumbers: readonly number[]): string {
  // Overlapping matches ("aa" in "aaa") share a line; name each line once.
  const lines = [...new Set(lineNumbers)];
  const shown = lines.slice(0, 20).join(', ');
  const more = lines.length > 20 ? `, and ${lines.length - 20} more` : '';
  const where = lines.length === 1 ? `line ${shown}` : `lines ${shown}${more}`;
  return `Found ${lineNumbers.length} matches of oldText in ${path} (at ${where}). oldText must match exactly once: include more surrounding lines to make it unique, or set replaceAll to true to replace every match.`;
}

function normaliseWhitespace(line: string): string {
  return line.trim().replace(/\s+/g, ' ');
}

/**
 * The first line of a window whose lines equal oldText's with whitespace
 * normalised. oldText's first and last lines may be parts of file lines.
 */
function findLooseMatch(fileLines: readonly string[], oldLines: readonly string[]): number | undefined {
  const old = oldLines.map(normaliseWhitespace);
  const file = fileLines.map(normaliseWhitespace);
  for (let start = 0; start + old.length <= file.length; start++) {
    if (windowMatches(file, old, start, (a, b) => a === b)) return start;
  }
  return undefined;
}

/** The longest run of oldText's leading lines found in the file, when it is not all of them. */
function findPartialMatch(
  fileLines: readonly string[],
  oldLines: readonly string[],
): { start: number; matched: number } | undefined {
  if (oldLines.length < 2) return undefined;
  let best: { start: number; matched: number } | undefined;
  const first = oldLines[0] ?? '';
  for (let start = 0; start < fileLines.length; start++) {
    if (!(fileLines[start] ?? '').endsWith(first)) continue;
    let matched = 1;
    while (matched < oldLines.length - 1 && fileLines[start + matched] === oldLines[matched]) matched++;
    if (!best || matched > best.matched) best = { start, matched };
  }
  // A single short line such as `}` ends too many lines to say anything.
  if (best && best.matched === 1 && first.trim().length < 4) return undefined;
  return best;
}

function windowMatches(
  file: readonly string[],
  old: readonly string[],
  start: number,
  equal: (a: string, b: string) => boolean,
): boolean {
  if (old.length === 1) return (file[start] ?? '').includes(old[0] ?? '');
  for (let k = 0; k < old.length; k++) {
    const fileLine = file[start + k] ?? '';
    const oldLine = old[k] ?? '';
    if (
      k === 0
        ? !fileLine.endsWith(oldLine)
        : k === old.length - 1
          ? !fileLine.startsWith(oldLine)
          : !equal(fileLine, oldLine)
    ) {
      return false;
    }
  }
  return true;
}

/** The line most similar to `probe` by shared character pairs, if any is at all similar. */
function findClosestLine(fileLines: readonly string[], probe: string): number | undefined {
  const target = bigrams(probe.trim());
  let best: number | undefined;
  let bestScore = 0.3;
  for (let i = 0; i < fileLines.length; i++) {
    const score = dice(target, bigrams((fileLines[i] ?? '').trim()));
    if (score > bestScore) {
      bestScore = score;
      best = i;
    }
  }
  return best;
}

function bigrams(text: string): Map<string, number> {
  const counts = new Map<string, number>();
  for (let i = 0; i < text.length - 1; i++) {
    const pair = text.slice(i, i + 2);
    counts.set(pair, (counts.get(pair) ?? 0) + 1);
  }
  return counts;
}

/** Sørensen–Dice similarity of two bigram multisets, 0 to 1. */
function dice(a: Map<string, number>, b: Map<string, number>): number {
  let sizeA = 0;
  let sizeB = 0;
  let shared = 0;
  for (const count of a.values()) sizeA += count;
  for (const [pair, count] of b) {
    sizeB += count;
    shared += Math.min(count, a.get(pair) ?? 0);
  }
  return sizeA + sizeB === 0 ? 0 : (2 * shared) / (sizeA + sizeB);
}

function trimBlankEnds(lines: string[]): string[] {
  let start = 0;
  let end = lines.length;
  while (start < end && (lines[start] ?? '').trim() === '') start++;
  while (end > start && (lines[end - 1] ?? '').trim() === '') end--;
  return lines.slice(start, end);
}

function showLines(lines: readonly string[], first: number, last: number): string[] {
  const shown: string[] = [];
  for (let i = first; i <= Math.min(last, first + SHOWN_LINES - 1); i++) {
    shown.push(`  ${i + 1}: ${quote(lines[i] ?? '')}`);
  }
  if (last - first + 1 > SHOWN_LINES) shown.push(`  … ${last - first + 1 - SHOWN_LINES} more lines`);
  return shown;
}

/** JSON quoting makes tabs and trailing spaces visible. */
function quote(line: string): string {
  return JSON.stringify(truncateLine(line, SHOWN_LINE_CHARS));
}
