/**
 * The system prompt of the coding agent: who it is, where it works, which
 * tools it has, how to use them well, and the project's own instructions.
 */
import type { ContextFile } from './context-files.js';

export interface SystemPromptInput {
  cwd: string;
  date: Date;
  tools: readonly string[];
  contextFiles: readonly ContextFile[];
  /** bash runs in the `--sandbox`. */
  sandbox?: { network: boolean };
}

const TOOL_GUIDANCE: Record<string, string> = {
  read: 'read: read a file (page long files with offset/limit); always read a file before you edit it.',
  write: 'write: create a file or replace one completely.',
  edit: 'edit: change part of a file; oldText must match exactly, once, whitespace included.',
  ls: 'ls: list a directory.',
  find: 'find: find files by glob, such as "**/*.rs".',
  grep: 'grep: search file contents with a regular expression; it skips what .gitignore ignores.',
  bash: 'bash: run shell commands (tests, builds, git, package managers) in the working directory.',
};

export function buildSystemPrompt(input: SystemPromptInput): string {
  const tools = input.tools.map((name) => `- ${TOOL_GUIDANCE[name] ?? name}`);
  const sections = [
    `You are qcore, a coding agent working in the user's project through tools. You help with reading, explaining, changing and reviewing code, and with running commands.

${[`Working directory: ${input.cwd}`, ...reach(input.tools, input.sandbox), `Today's date: ${localDate(input.date)}`].join('\n')}`,
    tools.length > 0
      ? `Tools:\n${tools.join('\n')}`
      : 'You have no tools in this session: answer from the conversation alone, and say so if you would need to see files.',
    `Guidelines:\n${guidelines(input.tools).join('\n')}`,
  ];
  if (input.contextFiles.length > 0) {
    const files = input.contextFiles.map((file) => `## ${file.path}\n\n${file.content}`);
    sections.push(
      `# Project instructions\n\nThe user's instruction files, outermost first; follow them.\n\n${files.join('\n\n')}`,
    );
  }
  return sections.join('\n\n');
}

const FILE_TOOLS = new Set(['read', 'write', 'edit', 'ls', 'find', 'grep']);

/** Where the tools can reach, said exactly: the model is told no more than the workspace enforces. */
function reach(tools: readonly string[], sandbox: { network: boolean } | undefined): string[] {
  const lines: string[] = [];
  const fileTools = tools.filter((name) => FILE_TOOLS.has(name));
  if (fileTools.length > 0) {
    lines.push(`The file tools (${fileTools.join(', ')}) take paths relative to it and cannot reach files outside it.`);
  }
  if (tools.includes('bash') && sandbox) {
    lines.push(
      `bash runs in a sandbox: it can write only inside the working directory and a private, empty /tmp, the rest of the filesystem is read-only, and the user's credential files are hidden${sandbox.network ? '' : '; it has no network, so downloads and package installs fail'}.`,
    );
  } else if (tools.includes('bash')) {
    lines.push(
      "bash starts in it but is not confined to it: it is not sandboxed and runs with the user's own permissions, so keep commands to this project unless the user asks for more.",
    );
  }
  return lines;
}

function guidelines(tools: readonly string[]): string[] {
  const lines = [
    '- Look before you answer: find the relevant files with ls, find and grep, and read them. Do not guess at code you have not seen.',
    '- For an overview of a codebase, start from the README, the manifests (package.json, Cargo.toml, pyproject.toml, go.mod) and the entry points, then sample the main modules.',
    '- Make the smallest change that does the job, in the style of the surrounding code. Prefer edit to rewriting whole files.',
  ];
  if (tools.includes('bash')) {
    lines.push(
      "- After changing code, run the project's checks or tests with bash when you can, and report what they said.",
      '- Never run destructive commands (deleting files, git reset, force pushes) unless the user asked for exactly that.',
    );
  }
  lines.push('- Be concise. Cite files as path:line. When you changed files, list them at the end.');
  return lines;
}

/** The user's calendar day, not UTC's. */
function localDate(date: Date): string {
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}`;
}
