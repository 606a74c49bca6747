/**
 * The `write` tool: creates or replaces a whole file, making its directories.
 */
import type { AgentTool } from '../agent/types.js';
import { defineTool, typedJsonSchema } from './define-tool.js';
import { renderEditDiff } from './edit-diff.js';
import { decodeText, isBinary } from './file-content.js';
import { dirname, ROOT, resolveWorkspacePath, tryResolveWorkspacePath } from './paths.js';
import { describeFileError, workspaceErrorCode } from './tool-errors.js';
import type { Workspace } from './types.js';

export interface WriteToolDetails {
  path: string;
  bytes: number;
  /** False when an existing file was replaced. */
  created: boolean;
  /** The change as a unified diff, as `preview` gives it: for a UI to show. */
  diff?: string;
}

type WriteArgs = {
  path: string;
  content: string;
};

const parameters = typedJsonSchema<WriteArgs>({
  type: 'object',
  properties: {
    path: { type: 'string', description: 'File path, relative to the workspace root or absolute under it' },
    content: { type: 'string', description: 'The complete new content of the file' },
  },
  required: ['path', 'content'],
});

const encoder = new TextEncoder();

/** The write tool, with `preview(args)`: the unified diff a call would make, without writing. */
export type WriteTool = AgentTool<WriteArgs, WriteToolDetails> & {
  preview(args: WriteArgs): Promise<string | undefined>;
};

export function createWriteTool(workspace: Workspace): WriteTool {
  const tool: AgentTool<WriteArgs, WriteToolDetails> = defineTool<typeof parameters, WriteToolDetails>({
    name: 'write',
    description:
      'Write a file, replacing it if it exists. Creates missing parent directories. Prefer edit for changing part of an existing file.',
    parameters,
    // Keyed by the resolved path, so `a.txt` and `/workspace/a.txt` are one file to the scheduler.
    writes: (args) => tryResolveWorkspacePath(workspace.root, args.path) ?? args.path,
    async execute({ path, content }) {
      const relative = resolveWorkspacePath(workspace.root, path);
      const parent = dirname(relative);
      if (parent !== ROOT) {
        try {
          await workspace.mkdir(parent, { recursive: true });
        } catch (error) {
          if (workspaceErrorCode(error) === 'EEXIST') {
            throw new Error(`Cannot create directory ${parent}: a file with that name exists`);
          }
          throw describeFileError(error, parent, 'directory');
        }
      }
      let created = true;
      try {
        created = (await workspace.stat(relative)).type !== 'file';
      } catch {
        // Missing is the common case: the file is new.
      }
      const bytes = encoder.encode(content);
      // Read before the file is replaced; `tool` has its `preview` by the time a call runs.
      const diff: string | undefined = await (tool as WriteTool).preview({ path, content }).catch(() => undefined);
      try {
        await workspace.writeFile(relative, bytes);
      } catch (error) {
        throw describeFileError(error, path, 'file');
      }
      return {
        content: [{ type: 'text', text: `Wrote ${bytes.length} bytes to ${relative}${created ? ' (new file)' : ''}` }],
        details: { path: relative, bytes: bytes.length, created, ...(diff ? { diff } : {}) },
      };
    },
  });
  return Object.assign(tool, {
    async preview({ path, content }: WriteArgs): Promise<string | undefined> {
      const relative = resolveWorkspacePath(workspace.root, path);
      let before: string | undefined;
      try {
        const bytes = await workspace.readFile(relative);
        before = isBinary(bytes) ? undefined : decodeText(bytes, { strict: true, keepBom: true });
        if (before === undefined) return `Binary file ${relative} would be replaced`;
      } catch {
        // A new file.
      }
      return writeDiff(relative, before, content);
    },
  });
}

/** The whole change as one replacement: what lies between the common start and the common end. */
function writeDiff(relative: string, before: string | undefined, after: string): string | undefined {
  const header = `--- ${before === undefined ? '/dev/null' : `a/${relative}`}\n+++ b/${relative}\n`;
  if (before === undefined || before === '') {
    const lines = after.split('\n');
    if (lines.at(-1) === '') lines.pop();
    return `${header}@@ -0,0 +1,${lines.length} @@\n${lines.map((line) => `+${line}`).join('\n')}`;
  }
  if (before === after) return undefined;
  let start = 0;
  while (start < before.length && start < after.length && before[start] === after[start]) start++;
  let end = 0;
  while (
    end < before.length - start &&
    end < after.length - start &&
    before[before.length - 1 - end] === after[after.length - 1 - end]
  ) {
    end++;
  }
  const replacement = { index: start, oldLength: before.length - start - end, newLength: after.length - start - end };
  return `${header}${renderEditDiff(before, after, [replacement])}`;
}
