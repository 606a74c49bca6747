/**
 * Tab completion for the prompt: a slash command at the start of the text,
 * or a file path after `@`. Returns the replacement and what else matched;
 * listing files is the caller's (bounded) job.
 */

export interface Completion {
  /** The whole text after completing, and where the cursor goes. */
  text: string;
  cursor: number;
  /** Every candidate, when more than one matched (for showing). */
  candidates: string[];
}

/**
 * Completes the word before `cursor`. `listFiles(prefix)` returns paths
 * under the working directory that start with `prefix` (directories end in
 * `/`).
 */
export function complete(
  text: string,
  cursor: number,
  commands: readonly string[],
  listFiles: (prefix: string) => readonly string[],
): Completion | undefined {
  const before = text.slice(0, cursor);
  if (/^\/[\w-]*$/.test(before)) return extend(text, cursor, 0, before, commands);
  const at = /(^|\s)@([^\s@]*)$/.exec(before);
  if (at) {
    const prefix = at[2] as string;
    return extend(text, cursor, cursor - prefix.length, prefix, listFiles(prefix));
  }
  return undefined;
}

/** Replaces `typed` (from `start`) with the candidates' longest common prefix, or the only candidate and a space. */
function extend(
  text: string,
  cursor: number,
  start: number,
  typed: string,
  all: readonly string[],
): Completion | undefined {
  const candidates = all.filter((candidate) => candidate.startsWith(typed)).sort();
  if (candidates.length === 0) return undefined;
  let common = candidates[0] as string;
  for (const candidate of candidates) {
    while (!candidate.startsWith(common)) common = common.slice(0, -1);
  }
  const only = candidates.length === 1;
  // A finished word gets a space, except a directory, which the next Tab goes into.
  const insert = only && !common.endsWith('/') ? `${common} ` : common;
  const next = text.slice(0, start) + insert + text.slice(cursor);
  return { text: next, cursor: start + insert.length, candidates: only ? [] : candidates };
}
