/**
 * A `SessionStore` of JSONL files: one file per session, one entry per line,
 * each line appended synchronously before `append` resolves, so a crash or
 * `kill -9` loses nothing appended before it.
 */
import { appendFileSync, closeSync, mkdirSync, openSync, readdirSync, readFileSync, readSync, statSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { PartialJsonParser } from '../../src/ai/partial-json.js';
import { isRecord } from '../../src/session/message-problem.js';
import { sessionTitle } from '../../src/session/session-title.js';
import type { SessionEntry, SessionHeaderEntry, SessionInfo, SessionStore } from '../../src/session/types.js';

export interface JsonlSessionStoreOptions {
  /** Holds one `<id>.jsonl` file per session; created (mode 0700) with the first append. */
  dir: string;
  /**
   * Told about each line `read` skips: `skipped an incomplete last line in
   * FILE:N (a run that was cut off)` or `skipped an unreadable line FILE:N`.
   */
  onWarning?: (message: string) => void;
}

/** Sessions may quote private files, so only their owner can read them. */
const FILE_MODE = 0o600;
const DIR_MODE = 0o700;
const EXTENSION = '.jsonl';
/** At most this much of a line is read for the header (`list`, `findLatest`) or the title (`list`). */
const LINE_LIMIT = 64 * 1024;
/** `list` reads files in chunks of this size, never a whole file at once. */
const CHUNK_SIZE = 64 * 1024;
const MESSAGE_HEAD = Buffer.from('{"type":"message"');
const NEWLINE = 0x0a;
const CLOSING_BRACE = 0x7d;

/**
 * Sessions as `<dir>/<id>.jsonl`: a `session` header line, then one line per
 * entry (`message`, `model_change`, `compaction`). It reads the files the
 * `qcore` CLI wrote before there were stores unchanged: they are this format
 * with only message lines.
 *
 * A session id is a file name without `.jsonl`: it must not be empty, hold a
 * path separator or `..`. `JsonlSessionStore.forFile(path)` gives a store for
 * one file anywhere, whatever its name (the CLI's `--session FILE`).
 *
 * File system calls are synchronous: an append is on disk when its promise
 * resolves. `list` reads each file in fixed-size chunks, so its memory does
 * not grow with the sessions' size.
 */
export class JsonlSessionStore implements SessionStore {
  /** The directory of the session files. */
  readonly dir: string;
  readonly #onWarning: ((message: string) => void) | undefined;
  /** Set by `forFile`: the one session this store holds. */
  #single: { id: string; path: string } | undefined;
  /** Files known to end with a newline: those this store appended to. Others are checked first. */
  readonly #whole = new Set<string>();

  constructor(options: JsonlSessionStoreOptions) {
    this.dir = resolve(options.dir);
    this.#onWarning = options.onWarning;
  }

  /**
   * A store holding only the session in `path`, whatever the file is named;
   * its id is the file name without `.jsonl`. The file need not exist yet.
   */
  static forFile(
    path: string,
    options: Omit<JsonlSessionStoreOptions, 'dir'> = {},
  ): { store: JsonlSessionStore; sessionId: string } {
    const file = resolve(path);
    const store = new JsonlSessionStore({ ...options, dir: dirname(file) });
    const name = basename(file);
    const sessionId =
      name.endsWith(EXTENSION) && name.length > EXTENSION.length ? name.slice(0, -EXTENSION.length) : name;
    store.#single = { id: sessionId, path: file };
    return { store, sessionId };
  }

  /** The file of session `sessionId`. Throws for an id that is not a plain file name. */
  pathOf(sessionId: string): string {
    if (this.#single) {
      if (sessionId === this.#single.id) return this.#single.path;
      throw new Error(`no session "${sessionId}" here: this store holds only ${this.#single.path}`);
    }
    const problem = idProblem(sessionId);
    if (problem) throw new Error(`invalid session id ${JSON.stringify(sessionId)}: ${problem}`);
    return join(this.dir, `${sessionId}${EXTENSION}`);
  }

  async append(sessionId: string, entry: SessionEntry): Promise<void> {
    const path = this.pathOf(sessionId);
    let text = `${JSON.stringify(entry)}\n`;
    if (!this.#whole.has(path)) {
      mkdirSync(dirname(path), { recursive: true, mode: DIR_MODE });
      // A crash can leave half a line; the next line must not be glued to it.
      if (!endsWithNewline(path)) text = `\n${text}`;
    }
    try {
      appendFileSync(path, text, { mode: FILE_MODE });
      this.#whole.add(path);
    } catch (error) {
      // Part of the line may have been written.
      this.#whole.delete(path);
      throw error;
    }
  }

  async read(sessionId: string): Promise<SessionEntry[]> {
    return (await this.readWithLines(sessionId)).entries;
  }

  /**
   * `read`, with the line of each entry in the file (from 1), for messages
   * that point into it. Lines that are not JSON objects are skipped and told
   * to `onWarning`. A session never written reads as no entries.
   */
  async readWithLines(sessionId: string): Promise<{ entries: SessionEntry[]; lines: number[] }> {
    const path = this.pathOf(sessionId);
    let text: string;
    try {
      text = readFileSync(path, 'utf8');
    } catch (error) {
      if (isErrorCode(error, 'ENOENT')) return { entries: [], lines: [] };
      throw error;
    }
    const rows = text.split('\n');
    let lastFilled = rows.length - 1;
    while (lastFilled >= 0 && (rows[lastFilled] as string).trim() === '') lastFilled--;
    const entries: SessionEntry[] = [];
    const lines: number[] = [];
    rows.forEach((row, index) => {
      if (row.trim() === '') return;
      const where = `${path}:${index + 1}`;
      let entry: unknown;
      try {
        entry = JSON.parse(row);
      } catch {
        entry = undefined;
      }
      if (isRecord(entry)) {
        entries.push(entry as unknown as SessionEntry);
        lines.push(index + 1);
      } else {
        this.#onWarning?.(
          index === lastFilled
            ? `skipped an incomplete last line in ${where} (a run that was cut off)`
            : `skipped an unreadable line ${where}`,
        );
      }
    });
    return { entries, lines };
  }

  /** The session's header, read from its first line only (at most 64 KiB); `undefined` without one. */
  async readHeader(sessionId: string): Promise<SessionHeaderEntry | undefined> {
    return readHeader(this.pathOf(sessionId));
  }

  /**
   * Every session, most recently updated (by the file's mtime) first. Reads
   * each file in chunks: the header from its first line, the message count
   * from the lines that start `{"type":"message"`, the title from the first
   * user message's line (at most 64 KiB of it).
   */
  async list(): Promise<SessionInfo[]> {
    const infos: SessionInfo[] = [];
    for (const { id, path, mtime } of this.#files()) {
      let scan: Scan;
      try {
        scan = scanFile(path);
      } catch {
        continue; // Gone since it was listed, or unreadable: not a session this store can offer.
      }
      const updatedAt = mtime.toISOString();
      infos.push({
        id,
        createdAt: scan.header?.createdAt ?? updatedAt,
        updatedAt,
        title: scan.title,
        messageCount: scan.messageCount,
      });
    }
    return infos;
  }

  /**
   * The id of the most recently updated session whose header `match`es
   * (any session with a header, without `match`), or `undefined`. Reads only
   * the headers, newest file first, so it stays cheap however large the
   * sessions are.
   */
  async findLatest(match: (header: SessionHeaderEntry) => boolean = () => true): Promise<string | undefined> {
    for (const { id, path } of this.#files()) {
      const header = readHeader(path);
      if (header && match(header)) return id;
    }
    return undefined;
  }

  /** The session files, newest first; ties go to the greater id (the CLI's ids start with their creation time). */
  #files(): { id: string; path: string; mtime: Date }[] {
    let candidates: { id: string; path: string }[];
    if (this.#single) candidates = [this.#single];
    else {
      let names: string[];
      try {
        names = readdirSync(this.dir);
      } catch (error) {
        if (isErrorCode(error, 'ENOENT')) return [];
        throw error;
      }
      candidates = names
        .filter((name) => name.endsWith(EXTENSION))
        .map((name) => name.slice(0, -EXTENSION.length))
        .filter((id) => idProblem(id) === undefined)
        .map((id) => ({ id, path: join(this.dir, `${id}${EXTENSION}`) }));
    }
    const files: { id: string; path: string; mtime: Date }[] = [];
    for (const candidate of candidates) {
      try {
        const stat = statSync(candidate.path);
        if (stat.isFile()) files.push({ ...candidate, mtime: stat.mtime });
      } catch {
        // Removed meanwhile, or never written.
      }
    }
    return files.sort((a, b) => b.mtime.getTime() - a.mtime.getTime() || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0));
  }
}

function idProblem(id: string): string | undefined {
  if (id === '') return 'it is empty';
  if (id.includes('/') || id.includes('\\')) return 'it holds a path separator';
  if (id.includes('..')) return 'it holds ".."';
  if (id.includes('\0')) return 'it holds a NUL character';
  return undefined;
}

function endsWithNewline(path: string): boolean {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (error) {
    if (isErrorCode(error, 'ENOENT')) return true;
    throw error;
  }
  try {
    const size = statSync(path).size;
    if (size === 0) return true;
    const last = Buffer.alloc(1);
    readSync(fd, last, 0, 1, size - 1);
    return last[0] === NEWLINE;
  } finally {
    closeSync(fd);
  }
}

/** Reads at most `LINE_LIMIT` bytes: a first line longer than that is no header. */
function readHeader(path: string): SessionHeaderEntry | undefined {
  let fd: number | undefined;
  try {
    fd = openSync(path, 'r');
    const buffer = Buffer.alloc(LINE_LIMIT);
    const length = readSync(fd, buffer, 0, buffer.length, 0);
    const end = buffer.subarray(0, length).indexOf(NEWLINE);
    const first = buffer.subarray(0, end === -1 ? length : end).toString('utf8');
    const entry: unknown = JSON.parse(first);
    return isHeader(entry) ? entry : undefined;
  } catch {
    return undefined;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

interface Scan {
  header: SessionHeaderEntry | undefined;
  messageCount: number;
  title: string;
}

/**
 * One pass over a session file in `CHUNK_SIZE` pieces. A line counts as a
 * message when it starts with `{"type":"message"` and ends with `}` (a line
 * cut off by a crash does not). The first line, and each line until the
 * first user message, is parsed incrementally, at most `LINE_LIMIT` bytes of
 * it: a longer user message still gives the start of its text as the title.
 */
function scanFile(path: string): Scan {
  const scan: Scan = { header: undefined, messageCount: 0, title: '' };
  let titled = false;
  let lineNumber = 0;
  // The current line: how much of MESSAGE_HEAD it matched (-1: it does not start so), its last byte, its parser.
  let matched = 0;
  let last = -1;
  let parser: PartialJsonParser | undefined = new PartialJsonParser();
  let decoder = new TextDecoder();
  let budget = LINE_LIMIT;
  let cut = false; // the line went on past the budget

  const endLine = () => {
    if (matched === MESSAGE_HEAD.length && last === CLOSING_BRACE) scan.messageCount++;
    if (parser) {
      parser.feed(decoder.decode());
      // The header must be whole; a title may come from the start of a long line.
      const value = lineNumber === 0 ? (cut ? undefined : parser.finish()) : parser.value;
      if (lineNumber === 0 && isHeader(value)) scan.header = value;
      else if (
        isRecord(value) &&
        value.type === 'message' &&
        isRecord(value.message) &&
        value.message.role === 'user'
      ) {
        scan.title = sessionTitle(value.message);
        titled = true;
      }
    }
    lineNumber++;
    matched = 0;
    last = -1;
    parser = titled ? undefined : new PartialJsonParser();
    if (parser) decoder = new TextDecoder();
    budget = LINE_LIMIT;
    cut = false;
  };

  // Takes bytes [start, end) of the current line.
  const take = (chunk: Buffer, start: number, end: number) => {
    if (end === start) return;
    if (matched >= 0 && matched < MESSAGE_HEAD.length) {
      const length = Math.min(MESSAGE_HEAD.length - matched, end - start);
      matched =
        chunk.compare(MESSAGE_HEAD, matched, matched + length, start, start + length) === 0 ? matched + length : -1;
    }
    last = chunk[end - 1] as number;
    if (parser) {
      if (end - start > budget) cut = true;
      const piece = chunk.subarray(start, Math.min(end, start + budget));
      budget -= piece.length;
      if (piece.length > 0) parser.feed(decoder.decode(piece, { stream: true }));
    }
  };

  const fd = openSync(path, 'r');
  try {
    const chunk = Buffer.alloc(CHUNK_SIZE);
    let position = 0;
    let pending = false; // bytes of an unfinished line were taken
    for (;;) {
      const length = readSync(fd, chunk, 0, CHUNK_SIZE, position);
      if (length === 0) break;
      position += length;
      let start = 0;
      while (start < length) {
        const newline = chunk.subarray(0, length).indexOf(NEWLINE, start);
        if (newline === -1) {
          take(chunk, start, length);
          pending = true;
          break;
        }
        take(chunk, start, newline);
        endLine();
        pending = false;
        start = newline + 1;
      }
    }
    if (pending) endLine();
  } finally {
    closeSync(fd);
  }
  return scan;
}

function isHeader(entry: unknown): entry is SessionHeaderEntry {
  return (
    isRecord(entry) &&
    entry.type === 'session' &&
    typeof entry.provider === 'string' &&
    typeof entry.model === 'string' &&
    typeof entry.createdAt === 'string'
  );
}

function isErrorCode(error: unknown, code: string): boolean {
  return error instanceof Error && 'code' in error && error.code === code;
}
