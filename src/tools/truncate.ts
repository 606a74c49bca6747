/**
 * Output limits for tool results. Everything a tool returns lands in the
 * model's context window, so each tool cuts by lines and by UTF-8 bytes and
 * says what it cut.
 */

export const DEFAULT_MAX_LINES = 2000;
export const DEFAULT_MAX_BYTES = 50 * 1024;
export const DEFAULT_MAX_LINE_CHARS = 2000;

export interface TruncationLimits {
  maxLines: number;
  maxBytes: number;
}

export interface TruncationResult {
  text: string;
  truncated: boolean;
  /** Which limit cut the text. */
  truncatedBy: 'lines' | 'bytes' | undefined;
  totalLines: number;
  totalBytes: number;
  /** Lines in `text`, counting a partly kept line. */
  keptLines: number;
  keptBytes: number;
  /** Set when one line alone exceeded `maxBytes` and only part of it was kept. */
  partialLine: boolean;
}

/** Keeps the start of `text`. */
export function truncateHead(text: string, limits: TruncationLimits): TruncationResult {
  return truncate(text, limits, 'head');
}

/** Keeps the end of `text`, as wanted for command output. */
export function truncateTail(text: string, limits: TruncationLimits): TruncationResult {
  return truncate(text, limits, 'tail');
}

function truncate(text: string, limits: TruncationLimits, keep: 'head' | 'tail'): TruncationResult {
  const lines = splitOutputLines(text);
  const totalBytes = utf8Length(text);
  const base = { totalLines: lines.length, totalBytes };
  if (lines.length <= limits.maxLines && totalBytes <= limits.maxBytes) {
    return {
      ...base,
      text,
      truncated: false,
      truncatedBy: undefined,
      keptLines: lines.length,
      keptBytes: totalBytes,
      partialLine: false,
    };
  }
  const kept: string[] = [];
  let bytes = 0;
  let truncatedBy: 'lines' | 'bytes' = 'lines';
  for (let i = 0; i < lines.length; i++) {
    if (kept.length >= limits.maxLines) break;
    const line = lines[keep === 'head' ? i : lines.length - 1 - i] ?? '';
    const cost = utf8Length(line) + (kept.length > 0 ? 1 : 0);
    if (bytes + cost > limits.maxBytes) {
      truncatedBy = 'bytes';
      break;
    }
    kept.push(line);
    bytes += cost;
  }
  let partialLine = false;
  if (kept.length === 0 && lines.length > 0) {
    // One line bigger than the whole budget: keep what fits of it rather than nothing.
    const line = (keep === 'head' ? lines[0] : lines[lines.length - 1]) ?? '';
    const part = keep === 'head' ? sliceUtf8Head(line, limits.maxBytes) : sliceUtf8Tail(line, limits.maxBytes);
    kept.push(part);
    bytes = utf8Length(part);
    partialLine = true;
    truncatedBy = 'bytes';
  }
  if (keep === 'tail') kept.reverse();
  return {
    ...base,
    text: kept.join('\n'),
    truncated: true,
    truncatedBy,
    keptLines: kept.length,
    keptBytes: bytes,
    partialLine,
  };
}

/** Lines of command or search output; a final newline does not start another line. */
export function splitOutputLines(text: string): string[] {
  if (text === '') return [];
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  return lines;
}

/** Cuts a line longer than `maxChars`, saying how much was cut. */
export function truncateLine(line: string, maxChars: number): string {
  if (line.length <= maxChars) return line;
  let end = maxChars;
  // Never split a surrogate pair: half a character is not valid text.
  if (isHighSurrogate(line.charCodeAt(end - 1))) end--;
  return `${line.slice(0, end)}… [line truncated: ${line.length - end} more characters]`;
}

/** The UTF-8 byte length of a string, without encoding it. */
export function utf8Length(text: string): number {
  let bytes = 0;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code < 0x80) bytes += 1;
    else if (code < 0x800) bytes += 2;
    else if (isHighSurrogate(code) && isLowSurrogate(text.charCodeAt(i + 1))) {
      bytes += 4;
      i++;
    } else bytes += 3;
  }
  return bytes;
}

/** The longest start of `text` that fits in `maxBytes` of UTF-8. */
export function sliceUtf8Head(text: string, maxBytes: number): string {
  let bytes = 0;
  let i = 0;
  while (i < text.length) {
    const width = charWidth(text, i);
    if (bytes + width.bytes > maxBytes) break;
    bytes += width.bytes;
    i += width.units;
  }
  return text.slice(0, i);
}

/** The longest end of `text` that fits in `maxBytes` of UTF-8. */
export function sliceUtf8Tail(text: string, maxBytes: number): string {
  let bytes = 0;
  let i = text.length;
  while (i > 0) {
    const pair = i >= 2 && isLowSurrogate(text.charCodeAt(i - 1)) && isHighSurrogate(text.charCodeAt(i - 2));
    const units = pair ? 2 : 1;
    const width = charWidth(text, i - units).bytes;
    if (bytes + width > maxBytes) break;
    bytes += width;
    i -= units;
  }
  return text.slice(i);
}

/** `1.5 KB`, `12 bytes`: sizes as the model reads them. */
export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} bytes`;
  if (bytes < 1024 * 1024) return `${trimZero((bytes / 1024).toFixed(1))} KB`;
  return `${trimZero((bytes / (1024 * 1024)).toFixed(1))} MB`;
}

function trimZero(value: string): string {
  return value.endsWith('.0') ? value.slice(0, -2) : value;
}

function charWidth(text: string, i: number): { bytes: number; units: number } {
  const code = text.charCodeAt(i);
  if (code < 0x80) return { bytes: 1, units: 1 };
  if (code < 0x800) return { bytes: 2, units: 1 };
  if (isHighSurrogate(code) && isLowSurrogate(text.charCodeAt(i + 1))) return { bytes: 4, units: 2 };
  return { bytes: 3, units: 1 };
}

function isHighSurrogate(code: number): boolean {
  return code >= 0xd800 && code <= 0xdbff;
}

function isLowSurrogate(code: number): boolean {
  return code >= 0xdc00 && code <= 0xdfff;
}
