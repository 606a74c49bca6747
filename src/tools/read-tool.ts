/**
 * The `read` tool: a text file page by page, or an image the model can see.
 * Files are read in chunks of at most 1 MiB through `readFileRange` where
 * the workspace has it, so a page of a huge file costs about a page of
 * memory; images are sent whole, so their size is checked before they are
 * read.
 */
import type { AgentTool } from '../agent/types.js';
import { encodeBase64 } from './base64.js';
import { defineTool, typedJsonSchema } from './define-tool.js';
import { imageTypeFromBytes, imageTypeFromPath, isBinary } from './file-content.js';
import { type RangeReader, rangeReader } from './file-range.js';
import { resolveWorkspacePath } from './paths.js';
import { describeFileError, workspaceErrorCode } from './tool-errors.js';
import { DEFAULT_MAX_BYTES, DEFAULT_MAX_LINE_CHARS, DEFAULT_MAX_LINES, formatBytes, utf8Length } from './truncate.js';
import type { Workspace, WorkspaceStat } from './types.js';

export interface ReadToolOptions {
  /** Lines returned per call. Default 2000. */
  maxLines?: number;
  /** UTF-8 bytes returned per call. Default 50 KB. */
  maxBytes?: number;
  /** Characters kept of one line. Default 2000. */
  maxLineChars?: number;
  /** Largest image returned. Default 5 MB, the most providers accept. */
  maxImageBytes?: number;
}

export interface ReadToolDetails {
  path: string;
  kind: 'text' | 'image';
  /** File size in bytes. */
  size: number;
  mimeType?: string;
  /**
   * Lines in the file, when known. `read` stops scanning once its page is
   * full, so this is left out when the file goes on past the 1 MiB chunk
   * the page ended in; the text then says "more lines follow".
   */
  totalLines?: number;
  /** First and last line shown, 1-based. */
  startLine?: number;
  endLine?: number;
  truncated?: boolean;
}

type ReadArgs = {
  path: string;
  offset?: number;
  limit?: number;
};

const parameters = typedJsonSchema<ReadArgs>({
  type: 'object',
  properties: {
    path: { type: 'string', description: 'File path, relative to the workspace root or absolute under it' },
    offset: { type: 'integer', minimum: 1, description: 'Line to start at, 1-based' },
    limit: { type: 'integer', minimum: 1, description: 'Maximum number of lines to return' },
  },
  required: ['path'],
});

export function createReadTool(
  workspace: Workspace,
  options: ReadToolOptions = {},
): AgentTool<ReadArgs, ReadToolDetails> {
  const maxLines = options.maxLines ?? DEFAULT_MAX_LINES;
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_BYTES;
  const maxLineChars = options.maxLineChars ?? DEFAULT_MAX_LINE_CHARS;
  const maxImageBytes = options.maxImageBytes ?? 5 * 1024 * 1024;

  return defineTool<typeof parameters, ReadToolDetails>({
    name: 'read',
    description: `Read a text file, or an image (png, jpg, gif, webp). Returns at most ${maxLines} lines or ${formatBytes(maxBytes)} per call; use offset and limit to page through longer files.`,
    parameters,
    async execute({ path, offset, limit }) {
      const relative = resolveWorkspacePath(workspace.root, path);
      let stat: WorkspaceStat;
      try {
        stat = await workspace.stat(relative);
      } catch (error) {
        throw describeFileError(error, path, 'file');
      }
      if (stat.type === 'dir') throw new Error(`${path} is a directory; use ls to list it`);
      if (stat.type === 'special') {
        throw new Error(`${path} is not a regular file (a FIFO, socket or device); read opens regular files only`);
      }
      const readRange = rangeReader(workspace, relative);
      const read: RangeReader = async (at, length) => {
        try {
          return await readRange(at, length);
        } catch (error) {
          if (workspaceErrorCode(error) === 'EISDIR') throw new Error(`${path} is a directory; use ls to list it`);
          throw describeFileError(error, path, 'file');
        }
      };
      const first = await read(0, CHUNK_BYTES);

      if (imageTypeFromPath(relative)) {
        // Trust the bytes over the name: a .jpg that is really a PNG is sent as a PNG.
        const mimeType = imageTypeFromBytes(first);
        if (mimeType) {
          const tooBig = (size: number) =>
            new Error(`${path} is a ${formatBytes(size)} image; the limit is ${formatBytes(maxImageBytes)}`);
          // Judged by its size before it is read: an image is sent whole, so only a small one is loaded.
          if (stat.size > maxImageBytes) throw tooBig(stat.size);
          const bytes = await readUpTo(read, first, maxImageBytes + 1);
          if (bytes.length > maxImageBytes) throw tooBig(bytes.length);
          return {
            content: [
              { type: 'text', text: `Image ${relative} (${mimeType}, ${formatBytes(bytes.length)})` },
              { type: 'image', data: encodeBase64(bytes), mimeType },
            ],
            details: { path: relative, kind: 'image', size: bytes.length, mimeType },
          };
        }
        if (isBinary(first)) {
          throw new Error(`${path} has an image extension but is not a valid PNG, JPEG, GIF or WebP image`);
        }
      }
      if (isBinary(first)) {
        throw new Error(
          `${path} is a binary file (${formatBytes(Math.max(stat.size, first.length))}); read shows text files and png, jpg, gif or webp images only`,
        );
      }

      const page = await readPage(new Chunks(read, first), {
        start: offset ?? 1,
        wanted: Math.min(maxLines, limit ?? Number.POSITIVE_INFINITY),
        maxBytes,
        maxLineChars,
      });
      const base = { path: relative, kind: 'text' as const, size: stat.size };
      const start = offset ?? 1;
      if (page.lines.length === 0) {
        const total = page.totalLines ?? 0;
        if (total > 0) throw new Error(`offset ${start} is past the end of ${path}, which has ${total} lines`);
        if (start > 1) throw new Error(`offset ${start} is past the end of ${path}: the file is empty`);
        return {
          content: [{ type: 'text', text: `[${relative} is empty]` }],
          details: { ...base, totalLines: 0, truncated: false },
        };
      }
      const end = start + page.lines.length - 1;
      let output = page.lines.join('\n');
      if (page.more) {
        const reason = page.cutByBytes ? ` (${formatBytes(maxBytes)} limit)` : '';
        const of =
          page.totalLines === undefined
            ? ` of a ${formatBytes(stat.size)} file; more lines follow${reason}.`
            : ` of ${page.totalLines}${reason}.`;
        output += `\n\n[Showing lines ${start}-${end}${of} Use offset=${end + 1} to continue.]`;
      }
      const details: ReadToolDetails = { ...base, startLine: start, endLine: end, truncated: page.more };
      if (page.totalLines !== undefined) details.totalLines = page.totalLines;
      return { content: [{ type: 'text', text: output }], details };
    },
  });
}

/** Bytes asked of the workspace at a time, so a page of a huge file costs about a page of memory. */
const CHUNK_BYTES = 1024 * 1024;

const NEWLINE = 0x0a;

/** The file as consecutive chunks, with a position in the current one. */
class Chunks {
  /** File offset of `bytes[0]`. */
  #start = 0;
  bytes: Uint8Array;
  /** Index into `bytes` of the first byte not yet consumed. */
  at = 0;

  constructor(
    readonly read: RangeReader,
    first: Uint8Array,
  ) {
    this.bytes = first;
  }

  /** Set when the file ends within `bytes`: a short read is the end (see `Workspace.readFileRange`). */
  get last(): boolean {
    return this.bytes.byteLength < CHUNK_BYTES;
  }

  /** Where the next chunk would start. */
  get end(): number {
    return this.#start + this.bytes.byteLength;
  }

  /** Moves to the next chunk; `false` at the end of the file. */
  async next(): Promise<boolean> {
    if (this.last) {
      this.at = this.bytes.byteLength;
      return false;
    }
    const bytes = await this.read(this.end, CHUNK_BYTES);
    this.#start = this.end;
    this.bytes = bytes;
    this.at = 0;
    return bytes.byteLength > 0;
  }
}

interface PageLimits {
  /** 1-based line to start at. */
  start: number;
  /** Lines wanted: the call's limit or the tool's cap. */
  wanted: number;
  maxBytes: number;
  maxLineChars: number;
}

interface Page {
  /** As shown: cut to `maxLineChars`, without line breaks. */
  lines: string[];
  /** Whether any line follows the last one shown. */
  more: boolean;
  cutByBytes: boolean;
  /**
   * Lines in the whole file, when known without reading further than the
   * page needed: when the file ends in the chunk the page ended in. Always
   * known when nothing is shown (the scan reached the end).
   */
  totalLines?: number;
}

/**
 * One page of lines from `chunks`. Lines before the page are counted by
 * their newline bytes, never decoded: 0x0A never occurs inside a UTF-8
 * sequence. The page itself is decoded as a stream, so a character or a
 * CRLF split between chunks comes out whole. Once the page is full the scan
 * stops rather than counting the rest of a huge file.
 */
async function readPage(chunks: Chunks, limits: PageLimits): Promise<Page> {
  let line = 1;
  let partial = false;
  while (line < limits.start) {
    const newline = chunks.bytes.indexOf(NEWLINE, chunks.at);
    if (newline >= 0) {
      line++;
      chunks.at = newline + 1;
      partial = false;
      continue;
    }
    if (chunks.at < chunks.bytes.byteLength) partial = true;
    if (!(await chunks.next())) break;
  }
  while (chunks.at >= chunks.bytes.byteLength) {
    if (!(await chunks.next()))
      return { lines: [], more: false, cutByBytes: false, totalLines: line - 1 + (partial ? 1 : 0) };
  }

  // A byte-order mark means something only at the very start of the file.
  const decoder = new TextDecoder('utf-8', { ignoreBOM: limits.start > 1 });
  const reader = new LineReader(limits.maxLineChars);
  const lines: string[] = [];
  let bytesShown = 0;
  let cutByBytes = false;
  /** Adds the line just read; `false` once the page is full. */
  const take = (): boolean => {
    const shown = reader.take();
    const cost = utf8Length(shown) + (lines.length > 0 ? 1 : 0);
    // The first line always shows, so a tiny byte budget still makes progress.
    if (lines.length > 0 && bytesShown + cost > limits.maxBytes) {
      cutByBytes = true;
      return false;
    }
    lines.push(shown);
    bytesShown += cost;
    return lines.length < limits.wanted;
  };

  let text = decoder.decode(chunks.bytes.subarray(chunks.at), { stream: true });
  let at = 0;
  for (;;) {
    let full = false;
    for (let newline = text.indexOf('\n', at); newline >= 0; newline = text.indexOf('\n', at)) {
      reader.append(text, at, newline);
      at = newline + 1;
      reader.endLine(true);
      if (!take()) {
        full = true;
        break;
      }
    }
    if (full) break;
    reader.append(text, at, text.length);
    if (!(await chunks.next())) {
      // What the decoder still holds is an incomplete character, never a newline.
      const rest = decoder.decode();
      reader.append(rest, 0, rest.length);
      if (reader.hasLine) {
        reader.endLine(false);
        take();
      }
      return { lines, more: false, cutByBytes: false, totalLines: limits.start - 1 + lines.length };
    }
    text = decoder.decode(chunks.bytes, { stream: true });
    at = 0;
  }

  // Full. The lines after it are counted only if the file ends in the chunk in hand.
  const end = chunks.last || (await chunks.read(chunks.end, 1)).byteLength === 0;
  if (!end) return { lines, more: true, cutByBytes };
  const following = (cutByBytes ? 1 : 0) + countLines(text.slice(at) + decoder.decode());
  const shownTo = limits.start - 1 + lines.length;
  return { lines, more: following > 0, cutByBytes, totalLines: shownTo + following };
}

/**
 * The line being read, kept only as far as it is shown: a line of a
 * gigabyte costs `maxLineChars` characters and a count.
 */
class LineReader {
  #head = '';
  #length = 0;
  #endsWithCr = false;

  constructor(readonly maxChars: number) {}

  get hasLine(): boolean {
    return this.#length > 0;
  }

  append(text: string, from: number, to: number): void {
    if (to <= from) return;
    this.#length += to - from;
    // One spare character, for the CR a CRLF line drops.
    const room = this.maxChars + 1 - this.#head.length;
    if (room > 0) this.#head += text.slice(from, Math.min(to, from + room));
    this.#endsWithCr = text.charCodeAt(to - 1) === 0x0d;
  }

  /** Ends the line; a CR before the newline is part of the break, as in CRLF. */
  endLine(atNewline: boolean): void {
    if (atNewline && this.#endsWithCr) {
      this.#length--;
      if (this.#head.length > this.#length) this.#head = this.#head.slice(0, this.#length);
    }
  }

  /** The line as shown, cut as `truncateLine` cuts it; the reader starts afresh. */
  take(): string {
    const head = this.#head;
    const length = this.#length;
    this.#head = '';
    this.#length = 0;
    this.#endsWithCr = false;
    if (length <= this.maxChars) return head;
    let end = this.maxChars;
    // Never split a surrogate pair: half a character is not valid text.
    const code = head.charCodeAt(end - 1);
    if (code >= 0xd800 && code <= 0xdbff) end--;
    return `${head.slice(0, end)}… [line truncated: ${length - end} more characters]`;
  }
}

/** Lines in decoded text as a reader counts them: a final newline ends the last line. */
function countLines(text: string): number {
  if (text === '') return 0;
  let count = 0;
  for (let at = text.indexOf('\n'); at >= 0; at = text.indexOf('\n', at + 1)) count++;
  return text.endsWith('\n') ? count : count + 1;
}

/** The file from its start up to `max` bytes, continuing from the first chunk already read. */
async function readUpTo(read: RangeReader, first: Uint8Array, max: number): Promise<Uint8Array> {
  if (first.byteLength < CHUNK_BYTES || first.byteLength >= max) return first.subarray(0, max);
  const parts = [first];
  let total = first.byteLength;
  while (total < max) {
    const wanted = Math.min(CHUNK_BYTES, max - total);
    const part = await read(total, wanted);
    parts.push(part);
    total += part.byteLength;
    if (part.byteLength < wanted) break;
  }
  const bytes = new Uint8Array(total);
  let at = 0;
  for (const part of parts) {
    bytes.set(part, at);
    at += part.byteLength;
  }
  return bytes;
}
