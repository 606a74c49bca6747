/**
 * The `bash` tool: runs a command through the workspace's shell, streaming
 * its output and returning the tail, where errors and results usually are.
 */
import type { AgentTool } from '../agent/types.js';
import { defineTool, typedJsonSchema } from './define-tool.js';
import { DEFAULT_MAX_BYTES, DEFAULT_MAX_LINES, formatBytes, truncateTail } from './truncate.js';
import type { Workspace } from './types.js';

export interface BashToolOptions {
  /** Seconds a command may run when the call gives no timeout. Default 120. */
  defaultTimeoutSeconds?: number;
  /** Lines of output kept. Default 2000. */
  maxLines?: number;
  /** UTF-8 bytes of output kept. Default 50 KB. */
  maxBytes?: number;
  /** Least time between progress updates. Default 100 ms. */
  updateIntervalMs?: number;
}

export interface BashToolDetails {
  /** `null` when the command was killed. */
  exitCode: number | null;
  timedOut: boolean;
  aborted: boolean;
  /** Set when the start of the output was dropped. */
  truncated: boolean;
}

/**
 * Timers hold a signed 32-bit count of milliseconds (about 24.8 days); a
 * longer delay fires after 1 ms, which would kill the command at once.
 */
const MAX_TIMER_MS = 2 ** 31 - 1;
const MAX_TIMEOUT_SECONDS = Math.floor(MAX_TIMER_MS / 1000);

type BashArgs = {
  command: string;
  timeout?: number;
};

const parameters = typedJsonSchema<BashArgs>({
  type: 'object',
  properties: {
    command: { type: 'string', minLength: 1, description: 'Shell command to run in the workspace root' },
    timeout: {
      type: 'number',
      exclusiveMinimum: 0,
      maximum: MAX_TIMEOUT_SECONDS,
      description: 'Seconds before the command is killed. Default 120',
    },
  },
  required: ['command'],
});

export function createBashTool(
  workspace: Workspace,
  options: BashToolOptions = {},
): AgentTool<BashArgs, BashToolDetails> {
  const defaultTimeout = options.defaultTimeoutSeconds ?? 120;
  const limits = { maxLines: options.maxLines ?? DEFAULT_MAX_LINES, maxBytes: options.maxBytes ?? DEFAULT_MAX_BYTES };
  const updateIntervalMs = options.updateIntervalMs ?? 100;

  return defineTool<typeof parameters, BashToolDetails>({
    name: 'bash',
    description: `Run a shell command in the workspace root. Returns combined stdout and stderr, keeping the last ${limits.maxLines} lines or ${formatBytes(limits.maxBytes)}. Default timeout ${defaultTimeout} s.`,
    parameters,
    async execute({ command, timeout = defaultTimeout }, { signal, onUpdate }) {
      if (!workspace.exec) throw new Error('This workspace cannot run commands');
      // Only the tail is ever shown, so the live buffer is bounded to a little more than that.
      const keepChars = limits.maxBytes * 2;
      let live = '';
      let lastUpdate = Number.NEGATIVE_INFINITY;
      const onOutput = (chunk: string): void => {
        live += chunk;
        if (live.length > keepChars * 2) live = live.slice(-keepChars);
        const now = Date.now();
        if (now - lastUpdate < updateIntervalMs) return;
        lastUpdate = now;
        onUpdate({
          content: [{ type: 'text', text: truncateTail(live, limits).text }],
          details: { exitCode: null, timedOut: false, aborted: false, truncated: false },
        });
      };

      // Only the default can still exceed the range: the schema bounds what a call gives.
      const timeoutMs = Math.min(timeout * 1000, MAX_TIMER_MS);
      const result = await workspace.exec(command, { signal, timeoutMs, onOutput });
      const tail = truncateTail(result.output, limits);
      const aborted = signal.aborted && !result.timedOut;
      const details: BashToolDetails = {
        exitCode: result.exitCode,
        timedOut: result.timedOut,
        aborted,
        truncated: tail.truncated || result.truncated === true,
      };

      const shown = tail.text.endsWith('\n') ? tail.text.slice(0, -1) : tail.text;
      const parts = [shown === '' ? '(no output)' : shown];
      if (tail.truncated) {
        const what = tail.partialLine
          ? 'the end of the last line'
          : `the last ${tail.keptLines} of ${tail.totalLines} lines`;
        parts.push(`[Output truncated: showing ${what} (${formatBytes(tail.totalBytes)} in all).]`);
      } else if (result.truncated) {
        parts.push('[Output truncated: earlier output was dropped.]');
      }
      if (result.timedOut) parts.push(`Command timed out after ${timeout} seconds`);
      else if (aborted) parts.push('Command aborted');
      else if (result.exitCode === null) parts.push('Command was killed');
      else if (result.exitCode !== 0) parts.push(`exit code ${result.exitCode}`);
      const isError = result.timedOut || aborted || result.exitCode !== 0;
      return { content: [{ type: 'text', text: parts.join('\n\n') }], details, isError };
    },
  });
}
