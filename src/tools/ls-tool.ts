/**
 * The `ls` tool: one directory's entries, dotfiles included.
 */
import type { AgentTool } from '../agent/types.js';
import { defineTool, typedJsonSchema } from './define-tool.js';
import { joinPath, resolveWorkspacePath } from './paths.js';
import { describeFileError, workspaceErrorCode } from './tool-errors.js';
import { DEFAULT_MAX_BYTES, formatBytes, truncateHead } from './truncate.js';
import type { Workspace, WorkspaceEntry } from './types.js';

export interface LsToolOptions {
  /** Entries listed when the call gives no limit. Default 500. */
  defaultLimit?: number;
  /** UTF-8 bytes returned. Default 50 KB. */
  maxBytes?: number;
}

export interface LsToolDetails {
  path: string;
  /** Entries in the directory. */
  total: number;
  shown: number;
}

type LsArgs = {
  path?: string;
  limit?: number;
};

const parameters = typedJsonSchema<LsArgs>({
  type: 'object',
  properties: {
    path: { type: 'string', description: 'Directory to list, relative to the workspace root. Default: the root' },
    limit: { type: 'integer', minimum: 1, description: 'Maximum number of entries to return' },
  },
});

export function createLsTool(workspace: Workspace, options: LsToolOptions = {}): AgentTool<LsArgs, LsToolDetails> {
  const defaultLimit = options.defaultLimit ?? 500;
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_BYTES;

  return defineTool<typeof parameters, LsToolDetails>({
    name: 'ls',
    description: `List a directory's entries in name order, dotfiles included; directories end with "/". Lists up to ${defaultLimit} entries unless limit is given.`,
    parameters,
    async execute({ path = '.', limit = defaultLimit }) {
      const relative = resolveWorkspacePath(workspace.root, path);
      let entries: WorkspaceEntry[];
      try {
        entries = await workspace.readdir(relative);
      } catch (error) {
        if (workspaceErrorCode(error) === 'ENOTDIR')
          throw new Error(`${path} is a file, not a directory; use read to see it`);
        throw describeFileError(error, path, 'directory');
      }
      const names = await Promise.all(
        entries.map(async (entry) => ((await isDirectory(workspace, relative, entry)) ? `${entry.name}/` : entry.name)),
      );
      names.sort(byName);
      const details: LsToolDetails = { path: relative, total: names.length, shown: 0 };
      if (names.length === 0) return { content: [{ type: 'text', text: `(${relative} is empty)` }], details };

      const listed = names.slice(0, limit);
      const output = truncateHead(listed.join('\n'), { maxLines: Number.POSITIVE_INFINITY, maxBytes });
      details.shown = output.keptLines;
      let text = output.text;
      if (details.shown < names.length) {
        const reason = output.truncated ? ` (${formatBytes(maxBytes)} limit)` : '';
        text += `\n\n[Showing ${details.shown} of ${names.length} entries${reason}. Use a larger limit, or find to search.]`;
      }
      return { content: [{ type: 'text', text }], details };
    },
  });
}

/** Symlinks to directories are listed as directories, since that is how they behave. */
async function isDirectory(workspace: Workspace, dir: string, entry: WorkspaceEntry): Promise<boolean> {
  if (entry.type !== 'symlink') return entry.type === 'dir';
  try {
    return (await workspace.stat(joinPath(dir, entry.name))).type === 'dir';
  } catch {
    return false;
  }
}

/** Case-insensitive, then by code unit so the order is total. */
function byName(a: string, b: string): number {
  const lowerA = a.toLowerCase();
  const lowerB = b.toLowerCase();
  if (lowerA !== lowerB) return lowerA < lowerB ? -1 : 1;
  return a < b ? -1 : a > b ? 1 : 0;
}
