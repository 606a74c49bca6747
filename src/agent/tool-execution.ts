import { clipText } from '../ai/redact.js';
import type { AssistantMessage, ToolCall, ToolResultMessage } from '../ai/types.js';
import type {
  AgentEvent,
  AgentLoopConfig,
  AgentMessage,
  AgentTool,
  AgentToolResult,
  ApprovalDecision,
  PendingApproval,
} from './types.js';

export interface ToolRunContext {
  config: AgentLoopConfig;
  messages: readonly AgentMessage[];
  emit: (event: AgentEvent) => void;
  signal: AbortSignal;
  /** True once a steering message is waiting; polled between tool calls. */
  steeringPending: () => boolean;
  /**
   * Answers to calls held for approval: only these calls run, approved ones
   * without asking `beforeToolCall` again.
   */
  decisions?: ReadonlyMap<string, ApprovalDecision>;
}

type Prepared =
  | { ok: true; tool: AgentTool; args: unknown }
  | { ok: false; error: string }
  | { ok: 'ask'; args: unknown; reason?: string };

/** The results of the calls that ran or failed, in call order, and the calls held for approval. */
export interface ToolCallsOutcome {
  results: ToolResultMessage[];
  asked: PendingApproval[];
}

const ABORTED = 'Tool execution was aborted.';
/**
 * Characters of a call's own arguments quoted back to the model when they
 * are invalid: enough to show the mistake. The whole text would go into the
 * next request, and a model that sent 20 MB would pay for it twice.
 */
const MAX_ECHOED_ARGUMENTS_CHARS = 2000;
/** Characters of a validator's report kept, for the same reason. */
const MAX_VALIDATION_REPORT_CHARS = 4000;
const SKIPPED = 'Skipped: the user sent a new message before this tool call started.';
export const CUT_TOOL_RESULT =
  'Not run: your reply hit the token limit (maxTokens) before its last tool call was complete. Send fewer or smaller calls.';

/** Gives every call of `assistant` the error result `text` without running any, with their events. */
export function refuseToolCalls(
  assistant: AssistantMessage,
  text: string,
  emit: (event: AgentEvent) => void,
): ToolResultMessage[] {
  const results: ToolResultMessage[] = [];
  for (const call of assistant.content) {
    if (call.type !== 'toolCall') continue;
    const result = textResult(text);
    emit({ type: 'tool_execution_start', toolCallId: call.id, toolName: call.name, args: call.arguments });
    emit({
      type: 'tool_execution_end',
      toolCallId: call.id,
      toolName: call.name,
      args: call.arguments,
      result,
      isError: true,
    });
    results.push({
      role: 'toolResult',
      toolCallId: call.id,
      toolName: call.name,
      content: result.content,
      isError: true,
      timestamp: Date.now(),
    });
  }
  return results;
}

/**
 * Runs the tool calls of one assistant message and returns one result per
 * call, in the order the model issued them, whatever happens: invalid or
 * unparsable arguments, unknown tools, blocked calls, throwing tools,
 * steering and abort all produce results, and every call gets exactly one
 * `tool_execution_start` and one `tool_execution_end`.
 */
export async function executeToolCalls(assistant: AssistantMessage, run: ToolRunContext): Promise<ToolCallsOutcome> {
  const decisions = run.decisions;
  const calls = assistant.content.filter(
    (part): part is ToolCall => part.type === 'toolCall' && (!decisions || decisions.has(part.id)),
  );
  /** Calls held for approval, by index; they get no events and no result in this run. */
  const asked = new Map<number, PendingApproval>();
  const results: (ToolResultMessage | undefined)[] = new Array(calls.length);
  const started: boolean[] = new Array(calls.length).fill(false);
  const argsOf: unknown[] = calls.map((call) => call.arguments);

  const start = (i: number): void => {
    if (started[i]) return;
    started[i] = true;
    const call = calls[i] as ToolCall;
    run.emit({ type: 'tool_execution_start', toolCallId: call.id, toolName: call.name, args: call.arguments });
  };

  const settle = (i: number, result: AgentToolResult, isError: boolean): void => {
    if (results[i]) return;
    start(i);
    const call = calls[i] as ToolCall;
    const message: ToolResultMessage = {
      role: 'toolResult',
      toolCallId: call.id,
      toolName: call.name,
      content: result.content,
      isError,
      timestamp: Date.now(),
    };
    if (result.details !== undefined) message.details = result.details;
    results[i] = message;
    run.emit({
      type: 'tool_execution_end',
      toolCallId: call.id,
      toolName: call.name,
      args: argsOf[i],
      result,
      isError,
    });
  };

  // On abort every unfinished call ends at once, even if its tool ignores the signal.
  let onAbort: (() => void) | undefined;
  const aborted = new Promise<void>((resolve) => {
    onAbort = () => {
      for (let i = 0; i < calls.length; i++) if (!asked.has(i)) settle(i, textResult(ABORTED), true);
      resolve();
    };
    if (run.signal.aborted) onAbort();
    else run.signal.addEventListener('abort', onAbort, { once: true });
  });

  const runOne = async (i: number): Promise<void> => {
    if (results[i]) return;
    const call = calls[i] as ToolCall;
    const prepared = await prepare(call, run);
    if (results[i]) return;
    if (prepared.ok === 'ask') {
      const pending: PendingApproval = { toolCallId: call.id, toolName: call.name, args: prepared.args };
      if (prepared.reason !== undefined) pending.reason = prepared.reason;
      asked.set(i, pending);
      return;
    }
    start(i);
    if (!prepared.ok) return settle(i, textResult(prepared.error), true);
    argsOf[i] = prepared.args;
    let result: AgentToolResult;
    let isError: boolean;
    try {
      result = await prepared.tool.execute(prepared.args as Record<string, unknown>, {
        toolCallId: call.id,
        signal: run.signal,
        onUpdate: (partialResult) => {
          if (results[i]) return;
          run.emit({
            type: 'tool_execution_update',
            toolCallId: call.id,
            toolName: call.name,
            args: prepared.args,
            partialResult,
          });
        },
      });
      isError = result.isError === true;
    } catch (error) {
      result = textResult(`Tool "${call.name}" failed: ${error instanceof Error ? error.message : String(error)}`);
      isError = true;
    }
    if (results[i]) return;
    if (run.config.afterToolCall) {
      try {
        const patch = await run.config.afterToolCall({ toolCall: call, args: prepared.args, result, isError });
        if (patch) {
          result = { ...result, ...patch };
          if (patch.isError !== undefined) isError = patch.isError;
        }
      } catch (error) {
        result = textResult(
          `afterToolCall failed for "${call.name}": ${error instanceof Error ? error.message : String(error)}`,
        );
        isError = true;
      }
    }
    settle(i, result, isError);
  };

  const skip = (i: number): void => settle(i, textResult(SKIPPED), true);

  const work =
    run.config.toolExecution === 'sequential'
      ? (async () => {
          for (let i = 0; i < calls.length; i++) {
            if (run.signal.aborted) return;
            if (i > 0 && run.steeringPending()) {
              for (let j = i; j < calls.length; j++) skip(j);
              return;
            }
            await runOne(i);
          }
        })()
      : runParallel(calls, run, runOne, skip, writeKeys(calls, run.config.tools ?? []));

  await Promise.race([work, aborted]);
  if (onAbort) run.signal.removeEventListener('abort', onAbort);
  return {
    results: results.filter((result): result is ToolResultMessage => result !== undefined),
    asked: [...asked.entries()].sort(([a], [b]) => a - b).map(([, pending]) => pending),
  };
}

/**
 * Starts every call at once, except that calls writing the same path wait
 * for the one before them; a call still waiting when a steering message
 * arrives is skipped.
 */
async function runParallel(
  calls: ToolCall[],
  run: ToolRunContext,
  runOne: (i: number) => Promise<void>,
  skip: (i: number) => void,
  keys: (readonly string[])[],
): Promise<void> {
  const tails = new Map<string, Promise<void>>();
  const tasks = calls.map((_, i) => {
    const waitFor = (keys[i] ?? []).map((key) => tails.get(key)).filter((p): p is Promise<void> => p !== undefined);
    const task = (async () => {
      if (waitFor.length > 0) {
        await Promise.all(waitFor);
        if (run.signal.aborted) return;
        if (run.steeringPending()) return skip(i);
      }
      await runOne(i);
    })();
    for (const key of keys[i] ?? []) tails.set(key, task);
    return task;
  });
  await Promise.all(tasks);
}

/** The paths each call writes, normalised so `./a.txt` and `a.txt` collide. */
function writeKeys(calls: ToolCall[], tools: readonly AgentTool[]): (readonly string[])[] {
  return calls.map((call) => {
    const tool = tools.find((t) => t.name === call.name);
    if (!tool?.writes || call.invalidArguments) return [];
    let written: string | readonly string[] | undefined;
    try {
      written = tool.writes(call.arguments);
    } catch {
      return [];
    }
    if (written === undefined) return [];
    return (typeof written === 'string' ? [written] : written).map(normalizeKey);
  });
}

function normalizeKey(path: string): string {
  return path
    .split('/')
    .filter((part) => part !== '' && part !== '.')
    .join('/');
}

async function prepare(call: ToolCall, run: ToolRunContext): Promise<Prepared> {
  if (call.invalidArguments) {
    return {
      ok: false,
      error: `The arguments for tool "${call.name}" are not valid JSON: ${call.invalidArguments.error}. Arguments received: ${quote(call.invalidArguments.raw, MAX_ECHOED_ARGUMENTS_CHARS)}`,
    };
  }
  const tools = run.config.tools ?? [];
  const tool = tools.find((t) => t.name === call.name);
  if (!tool) {
    const names = tools.map((t) => t.name).join(', ') || 'none';
    return { ok: false, error: `Tool "${call.name}" does not exist. Available tools: ${names}.` };
  }
  let args: unknown = call.arguments;
  if (tool.validate) {
    try {
      const checked = await tool.validate(call.arguments);
      if (!checked.ok) {
        return {
          ok: false,
          error: `Invalid arguments for tool "${call.name}":\n${quote(checked.error, MAX_VALIDATION_REPORT_CHARS)}\nArguments received: ${quote(JSON.stringify(call.arguments), MAX_ECHOED_ARGUMENTS_CHARS)}`,
        };
      }
      args = checked.value;
    } catch (error) {
      return {
        ok: false,
        error: `Could not validate arguments for "${call.name}": ${quote(String(error), MAX_VALIDATION_REPORT_CHARS)}`,
      };
    }
  }
  const decision = run.decisions?.get(call.id);
  if (decision && !decision.approved) {
    return { ok: false, error: `Not run: the user denied this call${decision.reason ? `: ${decision.reason}` : '.'}` };
  }
  if (run.config.beforeToolCall && !decision) {
    try {
      const verdict = await run.config.beforeToolCall({ toolCall: call, args, tool, messages: run.messages });
      if (verdict && 'block' in verdict && verdict.block)
        return { ok: false, error: `Tool call blocked: ${verdict.reason}` };
      if (verdict && 'ask' in verdict && verdict.ask) {
        return verdict.reason === undefined ? { ok: 'ask', args } : { ok: 'ask', args, reason: verdict.reason };
      }
    } catch (error) {
      return { ok: false, error: `Tool call blocked: beforeToolCall failed: ${String(error)}` };
    }
  }
  return { ok: true, tool, args };
}

/** `text` cut to `max` characters, saying how long it was. */
function quote(text: string, max: number): string {
  return text.length > max ? `${clipText(text, max)} (${text.length} characters)` : text;
}

function textResult(text: string): AgentToolResult {
  return { content: [{ type: 'text', text }] };
}
