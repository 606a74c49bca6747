/**
 * The `edit` tool: replaces one exact, unique piece of a file, keeping the
 * file's line endings.
 */
import { z } from 'zod';
import type { AgentTool } from '../agent/types.js';
import { defineTool } from './define-tool.js';
import { explainManyMatches, explainNoMatch } from './edit-diagnostics.js';
import { LineIndex, type Replacement, renderEditDiff } from './edit-diff.js';
import { decodeText, isBinary } from './file-content.js';
import { resolveWorkspacePath, tryResolveWorkspacePath } from './paths.js';
import { describeFileError, workspaceErrorCode } from './tool-errors.js';
import type { Workspace } from './types.js';

export interface EditToolDetails {
  path: string;
  replacements: number;
  /** 1-based line of the first change. */
  firstChangedLine: number;
  /** Unified-diff-style hunks of the change. */
  diff: string;
}

const parameters = z.object({
  path: z.string().describe('File path, relative to the workspace root or absolute under it'),
  oldText: z.string().min(1).describe('Exact text to replace, whitespace included; must occur exactly once'),
  newText: z.string().describe('The replacement text'),
  replaceAll: z.boolean().optional().describe('Replace every occurrence instead of requiring a unique one'),
});

type EditArgs = z.infer<typeof parameters>;

const encoder = new TextEncoder();

export function createEditTool(workspace: Workspace): AgentTool<EditArgs, EditToolDetails> {
  return defineTool<typeof parameters, EditToolDetails>({
    name: 'edit',
    description:
      'Edit a file by replacing oldText with newText. oldText must match the file exactly (whitespace included) and be unique unless replaceAll is set. Read the file first.',
    parameters,
    writes: (args) => tryResolveWorkspacePath(workspace.root, args.path) ?? args.path,
    async execute({ path, oldText, newText, replaceAll }) {
      const relative = resolveWorkspacePath(workspace.root, path);
      let bytes: Uint8Array;
      try {
        bytes = await workspace.readFile(relative);
      } catch (error) {
        if (workspaceErrorCode(error) === 'ENOENT') throw new Error(`File not found: ${path}. Use write to create it.`);
        throw describeFileError(error, path, 'file');
      }
      // Strict decoding: writing back a lossy decode would corrupt the bytes it could not read.
      const original = isBinary(bytes) ? undefined : decodeText(bytes, { strict: true, keepBom: true });
      if (original === undefined) throw new Error(`${path} is not a UTF-8 text file; edit cannot change it safely`);
      if (oldText === newText) throw new Error('oldText and newText are identical; there is nothing to change');

      const match = findMatches(original, oldText, newText);
      if (!match) throw new Error(explainNoMatch(toLf(original), toLf(oldText), path));
      const lines = new LineIndex(original);
      if (match.indices.length > 1 && !replaceAll) {
        throw new Error(
          explainManyMatches(
            path,
            match.indices.map((index) => lines.lineOf(index) + 1),
          ),
        );
      }

      let updated = '';
      let from = 0;
      for (const index of match.indices) {
        updated += original.slice(from, index) + match.newText;
        from = index + match.oldText.length;
      }
      updated += original.slice(from);
      try {
        await workspace.writeFile(relative, encoder.encode(updated));
      } catch (error) {
        throw describeFileError(error, path, 'file');
      }

      const replacements: Replacement[] = match.indices.map((index) => ({
        index,
        oldLength: match.oldText.length,
        newLength: match.newText.length,
      }));
      const firstChangedLine = lines.lineOf(match.indices[0] ?? 0) + 1;
      const count = match.indices.length;
      const what = count === 1 ? `1 occurrence at line ${firstChangedLine}` : `${count} occurrences`;
      return {
        content: [{ type: 'text', text: `Edited ${relative}: replaced ${what}.` }],
        details: {
          path: relative,
          replacements: count,
          firstChangedLine,
          diff: renderEditDiff(original, updated, replacements),
        },
      };
    },
  });
}

interface Match {
  /** The spellings that matched, with the file's line endings. */
  oldText: string;
  newText: string;
  indices: number[];
}

/**
 * Finds oldText first as the file spells line breaks (models write LF even
 * for CRLF files), then exactly as given, for files that mix both.
 */
function findMatches(content: string, oldText: string, newText: string): Match | undefined {
  const eol = dominantLineEnding(content);
  const candidates: [string, string][] = [
    [withLineEnding(oldText, eol), withLineEnding(newText, eol)],
    [oldText, newText],
  ];
  for (const [oldSpelling, newSpelling] of candidates) {
    const indices = occurrences(content, oldSpelling);
    if (indices.length > 0) return { oldText: oldSpelling, newText: newSpelling, indices };
  }
  return undefined;
}

function occurrences(content: string, text: string): number[] {
  const indices: number[] = [];
  for (let i = content.indexOf(text); i >= 0; i = content.indexOf(text, i + text.length)) indices.push(i);
  return indices;
}

function dominantLineEnding(content: string): '\n' | '\r\n' {
  const crlf = content.split('\r\n').length - 1;
  const lf = content.split('\n').length - 1 - crlf;
  return crlf > lf ? '\r\n' : '\n';
}

function withLineEnding(text: string, eol: '\n' | '\r\n'): string {
  const lf = toLf(text);
  return eol === '\n' ? lf : lf.replace(/\n/g, '\r\n');
}

function toLf(text: string): string {
  return text.replace(/\r\n/g, '\n');
}
