/**
 * Allow and deny rules in Claude Code's shape, parsed and matched against
 * tool calls:
 * - `Bash(npm test)`: that exact command; `Bash(git diff:*)`: commands whose
 *   first words are these (word-wise, so `git diffx` is not `git diff`);
 * - `Edit(src/**)`, `Write(docs/*.md)`, `Read(secrets/**)`: path globs,
 *   relative to the working directory (a leading `/` makes one absolute).
 *   `Edit` covers `edit` and `write`; `Read` covers `read`, `ls`, `find` and
 *   `grep`, through their `path` argument;
 * - a bare name (`bash`, `mcp__server__tool`): every call of that tool.
 *
 * Built-in tool names match in any case (`Bash` is `bash`); others exactly.
 */
import { CODING_TOOL_NAMES } from '../../../../src/tools/coding-tools.js';
import { ROOT, tryResolveWorkspacePath } from '../../../../src/tools/paths.js';
import { globToRegExp } from './path-glob.js';
import { splitCommand } from './shell-words.js';

export type Rule =
  | { text: string; tool: string; kind: 'tool' }
  | { text: string; tool: 'bash'; kind: 'exact' | 'prefix'; words: string[] }
  | { text: string; tool: string; kind: 'path'; glob: RegExp; absolute: boolean };

const PATH_TOOLS: Record<string, readonly string[]> = {
  edit: ['edit', 'write'],
  write: ['write'],
  read: ['read', 'ls', 'find', 'grep'],
};

function toolName(name: string): string {
  const lower = name.toLowerCase();
  return (CODING_TOOL_NAMES as readonly string[]).includes(lower) ? lower : name;
}

/** Parses one rule; throws with a message that says what is wrong. */
export function parseRule(text: string): Rule {
  const match = /^([A-Za-z0-9_.-]+)(?:\((.*)\))?$/s.exec(text.trim());
  if (!match) throw new Error('expected a tool name, or Tool(specifier) such as Bash(npm test) or Edit(src/**)');
  const tool = toolName(match[1] as string);
  const spec = match[2];
  if (spec === undefined || spec === '*' || spec === '') return { text, tool, kind: 'tool' };
  if (tool === 'bash') {
    const prefix = spec.endsWith(':*');
    const split = splitCommand(prefix ? spec.slice(0, -2) : spec);
    if (!split.ok) throw new Error(`cannot use this command in a rule: ${split.reason}`);
    if (split.commands.length !== 1) throw new Error('a Bash rule names one simple command; write one rule each');
    return { text, tool, kind: prefix ? 'prefix' : 'exact', words: split.commands[0] as string[] };
  }
  if (tool in PATH_TOOLS) {
    const absolute = spec.startsWith('/');
    return { text, tool, kind: 'path', glob: globToRegExp(absolute ? spec : spec.replace(/^\.\//, '')), absolute };
  }
  throw new Error(
    `only Bash, Edit, Write and Read rules take a specifier; write "${match[1]}" alone for the whole tool`,
  );
}

/** Whether `rule` covers one simple command of `bash`. */
export function matchesCommand(rule: Rule, words: readonly string[]): boolean {
  if (rule.tool !== 'bash') return false;
  if (rule.kind === 'tool') return true;
  if (rule.kind === 'exact') return rule.words.length === words.length && rule.words.every((w, i) => w === words[i]);
  if (rule.kind === 'prefix') return rule.words.length <= words.length && rule.words.every((w, i) => w === words[i]);
  return false;
}

/**
 * Whether `rule` covers a call of a tool other than `bash`. `cwd` resolves
 * the call's `path` as the file tools do, so `./src/../secrets/x` is
 * `secrets/x`.
 */
export function matchesCall(rule: Rule, tool: string, args: unknown, cwd: string): boolean {
  if (rule.kind === 'tool') return rule.tool === tool;
  if (rule.kind !== 'path' || !PATH_TOOLS[rule.tool]?.includes(tool)) return false;
  const path = callPath(args, cwd);
  if (path === undefined) return false;
  const subject = rule.absolute ? (path === ROOT ? cwd : `${cwd}/${path}`) : path;
  return rule.glob.test(subject);
}

/** The call's `path` relative to `cwd`, `.` for the root, or undefined when it leads outside. */
export function callPath(args: unknown, cwd: string): string | undefined {
  const raw = typeof args === 'object' && args !== null ? (args as { path?: unknown }).path : undefined;
  return tryResolveWorkspacePath(cwd, typeof raw === 'string' ? raw : ROOT);
}
