/**
 * The `read` tool: a text file page by page, or an image the model can see.
 */
import { z } from 'zod';
import type { AgentTool } from '../agent/types.js';
import { encodeBase64 } from './base64.js';
import { defineTool } from './define-tool.js';
import { decodeText, imageTypeFromBytes, imageTypeFromPath, isBinary } from './file-content.js';
import { resolveWorkspacePath } from './paths.js';
import { describeFileError, workspaceErrorCode } from './tool-errors.js';
import {
  DEFAULT_MAX_BYTES,
  DEFAULT_MAX_LINE_CHARS,
  DEFAULT_MAX_LINES,
  formatBytes,
  truncateLine,
  utf8Length,
} from './truncate.js';
import type { Workspace } from './types.js';

export interface ReadToolOptions {
  /** Lines returned per call. Default 2000. */
  maxLines?: number;
  /** UTF-8 bytes returned per call. Default 50 KB. */
  maxBytes?: number;
  /** Characters kept of one line. Default 2000. */
  maxLineChars?: number;
  /** Largest image returned. Default 5 MB, the most providers accept. */
  maxImageBytes?: number;
}

export interface ReadToolDetails {
  path: string;
  kind: 'text' | 'image';
  /** File size in bytes. */
  size: number;
  mimeType?: string;
  totalLines?: number;
  /** First and last line shown, 1-based. */
  startLine?: number;
  endLine?: number;
  truncated?: boolean;
}

const parameters = z.object({
  path: z.string().describe('File path, relative to the workspace root or absolute under it'),
  offset: z.number().int().min(1).optional().describe('Line to start at, 1-based'),
  limit: z.number().int().min(1).optional().describe('Maximum number of lines to return'),
});

type ReadArgs = z.infer<typeof parameters>;

export function createReadTool(
  workspace: Workspace,
  options: ReadToolOptions = {},
): AgentTool<ReadArgs, ReadToolDetails> {
  const maxLines = options.maxLines ?? DEFAULT_MAX_LINES;
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_BYTES;
  const maxLineChars = options.maxLineChars ?? DEFAULT_MAX_LINE_CHARS;
  const maxImageBytes = options.maxImageBytes ?? 5 * 1024 * 1024;

  return defineTool<typeof parameters, ReadToolDetails>({
    name: 'read',
    description: `Read a text file, or an image (png, jpg, gif, webp). Returns at most ${maxLines} lines or ${formatBytes(maxBytes)} per call; use offset and limit to page through longer files.`,
    parameters,
    async execute({ path, offset, limit }) {
      const relative = resolveWorkspacePath(workspace.root, path);
      let bytes: Uint8Array;
      try {
        bytes = await workspace.readFile(relative);
      } catch (error) {
        if (workspaceErrorCode(error) === 'EISDIR') throw new Error(`${path} is a directory; use ls to list it`);
        throw describeFileError(error, path, 'file');
      }

      if (imageTypeFromPath(relative)) {
        // Trust the bytes over the name: a .jpg that is really a PNG is sent as a PNG.
        const mimeType = imageTypeFromBytes(bytes);
        if (mimeType) {
          if (bytes.length > maxImageBytes) {
            throw new Error(
              `${path} is a ${formatBytes(bytes.length)} image; the limit is ${formatBytes(maxImageBytes)}`,
            );
          }
          return {
            content: [
              { type: 'text', text: `Image ${relative} (${mimeType}, ${formatBytes(bytes.length)})` },
              { type: 'image', data: encodeBase64(bytes), mimeType },
            ],
            details: { path: relative, kind: 'image', size: bytes.length, mimeType },
          };
        }
        if (isBinary(bytes)) {
          throw new Error(`${path} has an image extension but is not a valid PNG, JPEG, GIF or WebP image`);
        }
      }
      if (isBinary(bytes)) {
        throw new Error(
          `${path} is a binary file (${formatBytes(bytes.length)}); read shows text files and png, jpg, gif or webp images only`,
        );
      }

      const text = decodeText(bytes) ?? '';
      const lines = splitFileLines(text);
      const base = { path: relative, kind: 'text' as const, size: bytes.length, totalLines: lines.length };
      const start = offset ?? 1;
      if (lines.length === 0) {
        if (start > 1) throw new Error(`offset ${start} is past the end of ${path}: the file is empty`);
        return { content: [{ type: 'text', text: `[${relative} is empty]` }], details: { ...base, truncated: false } };
      }
      if (start > lines.length) {
        throw new Error(`offset ${start} is past the end of ${path}, which has ${lines.length} lines`);
      }

      const last = limit === undefined ? lines.length : Math.min(lines.length, start - 1 + limit);
      const shown: string[] = [];
      let bytesShown = 0;
      let cutByBytes = false;
      for (let index = start - 1; index < last && shown.length < maxLines; index++) {
        const line = truncateLine(lines[index] ?? '', maxLineChars);
        const cost = utf8Length(line) + (shown.length > 0 ? 1 : 0);
        // The first line always shows, so a tiny byte budget still makes progress.
        if (shown.length > 0 && bytesShown + cost > maxBytes) {
          cutByBytes = true;
          break;
        }
        shown.push(line);
        bytesShown += cost;
      }
      const end = start + shown.length - 1;
      let output = shown.join('\n');
      if (end < lines.length) {
        const reason = cutByBytes ? ` (${formatBytes(maxBytes)} limit)` : '';
        output += `\n\n[Showing lines ${start}-${end} of ${lines.length}${reason}. Use offset=${end + 1} to continue.]`;
      }
      return {
        content: [{ type: 'text', text: output }],
        details: { ...base, startLine: start, endLine: end, truncated: end < lines.length },
      };
    },
  });
}

/** The file's lines as a reader counts them: CRLF is one break, a final newline ends the last line. */
function splitFileLines(text: string): string[] {
  if (text === '') return [];
  const lines = text.split(/\r?\n/);
  if (lines[lines.length - 1] === '') lines.pop();
  return lines;
}
