/**
 * The `find` tool: paths matching a glob, skipping what git would ignore.
 */
import type { AgentTool } from '../agent/types.js';
import { defineTool, typedJsonSchema } from './define-tool.js';
import { createGlobMatcher } from './glob.js';
import { ROOT, relativeTo, resolveWorkspacePath } from './paths.js';
import { describeFileError } from './tool-errors.js';
import { DEFAULT_MAX_BYTES, formatBytes, truncateHead } from './truncate.js';
import type { Workspace } from './types.js';
import { DEFAULT_MAX_WALK_ENTRIES, walk } from './walk.js';

export interface FindToolOptions {
  /** Results returned when the call gives no limit. Default 1000. */
  defaultLimit?: number;
  /** UTF-8 bytes returned. Default 50 KB. */
  maxBytes?: number;
  /** Entries walked before giving up. Default 100,000. */
  maxEntries?: number;
}

export interface FindToolDetails {
  matches: number;
  shown: number;
  /** Set when the walk stopped at its entry cap, so results may be missing. */
  incomplete: boolean;
}

type FindArgs = {
  pattern: string;
  path?: string;
  limit?: number;
};

const parameters = typedJsonSchema<FindArgs>({
  type: 'object',
  properties: {
    pattern: {
      type: 'string',
      minLength: 1,
      description:
        'Glob such as "*.ts", "src/**/*.test.ts" or "*.{js,json}". Without "/" it matches file names at any depth',
    },
    path: { type: 'string', description: 'Directory to search, relative to the workspace root. Default: the root' },
    limit: { type: 'integer', minimum: 1, description: 'Maximum number of results' },
  },
  required: ['pattern'],
});

export function createFindTool(
  workspace: Workspace,
  options: FindToolOptions = {},
): AgentTool<FindArgs, FindToolDetails> {
  const defaultLimit = options.defaultLimit ?? 1000;
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_BYTES;
  const maxEntries = options.maxEntries ?? DEFAULT_MAX_WALK_ENTRIES;

  return defineTool<typeof parameters, FindToolDetails>({
    name: 'find',
    description: `Find files and directories by glob pattern. Returns sorted paths relative to the workspace root (directories end with "/"), skipping .git, node_modules and gitignored paths. Up to ${defaultLimit} results unless limit is given.`,
    parameters,
    async execute({ pattern, path = '.', limit = defaultLimit }, { signal }) {
      const start = resolveWorkspacePath(workspace.root, path);
      try {
        const stat = await workspace.stat(start);
        if (stat.type !== 'dir') throw new Error(`${path} is not a directory`);
      } catch (error) {
        throw describeFileError(error, path, 'directory');
      }
      const matches = createGlobMatcher(pattern);
      const found: string[] = [];
      const walked = await walk(workspace, start, {
        signal,
        maxEntries,
        visit(entry) {
          // Patterns may be written from the root or from the searched directory; either counts.
          const fromStart = start === ROOT ? entry.path : (relativeTo(start, entry.path) ?? entry.path);
          if (matches(entry.path) || matches(fromStart))
            found.push(entry.type === 'dir' ? `${entry.path}/` : entry.path);
        },
      });
      found.sort();
      const details: FindToolDetails = { matches: found.length, shown: 0, incomplete: walked.capped };
      const notes: string[] = [];
      if (walked.capped)
        notes.push(`[Stopped after ${maxEntries} entries; results may be incomplete. Search a narrower path.]`);
      if (found.length === 0) {
        return {
          content: [{ type: 'text', text: [`No files found matching ${pattern}`, ...notes].join('\n\n') }],
          details,
        };
      }
      const output = truncateHead(found.slice(0, limit).join('\n'), { maxLines: Number.POSITIVE_INFINITY, maxBytes });
      details.shown = output.keptLines;
      if (details.shown < found.length) {
        const reason = output.truncated ? ` (${formatBytes(maxBytes)} limit)` : '';
        notes.unshift(
          `[Showing ${details.shown} of ${found.length} results${reason}. Narrow the pattern or path, or raise limit.]`,
        );
      }
      return { content: [{ type: 'text', text: [output.text, ...notes].join('\n\n') }], details };
    },
  });
}
