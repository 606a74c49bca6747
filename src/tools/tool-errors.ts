/**
 * Turns workspace failures into messages a model can act on. Tools throw the
 * result; the agent hands the message to the model as an error result.
 */
import { WorkspaceError } from './types.js';

/** The POSIX-style code of a workspace failure, whichever backend threw it. */
export function workspaceErrorCode(error: unknown): string | undefined {
  if (error instanceof WorkspaceError) return error.code;
  // Backends in other bundles or over the wire may rebuild the error without the class.
  if (typeof error === 'object' && error !== null && 'code' in error && typeof error.code === 'string') {
    return error.code;
  }
  return undefined;
}

/**
 * An error describing what went wrong with `path` (as the model wrote it).
 * `kind` names what the tool expected to find there.
 */
export function describeFileError(error: unknown, path: string, kind: 'file' | 'directory' | 'path' = 'path'): Error {
  const code = workspaceErrorCode(error);
  switch (code) {
    case 'ENOENT':
      return new Error(`${capitalise(kind)} not found: ${path}`);
    case 'EISDIR':
      return new Error(`${path} is a directory, not a file`);
    case 'ENOTDIR':
      return new Error(
        kind === 'directory' ? `${path} is not a directory` : `${path}: a part of this path is a file, not a directory`,
      );
    case 'EACCES':
      return new Error(`Permission denied: ${path}`);
    default:
      return error instanceof Error ? error : new Error(String(error));
  }
}

function capitalise(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
