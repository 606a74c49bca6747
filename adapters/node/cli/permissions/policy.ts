/**
 * What the rules and the approval mode say about one tool call: allow, deny
 * (with the reason the model is told) or ask. Deny rules win over
 * everything, even `yolo`; then `yolo` allows; then allow rules (a bash
 * command only when every simple command is allowed, and never one with
 * `$(…)` and the like); then the mode.
 */
import { callPath, matchesCall, matchesCommand, parseRule, type Rule } from './rules.js';
import { splitCommand } from './shell-words.js';

export const APPROVAL_MODES = ['ask', 'auto-edit', 'yolo'] as const;
export type ApprovalMode = (typeof APPROVAL_MODES)[number];

export type Decision =
  | { kind: 'allow' }
  | { kind: 'deny'; reason: string }
  /** `why` says what made it ask, when more than the mode did; `prefixRules` would allow it from now on. */
  | { kind: 'ask'; why?: string; prefixRules?: string[] };

/** Tools that only look: they never ask. */
const READ_TOOLS = new Set(['read', 'ls', 'find', 'grep']);
const EDIT_TOOLS = new Set(['write', 'edit']);

export class PermissionPolicy {
  readonly allow: Rule[];
  readonly deny: Rule[];
  /** Files this session has written or edited, or been allowed to. */
  private readonly touched = new Set<string>();
  /** Tools the user allowed for the rest of the session. */
  private readonly sessionTools = new Set<string>();

  constructor(
    readonly mode: ApprovalMode,
    rules: { allow?: readonly string[]; deny?: readonly string[] },
    private readonly cwd: string,
  ) {
    this.allow = (rules.allow ?? []).map(parseRule);
    this.deny = (rules.deny ?? []).map(parseRule);
  }

  /** Whether a `Read(…)` deny rule names this workspace-relative path: the file tools then cannot see it. */
  readDenied(path: string): boolean {
    return this.deny.some(
      (rule) => rule.kind === 'path' && rule.tool === 'read' && matchesCall(rule, 'read', { path }, this.cwd),
    );
  }

  decide(tool: string, args: unknown): Decision {
    if (tool === 'bash') return this.decideBash(args);
    const denied = this.deny.find((rule) => matchesCall(rule, tool, args, this.cwd));
    if (denied) return { kind: 'deny', reason: `denied by the rule "${denied.text}"` };
    if (this.mode === 'yolo' || this.sessionTools.has(tool) || READ_TOOLS.has(tool)) return { kind: 'allow' };
    if (this.allow.some((rule) => matchesCall(rule, tool, args, this.cwd))) return { kind: 'allow' };
    if (EDIT_TOOLS.has(tool)) {
      if (this.mode === 'auto-edit') return { kind: 'allow' };
      const path = callPath(args, this.cwd);
      if (path !== undefined && this.touched.has(path)) return { kind: 'allow' };
    }
    return { kind: 'ask' };
  }

  private decideBash(args: unknown): Decision {
    const command = typeof args === 'object' && args !== null ? (args as { command?: unknown }).command : undefined;
    if (this.deny.some((rule) => rule.tool === 'bash' && rule.kind === 'tool')) {
      return { kind: 'deny', reason: 'bash is denied by a rule' };
    }
    const split = splitCommand(typeof command === 'string' ? command : '');
    if (split.ok) {
      for (const words of split.commands) {
        const denied = this.deny.find((rule) => matchesCommand(rule, words));
        if (denied) return { kind: 'deny', reason: `"${words.join(' ')}" is denied by the rule "${denied.text}"` };
      }
    }
    if (this.mode === 'yolo' || this.sessionTools.has('bash')) return { kind: 'allow' };
    if (!split.ok) return { kind: 'ask', why: split.reason };
    const unmatched = split.commands.filter((words) => !this.allow.some((rule) => matchesCommand(rule, words)));
    if (unmatched.length === 0) return { kind: 'allow' };
    return { kind: 'ask', prefixRules: [...new Set(unmatched.map(prefixRule))] };
  }

  /** Remembers that a file was written, so later edits of it do not ask. */
  touch(tool: string, args: unknown): void {
    if (!EDIT_TOOLS.has(tool)) return;
    const path = callPath(args, this.cwd);
    if (path !== undefined) this.touched.add(path);
  }

  allowToolForSession(tool: string): void {
    this.sessionTools.add(tool);
  }

  allowForSession(ruleText: string): void {
    this.allow.push(parseRule(ruleText));
  }

  /** The rule a user could add to allow this call, for messages. */
  suggestRule(tool: string, args: unknown): string {
    if (tool === 'bash') {
      const command = (args as { command?: unknown } | undefined)?.command;
      const split = splitCommand(typeof command === 'string' ? command : '');
      if (!split.ok) return 'Bash';
      const unmatched = split.commands.filter((words) => !this.allow.some((rule) => matchesCommand(rule, words)));
      const [first] = unmatched;
      if (unmatched.length === 1 && first) return `Bash(${first.map(quoteWord).join(' ')})`;
      return first ? prefixRule(first) : 'Bash';
    }
    if (EDIT_TOOLS.has(tool)) {
      const path = callPath(args, this.cwd);
      return `${tool === 'edit' ? 'Edit' : 'Write'}(${path ?? '**'})`;
    }
    return tool;
  }
}

/**
 * `Bash(<first word(s)>:*)` for a simple command: its first word, and the
 * second when it reads as a subcommand (`git diff`, `npm test`), not an
 * option or a path.
 */
export function prefixRule(words: readonly string[]): string {
  const [first = '', second] = words;
  const sub = second !== undefined && /^[a-z][a-z0-9_-]*$/.test(second) ? ` ${second}` : '';
  return `Bash(${quoteWord(first)}${sub}:*)`;
}

function quoteWord(word: string): string {
  return /^[A-Za-z0-9_./@%+=,-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}
