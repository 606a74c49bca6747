/**
 * The `write` tool: creates or replaces a whole file, making its directories.
 */
import type { AgentTool } from '../agent/types.js';
import { defineTool, typedJsonSchema } from './define-tool.js';
import { dirname, ROOT, resolveWorkspacePath, tryResolveWorkspacePath } from './paths.js';
import { describeFileError, workspaceErrorCode } from './tool-errors.js';
import type { Workspace } from './types.js';

export interface WriteToolDetails {
  path: string;
  bytes: number;
  /** False when an existing file was replaced. */
  created: boolean;
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

export function createWriteTool(workspace: Workspace): AgentTool<WriteArgs, WriteToolDetails> {
  return defineTool<typeof parameters, WriteToolDetails>({
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
      try {
        await workspace.writeFile(relative, bytes);
      } catch (error) {
        throw describeFileError(error, path, 'file');
      }
      return {
        content: [{ type: 'text', text: `Wrote ${bytes.length} bytes to ${relative}${created ? ' (new file)' : ''}` }],
        details: { path: relative, bytes: bytes.length, created },
      };
    },
  });
}
