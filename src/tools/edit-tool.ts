/**
 * The `edit` tool: replaces one exact, unique piece of a file, keeping the
 * file's line endings.
 */
import type { AgentTool } from '../agent/types.js';
import { defineTool, typedJsonSchema } from './define-tool.js';
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

type EditArgs = {
  path: string;
  oldText: string;
  newText: string;
  replaceAll?: boolean;
};

const parameters = typedJsonSchema<EditArgs>({
  type: 'object',
  properties: {
    path: { type: 'string', description: 'File path, relative to the workspace root or absolute under it' },
    oldText: {
      type: 'string',
      minLength: 1,
      description: 'Exact text to replace, whitespace included; must occur exactly once',
    },
    newText: { type: 'string', description: 'The replacement text' },
    replaceAll: { type: 'boolean', description: 'Replace every occurrence instead of requiring a unique one' },
  },
  required: ['path', 'oldText', 'newText'],
});

const encoder = new TextEncoder();

/** The edit tool, with `preview(args)`: the unified diff a call would make, without writing. */
export type EditTool = AgentTool<EditArgs, EditToolDetails> & { preview(args: EditArgs): Promise<string | undefined> };

export function createEditTool(workspace: Workspace): EditTool {
  const tool = defineTool<typeof parameters, EditToolDetails>({
    name: 'edit',
    description:
      'Edit a file by replacing oldText with newText. oldText must match the file exactly (whitespace included) and be unique unless replaceAll is set. Read the file first.',
    parameters,
    writes: (args) => tryResolveWorkspacePath(workspace.root, args.path) ?? args.path,
    async execute(args) {
      const { path } = args;
      const { relative, original, updated, match, lines } = await planEdit(workspace, args);
      const { indices } = match;
      try {
        await workspace.writeFile(relative, encoder.encode(updated));
      } catch (error) {
        throw describeFileError(error, path, 'file');
      }

      const replacements: Replacement[] = indices.map((index) => ({
        index,
        oldLength: match.oldText.length,
        newLength: match.newText.length,
      }));
      const firstChangedLine = lines.lineOf(indices[0] ?? 0) + 1;
      const count = indices.length;
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
  return Object.assign(tool, {
    async preview(args: EditArgs): Promise<string | undefined> {
      const { relative, original, updated, match } = await planEdit(workspace, args);
      const replacements = match.indices.map((index) => ({
        index,
        oldLength: match.oldText.length,
        newLength: match.newText.length,
      }));
      return `--- a/${relative}\n+++ b/${relative}\n${renderEditDiff(original, updated, replacements)}`;
    },
  });
}

interface EditPlan {
  relative: string;
  original: string;
  updated: string;
  match: Match;
  lines: LineIndex;
}

/** Reads the file and works out the edited text, or throws why the edit cannot be made. */
async function planEdit(workspace: Workspace, { path, oldText, newText, replaceAll }: EditArgs): Promise<EditPlan> {
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
  const ambiguous = replaceAll ? undefined : ambiguousMatches(original, match);
  if (ambiguous) {
    throw new Error(
      explainManyMatches(
        path,
        ambiguous.map((index) => lines.lineOf(index) + 1),
      ),
    );
  }

  const { indices } = match;
  let updated = '';
  let from = 0;
  for (const index of indices) {
    updated += original.slice(from, index) + match.newText;
    from = index + match.oldText.length;
  }
  updated += original.slice(from);
  return { relative, original, updated, match, lines };
}

interface Match {
  /** The spellings that matched, with the file's line endings. */
  oldText: string;
  newText: string;
  indices: number[];
}

/**
 * Finds oldText as given first: in a file that mixes line endings, the
 * spelling the model wrote is the one it meant. Then as the file mostly
 * spells line breaks (models write LF even for CRLF files), then the other
 * way. newText takes the line endings of the spelling that matched.
 */
function findMatches(content: string, oldText: string, newText: string): Match | undefined {
  const dominant = dominantLineEnding(content);
  const minority = dominant === '\n' ? '\r\n' : '\n';
  const given = lineEndingOf(oldText);
  const candidates: [string, string][] = [
    [oldText, given === 'mixed' ? newText : withLineEnding(newText, given ?? dominant)],
    [withLineEnding(oldText, dominant), withLineEnding(newText, dominant)],
    [withLineEnding(oldText, minority), withLineEnding(newText, minority)],
  ];
  const tried = new Set<string>();
  for (const [oldSpelling, newSpelling] of candidates) {
    if (tried.has(oldSpelling)) continue;
    tried.add(oldSpelling);
    const indices = occurrences(content, oldSpelling);
    if (indices.length > 0) return { oldText: oldSpelling, newText: newSpelling, indices };
  }
  return undefined;
}

/** Left to right, each match starting after the previous one ends, as `String.replaceAll` picks them. */
function occurrences(content: string, text: string): number[] {
  const indices: number[] = [];
  for (let i = content.indexOf(text); i >= 0; i = content.indexOf(text, i + text.length)) indices.push(i);
  return indices;
}

/**
 * Where oldText occurs when it does not name one place. Overlaps count: `aa`
 * occurs twice in `aaa`. Checking only the first match for an overlap keeps
 * this linear; with two separate matches it is ambiguous anyway.
 */
function ambiguousMatches(content: string, match: Match): number[] | undefined {
  if (match.indices.length > 1) return match.indices;
  const first = match.indices[0] ?? 0;
  const overlapping = content.indexOf(match.oldText, first + 1);
  return overlapping >= 0 && overlapping < first + match.oldText.length ? [first, overlapping] : undefined;
}

function lineEndingOf(text: string): '\n' | '\r\n' | 'mixed' | undefined {
  const breaks = text.split('\n').length - 1;
  if (breaks === 0) return undefined;
  const crlf = text.split('\r\n').length - 1;
  if (crlf === 0) return '\n';
  return crlf === breaks ? '\r\n' : 'mixed';
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
