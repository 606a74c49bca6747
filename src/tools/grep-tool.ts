/**
 * The `grep` tool: a JavaScript regular expression over the workspace's text
 * files. Pure JS, so it works where no `rg` exists, such as a browser. The
 * regex runs in an injected `GrepMatcher`, which can put it where it can be
 * killed.
 */
import type { AgentTool } from '../agent/types.js';
import { defineTool, typedJsonSchema } from './define-tool.js';
import { decodeText, isBinary } from './file-content.js';
import { createGlobMatcher } from './glob.js';
import { defaultGrepMatcher, type GrepLineMatch, type GrepMatcher, type GrepPattern } from './grep-matcher.js';
import { ROOT, relativeTo, resolveWorkspacePath } from './paths.js';
import { describeFileError } from './tool-errors.js';
import { DEFAULT_MAX_BYTES, formatBytes, truncateHead } from './truncate.js';
import type { Workspace, WorkspaceStat } from './types.js';
import { DEFAULT_MAX_WALK_ENTRIES, walk } from './walk.js';

export interface GrepToolOptions {
  /** Matches returned when the call gives no limit. Default 100. */
  defaultLimit?: number;
  /** Characters shown of one line. Default 500. */
  maxLineChars?: number;
  /** UTF-8 bytes returned. Default 50 KB. */
  maxBytes?: number;
  /** Files larger than this are skipped. Default 1 MB. */
  maxFileBytes?: number;
  /** Entries walked before giving up. Default 100,000. */
  maxEntries?: number;
  /**
   * Runs the regular expression over each file. Default: the workspace's
   * `grepMatcher` (a killable worker for `NodeWorkspace` and
   * `LightningFsWorkspace`), else in place, refusing nested quantifiers.
   */
  matcher?: GrepMatcher;
}

export interface GrepToolDetails {
  matches: number;
  /** Files with at least one match. */
  files: number;
  /** Files read and searched. */
  searched: number;
  limitReached: boolean;
  skippedLarge: number;
  skippedBinary: number;
  /** Set when the walk stopped at its entry cap or the output was cut. */
  incomplete: boolean;
}

type GrepArgs = {
  pattern: string;
  path?: string;
  glob?: string;
  ignoreCase?: boolean;
  literal?: boolean;
  context?: number;
  limit?: number;
};

const parameters = typedJsonSchema<GrepArgs>({
  type: 'object',
  properties: {
    pattern: {
      type: 'string',
      minLength: 1,
      description: 'JavaScript regular expression, or plain text when literal is true',
    },
    path: {
      type: 'string',
      description: 'File or directory to search, relative to the workspace root. Default: the root',
    },
    glob: { type: 'string', description: 'Only search files matching this glob, such as "*.ts" or "src/**/*.tsx"' },
    ignoreCase: { type: 'boolean', description: 'Match case-insensitively' },
    literal: { type: 'boolean', description: 'Treat pattern as plain text, not a regular expression' },
    context: {
      type: 'integer',
      minimum: 0,
      maximum: 20,
      description: 'Lines of context to show before and after each match',
    },
    limit: { type: 'integer', minimum: 1, description: 'Maximum number of matching lines. Default 100' },
  },
  required: ['pattern'],
});

export function createGrepTool(
  workspace: Workspace,
  options: GrepToolOptions = {},
): AgentTool<GrepArgs, GrepToolDetails> {
  const defaultLimit = options.defaultLimit ?? 100;
  const maxLineChars = options.maxLineChars ?? 500;
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_BYTES;
  const maxFileBytes = options.maxFileBytes ?? 1024 * 1024;
  const maxEntries = options.maxEntries ?? DEFAULT_MAX_WALK_ENTRIES;
  const matcher = options.matcher ?? workspace.grepMatcher ?? defaultGrepMatcher;

  return defineTool<typeof parameters, GrepToolDetails>({
    name: 'grep',
    description: `Search file contents with a JavaScript regular expression. Prints "path:line: text" for matches and "path-line- text" for context lines. Skips binary, gitignored and node_modules files and files over ${formatBytes(maxFileBytes)}. Up to ${defaultLimit} matches unless limit is given.`,
    parameters,
    async execute(args, { signal }) {
      const pattern = compilePattern(args.pattern, args.literal === true, args.ignoreCase === true);
      matcher.check?.(pattern);
      const limit = args.limit ?? defaultLimit;
      const context = args.context ?? 0;
      const path = args.path ?? '.';
      const start = resolveWorkspacePath(workspace.root, path);
      let startStat: WorkspaceStat;
      try {
        startStat = await workspace.stat(start);
      } catch (error) {
        throw describeFileError(error, path, 'path');
      }
      if (startStat.type === 'special') {
        throw new Error(
          `${path} is not a regular file (a FIFO, socket or device); grep searches regular files and directories only`,
        );
      }
      const globMatches = args.glob === undefined ? undefined : createGlobMatcher(args.glob);

      const out: string[] = [];
      const details: GrepToolDetails = {
        matches: 0,
        files: 0,
        searched: 0,
        limitReached: false,
        skippedLarge: 0,
        skippedBinary: 0,
        incomplete: false,
      };

      const searchFile = async (file: string, size: number | undefined): Promise<void> => {
        if (size === undefined) {
          try {
            size = (await workspace.stat(file)).size;
          } catch {
            return;
          }
        }
        if (size > maxFileBytes) {
          details.skippedLarge++;
          return;
        }
        let bytes: Uint8Array;
        try {
          bytes = await workspace.readFile(file);
        } catch {
          // Vanished or unreadable since the walk listed it (or a symlink to a directory).
          return;
        }
        if (isBinary(bytes)) {
          details.skippedBinary++;
          return;
        }
        details.searched++;
        const text = decodeText(bytes) ?? '';
        let hits: GrepLineMatch[];
        try {
          hits = await matcher.match({ pattern, text, limit: limit - details.matches, signal });
        } catch (error) {
          if (signal.aborted) throw error;
          const reason = error instanceof Error ? error.message : String(error);
          throw new Error(`grep stopped while searching ${file}: ${reason}`);
        }
        if (hits.length === 0) return;
        details.matches += hits.length;
        details.files++;
        if (details.matches >= limit) details.limitReached = true;
        renderFile(out, file, splitLines(text), hits, context, maxLineChars);
      };

      if (startStat.type === 'dir') {
        const walked = await walk(workspace, start, {
          signal,
          maxEntries,
          async visit(entry) {
            if (entry.type === 'dir') return true;
            if (globMatches) {
              const fromStart = start === ROOT ? entry.path : (relativeTo(start, entry.path) ?? entry.path);
              if (!globMatches(entry.path) && !globMatches(fromStart)) return true;
            }
            await searchFile(entry.path, undefined);
            return details.matches < limit;
          },
        });
        details.incomplete = walked.capped;
      } else {
        // A file named directly is searched even if gitignored or outside the glob.
        await searchFile(start, startStat.size);
      }

      const notes: string[] = [];
      const output = truncateHead(out.join('\n'), { maxLines: Number.POSITIVE_INFINITY, maxBytes });
      if (output.truncated) {
        details.incomplete = true;
        notes.push(`[Output cut at ${formatBytes(maxBytes)}. Narrow the pattern, path or glob.]`);
      }
      if (details.limitReached) {
        notes.push(`[Match limit of ${limit} reached; there may be more. Narrow the search or raise limit.]`);
      }
      if (details.incomplete && !output.truncated) {
        notes.push(`[Stopped after ${maxEntries} entries; results may be incomplete. Search a narrower path.]`);
      }
      if (details.skippedLarge > 0) {
        notes.push(`[Skipped ${details.skippedLarge} file(s) over ${formatBytes(maxFileBytes)}]`);
      }
      const body = details.matches === 0 ? `No matches for ${JSON.stringify(args.pattern)}` : output.text;
      return { content: [{ type: 'text', text: [body, ...notes].join('\n\n') }], details };
    },
  });
}

/** Checks the syntax here, so the error is clear whatever matcher runs the pattern. */
function compilePattern(pattern: string, literal: boolean, ignoreCase: boolean): GrepPattern {
  const source = literal ? pattern.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&') : pattern;
  const flags = ignoreCase ? 'i' : '';
  try {
    // Unicode mode first so `\p{L}` and astral characters work; many plain patterns are invalid there.
    new RegExp(source, `${flags}u`);
    return { source, flags: `${flags}u` };
  } catch {
    try {
      new RegExp(source, flags);
      return { source, flags };
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      throw new Error(
        `Invalid regular expression ${JSON.stringify(pattern)}: ${reason}. Escape special characters, or set literal to true to search for plain text.`,
      );
    }
  }
}

function splitLines(text: string): string[] {
  if (text === '') return [];
  const lines = text.split(/\r?\n/);
  if (lines[lines.length - 1] === '') lines.pop();
  return lines;
}

/**
 * Appends one file's matches, with context merged where ranges touch and
 * `--` between separate groups, as grep prints them.
 */
function renderFile(
  out: string[],
  file: string,
  lines: readonly string[],
  hits: readonly GrepLineMatch[],
  context: number,
  maxLineChars: number,
): void {
  const hitAt = new Map(hits.map((hit) => [hit.line, hit]));
  let printedUpTo = -1;
  for (const { line: hit } of hits) {
    const from = Math.max(hit - context, printedUpTo + 1);
    const to = Math.min(hit + context, lines.length - 1);
    // Each file starts a new group; within a file only a gap does.
    if (context > 0 && out.length > 0 && (printedUpTo < 0 || from > printedUpTo + 1)) out.push('--');
    for (let i = from; i <= to; i++) {
      const match = hitAt.get(i);
      const separator = match ? ':' : '-';
      out.push(`${file}${separator}${i + 1}${separator} ${excerpt(lines[i] ?? '', match, maxLineChars)}`);
    }
    printedUpTo = Math.max(printedUpTo, to);
  }
}

/** A long line cut to a window that still shows the match, if it has one. */
function excerpt(line: string, match: GrepLineMatch | undefined, maxChars: number): string {
  if (line.length <= maxChars) return line;
  const at = match && match.index + match.length > maxChars ? Math.max(0, match.index - Math.floor(maxChars / 4)) : 0;
  const end = Math.min(line.length, at + maxChars);
  const before = at > 0 ? `[${at} chars]…` : '';
  const after = end < line.length ? `…[${line.length - end} more chars]` : '';
  return `${before}${line.slice(at, end)}${after}`;
}
