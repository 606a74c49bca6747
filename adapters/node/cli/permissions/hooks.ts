/**
 * Hooks in Claude Code's shape: shell commands the config attaches to
 * `PreToolUse`, `PostToolUse`, `UserPromptSubmit` and `Stop`. Each runs with
 * `bash -c` in the working directory, with the environment commands get (no
 * secrets), and reads the event as JSON on stdin. Exit 2 blocks, with stderr
 * as the reason; other failures (a non-zero exit, a timeout) are warnings.
 * What a hook prints is read up to 1 MiB a stream.
 */
import { spawn } from 'node:child_process';
import { inheritedEnvironment } from '../../node-exec.js';

export const HOOK_EVENTS = ['PreToolUse', 'PostToolUse', 'UserPromptSubmit', 'Stop'] as const;
export type HookEvent = (typeof HOOK_EVENTS)[number];

export interface HookCommand {
  type: 'command';
  command: string;
  /** Seconds; default 60. */
  timeout?: number;
}

export interface HookMatcher {
  /** A regular expression on the tool name; empty or missing matches every tool. */
  matcher?: string;
  hooks: HookCommand[];
}

export type HooksConfig = Partial<Record<HookEvent, HookMatcher[]>>;

export interface HookOutcome {
  command: string;
  /** `null` when it was killed or could not start. */
  exitCode: number | null;
  stdout: string;
  stderr: string;
  timedOut: boolean;
}

export const DEFAULT_HOOK_TIMEOUT_S = 60;
const MAX_OUTPUT_BYTES = 1024 * 1024;

/**
 * The tool name as written in qcore (`bash`) and as in Claude Code (`Bash`),
 * so a matcher copied from a Claude Code config still matches.
 */
function matches(matcher: string | undefined, tool: string | undefined): boolean {
  if (matcher === undefined || matcher === '' || matcher === '*' || tool === undefined) return true;
  const pattern = new RegExp(`^(?:${matcher})$`);
  return pattern.test(tool) || pattern.test(tool.charAt(0).toUpperCase() + tool.slice(1));
}

export class HookRunner {
  constructor(
    private readonly config: HooksConfig,
    private readonly cwd: string,
    private readonly sessionId: () => string,
  ) {}

  has(event: HookEvent): boolean {
    return (this.config[event]?.length ?? 0) > 0;
  }

  /** Runs every hook of `event` that matches `tool`, one after another, and returns what each did. */
  async run(event: HookEvent, input: Record<string, unknown>, tool?: string): Promise<HookOutcome[]> {
    const outcomes: HookOutcome[] = [];
    const payload = JSON.stringify({ hook_event_name: event, session_id: this.sessionId(), cwd: this.cwd, ...input });
    for (const group of this.config[event] ?? []) {
      if (!matches(group.matcher, tool)) continue;
      for (const hook of group.hooks) {
        outcomes.push(await runHookCommand(hook, payload, this.cwd));
      }
    }
    return outcomes;
  }
}

export function runHookCommand(hook: HookCommand, stdin: string, cwd: string): Promise<HookOutcome> {
  const timeoutMs = (hook.timeout ?? DEFAULT_HOOK_TIMEOUT_S) * 1000;
  return new Promise((resolve) => {
    const child = spawn('bash', ['-c', hook.command], {
      cwd,
      env: { ...inheritedEnvironment(), QCORE_PROJECT_DIR: cwd },
      // Its own process group, so a timeout kills what it started too.
      detached: true,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    const stdout = new BoundedText();
    const stderr = new BoundedText();
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      try {
        if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
      } catch {
        child.kill('SIGKILL');
      }
    }, timeoutMs);
    child.stdout.on('data', (chunk: Buffer) => stdout.add(chunk));
    child.stderr.on('data', (chunk: Buffer) => stderr.add(chunk));
    // A hook that does not read its input closes the pipe early; that is its business.
    child.stdin.on('error', () => undefined);
    child.stdin.end(stdin);
    const finish = (exitCode: number | null, error?: Error) => {
      clearTimeout(timer);
      resolve({
        command: hook.command,
        exitCode: timedOut ? null : exitCode,
        stdout: stdout.text(),
        stderr: error ? error.message : stderr.text(),
        timedOut,
      });
    };
    child.on('error', (error) => finish(null, error));
    child.on('close', (code) => finish(code));
  });
}

class BoundedText {
  private readonly chunks: Buffer[] = [];
  private size = 0;

  add(chunk: Buffer): void {
    if (this.size >= MAX_OUTPUT_BYTES) return;
    const kept = chunk.subarray(0, MAX_OUTPUT_BYTES - this.size);
    this.chunks.push(kept);
    this.size += kept.length;
  }

  text(): string {
    return Buffer.concat(this.chunks).toString('utf8');
  }
}

/** What a PreToolUse hook's JSON on stdout asks for. */
export interface PreToolUseOutput {
  decision?: 'allow' | 'deny' | 'ask';
  reason?: string;
  updatedInput?: Record<string, unknown>;
}

/** A hook's stdout as JSON, when it is a JSON object. */
function hookJson(stdout: string): Record<string, unknown> | undefined {
  const text = stdout.trim();
  if (!text.startsWith('{')) return undefined;
  try {
    const json: unknown = JSON.parse(text);
    return typeof json === 'object' && json !== null && !Array.isArray(json)
      ? (json as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

function specificOf(json: Record<string, unknown>): Record<string, unknown> {
  const specific = json.hookSpecificOutput;
  return typeof specific === 'object' && specific !== null ? (specific as Record<string, unknown>) : {};
}

/**
 * `hookSpecificOutput.permissionDecision` (`allow`, `deny`, `ask`) with its
 * reason and `updatedInput`; Claude Code's older top-level `decision`
 * (`approve`, `block`) and `reason` are read too.
 */
export function parsePreToolUseOutput(stdout: string): PreToolUseOutput | undefined {
  const json = hookJson(stdout);
  if (!json) return undefined;
  const { permissionDecision, permissionDecisionReason, updatedInput } = specificOf(json);
  const out: PreToolUseOutput = {};
  if (permissionDecision === 'allow' || permissionDecision === 'deny' || permissionDecision === 'ask') {
    out.decision = permissionDecision;
  } else if (json.decision === 'approve') out.decision = 'allow';
  else if (json.decision === 'block') out.decision = 'deny';
  const reason = typeof permissionDecisionReason === 'string' ? permissionDecisionReason : json.reason;
  if (typeof reason === 'string') out.reason = reason;
  if (typeof updatedInput === 'object' && updatedInput !== null && !Array.isArray(updatedInput)) {
    out.updatedInput = updatedInput as Record<string, unknown>;
  }
  return out;
}

/** What a PostToolUse or UserPromptSubmit hook tells the model: `decision: "block"` with its reason, or context. */
export interface FeedbackOutput {
  block?: string;
  context?: string;
}

/**
 * JSON `{ decision: "block", reason }` or `hookSpecificOutput.additionalContext`;
 * for UserPromptSubmit (`plainIsContext`), plain text on stdout is context too.
 */
export function parseFeedbackOutput(stdout: string, plainIsContext: boolean): FeedbackOutput {
  const json = hookJson(stdout);
  if (!json) {
    const text = stdout.trim();
    return plainIsContext && text ? { context: text } : {};
  }
  const out: FeedbackOutput = {};
  if (json.decision === 'block') out.block = typeof json.reason === 'string' ? json.reason : 'blocked by a hook';
  const context = specificOf(json).additionalContext;
  if (typeof context === 'string' && context.trim()) out.context = context.trim();
  return out;
}

/** One line for a hook that failed without blocking. */
export function describeFailure(event: HookEvent, outcome: HookOutcome): string {
  const how = outcome.timedOut ? 'timed out and was killed' : `exited ${outcome.exitCode ?? 'abnormally'}`;
  const detail = outcome.stderr.trim().split('\n').slice(-3).join(' ').slice(0, 300);
  return `${event} hook "${outcome.command}" ${how}${detail ? `: ${detail}` : ''}`;
}
