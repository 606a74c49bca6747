/**
 * Undo for the file tools, on any `Workspace`: a wrapper that, the first time
 * a prompt writes a path, keeps what was there before (its bytes, or that it
 * did not exist), and can put it back.
 *
 * Only what goes through the wrapper's `writeFile` and `mkdir` is recorded,
 * which is what `write` and `edit` do. Commands run with `exec` (`bash`)
 * write behind its back: their changes are neither recorded nor undone.
 */
import { dirname, resolveWorkspacePath } from './paths.js';
import { workspaceErrorCode } from './tool-errors.js';
import type { Workspace } from './types.js';

export interface UndoJournalOptions {
  /** Bytes of earlier contents kept per prompt; past it a path is reported as not kept. Default 16 MiB. */
  maxBytes?: number;
}

export interface UndoReport {
  /** Files put back as they were before the prompt. */
  restored: string[];
  /** Files the prompt created, deleted again. */
  deleted: string[];
  /** Paths left as they are, and why: changed since the prompt wrote them, or too large to keep. */
  skipped: { path: string; reason: string }[];
}

export interface UndoJournal {
  /** The workspace to give the tools. */
  readonly workspace: Workspace;
  /** A new prompt starts: forget what the previous one changed. */
  begin(): void;
  /** Root-relative paths the current prompt has written, in order. */
  changed(): string[];
  /** Puts back what the current prompt's writes changed, then forgets it. */
  undo(): Promise<UndoReport>;
}

const DEFAULT_MAX_BYTES = 16 * 1024 * 1024;

type Before = { kind: 'content'; bytes: Uint8Array } | { kind: 'absent' } | { kind: 'unkept'; reason: string };

interface Entry {
  path: string;
  before: Promise<Before>;
  /** SHA-256 of what the last successful write left, to tell whether someone changed it since. */
  after?: string;
}

interface Prompt {
  entries: Map<string, Entry>;
  /** Directories `mkdir` created, shallowest first. */
  createdDirs: string[];
  keptBytes: number;
}

const encoder = new TextEncoder();

export function createUndoJournal(inner: Workspace, options: UndoJournalOptions = {}): UndoJournal {
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_BYTES;
  const fresh = (): Prompt => ({ entries: new Map(), createdDirs: [], keptBytes: 0 });
  let prompt = fresh();

  const capture = async (path: string, current: Prompt): Promise<Before> => {
    let size: number;
    try {
      const stats = await inner.stat(path);
      if (stats.type !== 'file') return { kind: 'unkept', reason: `it was a ${stats.type}, not a file` };
      size = stats.size;
    } catch (error) {
      if (workspaceErrorCode(error) === 'ENOENT') return { kind: 'absent' };
      throw error;
    }
    if (current.keptBytes + size > maxBytes) {
      return { kind: 'unkept', reason: `too large to keep (${size} bytes; undo keeps ${maxBytes} per prompt)` };
    }
    current.keptBytes += size;
    return { kind: 'content', bytes: await inner.readFile(path) };
  };

  const workspace: Workspace = {
    root: inner.root,
    readFile: (path) => inner.readFile(path),
    readdir: (path) => inner.readdir(path),
    stat: (path) => inner.stat(path),
    rm: (path, rmOptions) => inner.rm(path, rmOptions),
    async writeFile(path, data) {
      const key = resolveWorkspacePath(inner.root, path);
      const current = prompt;
      let entry = current.entries.get(key);
      if (!entry) {
        entry = { path: key, before: capture(key, current) };
        current.entries.set(key, entry);
      }
      await entry.before.catch(() => undefined);
      const bytes = typeof data === 'string' ? encoder.encode(data) : data;
      await inner.writeFile(path, bytes);
      entry.after = await sha256(bytes);
    },
    async mkdir(path, mkdirOptions) {
      const current = prompt;
      const missing: string[] = [];
      for (let dir = resolveWorkspacePath(inner.root, path); dir !== '.'; dir = dirname(dir)) {
        if (await isMissing(inner, dir)) missing.unshift(dir);
        else break;
      }
      await inner.mkdir(path, mkdirOptions);
      for (const dir of missing) if (!current.createdDirs.includes(dir)) current.createdDirs.push(dir);
    },
  };
  if (inner.readFileRange) {
    const readFileRange = inner.readFileRange.bind(inner);
    workspace.readFileRange = (path, offset, length) => readFileRange(path, offset, length);
  }
  if (inner.exec) {
    const exec = inner.exec.bind(inner);
    workspace.exec = (command, execOptions) => exec(command, execOptions);
  }
  // A getter, as NodeWorkspace's: no matcher is made until grep asks for one.
  if ('grepMatcher' in inner) Object.defineProperty(workspace, 'grepMatcher', { get: () => inner.grepMatcher });

  return {
    workspace,
    begin() {
      prompt = fresh();
    },
    changed() {
      return [...prompt.entries.values()].filter((entry) => entry.after !== undefined).map((entry) => entry.path);
    },
    async undo() {
      const done = prompt;
      prompt = fresh();
      const report: UndoReport = { restored: [], deleted: [], skipped: [] };
      // Last written first, as a stack: two spellings of one file (a link in the tree) unwind in order.
      for (const entry of [...done.entries.values()].reverse()) {
        if (entry.after === undefined) continue; // Never written.
        let before: Before;
        try {
          before = await entry.before;
        } catch (error) {
          report.skipped.push({
            path: entry.path,
            reason: `its earlier content could not be read (${message(error)})`,
          });
          continue;
        }
        if (before.kind === 'unkept') {
          report.skipped.push({ path: entry.path, reason: before.reason });
          continue;
        }
        if ((await currentDigest(inner, entry.path)) !== entry.after) {
          report.skipped.push({ path: entry.path, reason: 'changed since the prompt wrote it; left as it is' });
          continue;
        }
        try {
          if (before.kind === 'absent') {
            await inner.rm(entry.path);
            report.deleted.push(entry.path);
          } else {
            await inner.writeFile(entry.path, before.bytes);
            report.restored.push(entry.path);
          }
        } catch (error) {
          report.skipped.push({ path: entry.path, reason: message(error) });
        }
      }
      for (const list of [report.restored, report.deleted, report.skipped]) list.reverse();
      // Deepest first; a directory something else has since used is kept.
      for (const dir of [...done.createdDirs].reverse()) {
        try {
          await inner.rm(dir);
        } catch {
          // Not empty, or gone: either way it is not the prompt's alone to remove.
        }
      }
      return report;
    },
  };
}

async function isMissing(workspace: Workspace, path: string): Promise<boolean> {
  try {
    await workspace.stat(path);
    return false;
  } catch (error) {
    return workspaceErrorCode(error) === 'ENOENT';
  }
}

async function currentDigest(workspace: Workspace, path: string): Promise<string | undefined> {
  try {
    return await sha256(await workspace.readFile(path));
  } catch {
    return undefined;
  }
}

async function sha256(bytes: Uint8Array): Promise<string> {
  // A copy on a plain ArrayBuffer: digest() refuses views of a SharedArrayBuffer.
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', new Uint8Array(bytes)));
  let hex = '';
  for (const byte of digest) hex += byte.toString(16).padStart(2, '0');
  return hex;
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
