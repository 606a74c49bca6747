/**
 * A recursive walk over a workspace for `find` and `grep`: depth first, in
 * name order, skipping `.git`, `node_modules` and whatever .gitignore files
 * exclude, with a cap on entries so a huge tree cannot stall a tool.
 */
import { GitignoreMatcher } from './gitignore.js';
import { dirname, joinPath, ROOT, resolveWorkspacePath } from './paths.js';
import type { Workspace, WorkspaceEntryType } from './types.js';

export const DEFAULT_MAX_WALK_ENTRIES = 100_000;

/** Directory names never walked into: version control data and dependencies. */
export const ALWAYS_SKIPPED = new Set(['.git', 'node_modules']);

export interface WalkEntry {
  /** Root-relative. */
  path: string;
  name: string;
  type: WorkspaceEntryType;
}

export interface WalkOptions {
  /** Called for each entry; return (or resolve to) `false` to stop the walk. */
  visit(entry: WalkEntry): unknown;
  /** Entries visited before the walk gives up. Default 100,000. */
  maxEntries?: number;
  signal?: AbortSignal;
  /** Default true. */
  gitignore?: boolean;
}

export interface WalkResult {
  visited: number;
  /** Set when `maxEntries` stopped the walk. */
  capped: boolean;
  /** Set when `visit` stopped the walk. */
  stopped: boolean;
}

/**
 * Walks the directory `start` (any path form the workspace accepts). The
 * start itself is not visited and is never skipped, so a caller can search
 * inside `node_modules` by naming it. Symlinks are visited but not followed.
 * Special files (FIFOs, sockets, devices) are never visited. Directories
 * that cannot be read are passed over.
 */
export async function walk(workspace: Workspace, start: string, options: WalkOptions): Promise<WalkResult> {
  const from = resolveWorkspacePath(workspace.root, start);
  const maxEntries = options.maxEntries ?? DEFAULT_MAX_WALK_ENTRIES;
  const matcher = options.gitignore === false ? undefined : new GitignoreMatcher();
  const result: WalkResult = { visited: 0, capped: false, stopped: false };
  if (matcher) {
    // Rules from the directories above the start apply inside it too.
    const ancestors: string[] = [];
    for (let dir = from; dir !== ROOT; ) {
      dir = dirname(dir);
      ancestors.push(dir);
    }
    for (const dir of ancestors.reverse()) await loadGitignore(workspace, dir, matcher);
  }

  const walkDir = async (dir: string): Promise<boolean> => {
    options.signal?.throwIfAborted();
    let entries: { name: string; type: WorkspaceEntryType }[];
    try {
      entries = await workspace.readdir(dir);
    } catch {
      return true;
    }
    entries = [...entries].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    if (matcher && entries.some((entry) => entry.name === '.gitignore' && entry.type === 'file')) {
      await loadGitignore(workspace, dir, matcher);
    }
    for (const entry of entries) {
      // FIFOs, sockets and devices are no files to search or list; opening a FIFO would block.
      if (ALWAYS_SKIPPED.has(entry.name) || entry.type === 'special') continue;
      const path = joinPath(dir, entry.name);
      const isDir = entry.type === 'dir';
      if (matcher?.matches(path, isDir)) continue;
      if (result.visited >= maxEntries) {
        result.capped = true;
        return false;
      }
      result.visited++;
      if ((await options.visit({ path, name: entry.name, type: entry.type })) === false) {
        result.stopped = true;
        return false;
      }
      if (isDir && !(await walkDir(path))) return false;
    }
    return true;
  };

  await walkDir(from);
  return result;
}

async function loadGitignore(workspace: Workspace, dir: string, matcher: GitignoreMatcher): Promise<void> {
  try {
    const bytes = await workspace.readFile(joinPath(dir, '.gitignore'));
    matcher.add(dir, new TextDecoder().decode(bytes));
  } catch {
    // No readable .gitignore here: nothing to add.
  }
}
