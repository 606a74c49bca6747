/**
 * The question put to the user about one tool call, and the answers: the
 * interface a terminal implements (`interactive.ts` with its readline), and
 * how a typed line reads as an answer.
 */

export type Answer =
  | { kind: 'yes' }
  /** `reason` goes to the model with the refusal. */
  | { kind: 'no'; reason?: string }
  /** Allow this call, and from now on commands with the same first word(s). */
  | { kind: 'prefix' }
  /** Allow this call, and every call of this tool for the rest of the session. */
  | { kind: 'session' };

export interface ApprovalRequest {
  tool: string;
  /** One line: the command, or the path. */
  summary: string;
  /** Why it asks beyond the mode, such as `it runs a command in "$(…)"`. */
  why?: string;
  /** A unified diff of what a write or edit would change. */
  diff?: string;
  /** The session rules "always" would add (bash only); absent when it cannot be offered. */
  prefixRules?: string[];
}

export type Ask = (request: ApprovalRequest) => Promise<Answer>;

/** The choices, as shown after the request. */
export function choicesLine(request: ApprovalRequest): string {
  const choices = ['[y]es', '[n]o (n <reason> tells the model why)'];
  if (request.prefixRules?.length) choices.push(`[a]lways ${request.prefixRules.join(', ')}`);
  choices.push(`[s]ession: always ${request.tool} this session`);
  return `Allow? ${choices.join(' · ')} `;
}

/** Reads a typed line; `undefined` when it is no answer, so the question is asked again. */
export function parseAnswer(line: string, request: ApprovalRequest): Answer | undefined {
  const text = line.trim();
  const match = /^(\S+)\s*(.*)$/s.exec(text);
  const word = (match?.[1] ?? '').toLowerCase().replace(/[:,]$/, '');
  const rest = (match?.[2] ?? '').trim();
  if (word === 'y' || word === 'yes') return { kind: 'yes' };
  if (word === 'n' || word === 'no') return rest ? { kind: 'no', reason: rest } : { kind: 'no' };
  if ((word === 'a' || word === 'always') && request.prefixRules?.length) return { kind: 'prefix' };
  if (word === 's' || word === 'session') return { kind: 'session' };
  return undefined;
}
