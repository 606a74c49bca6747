/**
 * Reading part of a file: the checks every `readFileRange` makes, and the
 * fallback for workspaces that have none.
 */
import type { Workspace } from './types.js';
import { WorkspaceError } from './types.js';

/** Refuses an offset or length that is not a whole number of bytes, before any backend sees it. */
export function checkRange(offset: number, length: number, path: string): void {
  for (const [name, value] of [
    ['offset', offset],
    ['length', length],
  ] as const) {
    if (!Number.isSafeInteger(value) || value < 0) {
      throw new WorkspaceError('EINVAL', `EINVAL: ${name} must be a whole number of bytes, not ${value}: ${path}`);
    }
  }
}

/** `readFileRange` over bytes already in memory: a copy, so the caller cannot change the source. */
export function sliceRange(bytes: Uint8Array, offset: number, length: number): Uint8Array {
  const start = Math.min(offset, bytes.byteLength);
  return bytes.slice(start, Math.min(bytes.byteLength, start + length));
}

export type RangeReader = (offset: number, length: number) => Promise<Uint8Array>;

/**
 * Reads `path` range by range: through `readFileRange` where the workspace
 * has it, otherwise from a single `readFile`, made on first use and kept for
 * the later ranges of the same reader.
 */
export function rangeReader(workspace: Workspace, path: string): RangeReader {
  if (workspace.readFileRange) {
    const readFileRange = workspace.readFileRange.bind(workspace);
    return (offset, length) => readFileRange(path, offset, length);
  }
  let whole: Promise<Uint8Array> | undefined;
  return async (offset, length) => {
    whole ??= workspace.readFile(path);
    const bytes = await whole;
    return bytes.subarray(Math.min(offset, bytes.byteLength), Math.min(bytes.byteLength, offset + length));
  };
}
