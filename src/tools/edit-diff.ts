/**
 * A unified-diff-style summary of an edit, built from the replaced ranges
 * rather than a general diff: the edit tool knows exactly what changed.
 */

export interface Replacement {
  /** Offset of the match in the text before the edit. */
  index: number;
  oldLength: number;
  newLength: number;
}

export interface DiffOptions {
  /** Unchanged lines shown around each change. Default 2. */
  context?: number;
  /** Lines of diff kept in total. Default 200. */
  maxLines?: number;
}

/** Changed lines of one replacement, 0-based and inclusive; `last < first` means none. */
interface Change {
  beforeFirst: number;
  beforeLast: number;
  afterFirst: number;
  afterLast: number;
}

/**
 * Hunks for `replacements` (in order, not overlapping) that turned `before`
 * into `after`. Changes whose context would touch share one hunk.
 */
export function renderEditDiff(
  before: string,
  after: string,
  replacements: readonly Replacement[],
  options: DiffOptions = {},
): string {
  const context = options.context ?? 2;
  const maxLines = options.maxLines ?? 200;
  const beforeLines = new LineIndex(before);
  const afterLines = new LineIndex(after);
  const changes = changedLines(beforeLines, afterLines, replacements);

  const out: string[] = [];
  for (const group of hunkGroups(changes, context)) {
    if (out.length > maxLines) break;
    const first = group[0];
    const last = group[group.length - 1];
    if (!first || !last) continue;
    const lead = Math.min(context, first.beforeFirst);
    const trail = Math.max(0, Math.min(context, beforeLines.count - 1 - last.beforeLast));
    const beforeStart = first.beforeFirst - lead;
    const afterStart = first.afterFirst - lead;
    out.push(
      `@@ -${beforeStart + 1},${last.beforeLast + trail - beforeStart + 1} +${afterStart + 1},${last.afterLast + trail - afterStart + 1} @@`,
    );
    for (let n = beforeStart; n < first.beforeFirst; n++) out.push(` ${beforeLines.line(n)}`);
    group.forEach((change, k) => {
      for (let n = change.beforeFirst; n <= change.beforeLast; n++) out.push(`-${beforeLines.line(n)}`);
      for (let n = change.afterFirst; n <= change.afterLast; n++) out.push(`+${afterLines.line(n)}`);
      // Lines up to the next change, or the trailing context; unchanged, so the same on both sides.
      const next = group[k + 1];
      const until = next ? next.beforeFirst - 1 : change.beforeLast + trail;
      for (let n = change.beforeLast + 1; n <= until; n++) out.push(` ${beforeLines.line(n)}`);
    });
  }
  if (out.length > maxLines) {
    return [...out.slice(0, maxLines), `… ${out.length - maxLines} more diff lines`].join('\n');
  }
  return out.join('\n');
}

/** Changes close enough that their context lines would meet, one group per hunk. */
function hunkGroups(changes: readonly Change[], context: number): Change[][] {
  const groups: Change[][] = [];
  let previous: Change | undefined;
  for (const change of changes) {
    const group = groups[groups.length - 1];
    if (group && previous && change.beforeFirst - previous.beforeLast <= 2 * context + 1) group.push(change);
    else groups.push([change]);
    previous = change;
  }
  return groups;
}

function changedLines(beforeLines: LineIndex, afterLines: LineIndex, replacements: readonly Replacement[]): Change[] {
  const merged: Change[] = [];
  for (const change of replacementLines(beforeLines, afterLines, replacements)) {
    const previous = merged[merged.length - 1];
    // Two matches on one line change that line once.
    if (previous && (change.beforeFirst <= previous.beforeLast || change.afterFirst <= previous.afterLast)) {
      previous.beforeLast = Math.max(previous.beforeLast, change.beforeLast);
      previous.afterLast = Math.max(previous.afterLast, change.afterLast);
    } else {
      merged.push(change);
    }
  }
  return merged;
}

function replacementLines(
  beforeLines: LineIndex,
  afterLines: LineIndex,
  replacements: readonly Replacement[],
): Change[] {
  let shift = 0;
  return replacements.map(({ index, oldLength, newLength }) => {
    const afterIndex = index + shift;
    shift += newLength - oldLength;
    // Whole lines around the match; text beside it on those lines is unchanged on both sides.
    let beforeFirst = beforeLines.lineOf(index);
    let beforeLast = beforeLines.lineOf(index + oldLength);
    let afterFirst = afterLines.lineOf(afterIndex);
    let afterLast = afterLines.lineOf(afterIndex + newLength);
    // Lines equal on both sides become context; a side may end up empty (a pure insert or delete).
    while (
      beforeFirst <= beforeLast &&
      afterFirst <= afterLast &&
      beforeLines.line(beforeFirst) === afterLines.line(afterFirst)
    ) {
      beforeFirst++;
      afterFirst++;
    }
    while (
      beforeLast >= beforeFirst &&
      afterLast >= afterFirst &&
      beforeLines.line(beforeLast) === afterLines.line(afterLast)
    ) {
      beforeLast--;
      afterLast--;
    }
    return { beforeFirst, beforeLast, afterFirst, afterLast };
  });
}

/** Line lookups by offset, for texts with LF or CRLF breaks. */
export class LineIndex {
  readonly #text: string;
  readonly #starts: number[] = [0];

  constructor(text: string) {
    this.#text = text;
    for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) this.#starts.push(i + 1);
  }

  /** Lines in the text; a final line break does not start another. */
  get count(): number {
    return this.#text.endsWith('\n') ? this.#starts.length - 1 : this.#starts.length;
  }

  /** The 0-based line holding `offset`. */
  lineOf(offset: number): number {
    let low = 0;
    let high = this.#starts.length - 1;
    while (low < high) {
      const mid = (low + high + 1) >> 1;
      if ((this.#starts[mid] ?? 0) <= offset) low = mid;
      else high = mid - 1;
    }
    return low;
  }

  /** The text of 0-based line `n`, without its line break. */
  line(n: number): string {
    const start = this.#starts[n] ?? this.#text.length;
    const next = this.#starts[n + 1];
    const end = next === undefined ? this.#text.length : next - 1;
    const line = this.#text.slice(start, end);
    return line.endsWith('\r') ? line.slice(0, -1) : line;
  }
}
