import { EventStream } from '../ai/event-stream.js';
import { stream as defaultStream } from '../ai/stream.js';
import type {
  AssistantMessage,
  Context,
  ErrorInfo,
  Message,
  OutputIssue,
  Tool,
  ToolCall,
  ToolResultMessage,
} from '../ai/types.js';
import { emptyUsage } from '../ai/usage.js';
import { RunOutput, type TurnRequest } from './agent-output.js';
import { traceRun } from './agent-tracing.js';
import { type CompactionOutcome, compactionLimits, runCompaction } from './compaction.js';
import { estimateFixedTokens } from './context-estimate.js';
import { ContextTracker } from './context-tracker.js';
import { defaultConvertToLlm, IncrementalConversion } from './convert-to-llm.js';
import { CUT_TOOL_RESULT, executeToolCalls, refuseToolCalls } from './tool-execution.js';
import type {
  AgentEvent,
  AgentLoopConfig,
  AgentMessage,
  AgentStopReason,
  ApprovalDecision,
  CompactionReason,
  PendingApproval,
  TurnMessage,
} from './types.js';

export const DEFAULT_MAX_TURNS = 200;

export interface AgentLoopResult extends Partial<ErrorInfo> {
  /** The messages this run added, in order. */
  messages: TurnMessage[];
  stopReason: AgentStopReason;
  errorMessage?: string;
  /** With `awaiting_approval`: the calls that wait for an answer. */
  pendingApprovals?: PendingApproval[];
  /** With `config.output`: the checked answer (`stop`), or what failed its check (`invalid_output`). */
  output?: unknown;
  outputIssues?: OutputIssue[];
  /** Messages taken from the queues but not delivered because the run stopped; they belong back in them. */
  undeliveredSteering: TurnMessage[];
  undeliveredFollowUps: TurnMessage[];
}

/**
 * The agent loop as an async iterable of events, for callers who keep their
 * own state. `result()` resolves with what the run added.
 */
export function agentLoop(
  prompts: TurnMessage[],
  history: readonly AgentMessage[],
  config: AgentLoopConfig,
  signal?: AbortSignal,
): EventStream<AgentEvent, AgentLoopResult> {
  let result: AgentLoopResult | undefined;
  const out = new EventStream<AgentEvent, AgentLoopResult>(
    (event) => event.type === 'agent_end',
    () => result as AgentLoopResult,
  );
  let end: AgentEvent | undefined;
  void runAgentLoop(
    prompts,
    history,
    config,
    (event) => {
      // agent_end goes out once the result is known, so result() and the last event agree.
      if (event.type === 'agent_end') end = event;
      else out.push(event);
    },
    signal ?? new AbortController().signal,
  ).then((loopResult) => {
    result = loopResult;
    out.push(end as AgentEvent);
  });
  return out;
}

/**
 * Two levels: the inner loop streams a reply, runs its tool calls and
 * repeats while tools were called or steering messages wait; the outer loop
 * starts another round with queued follow-up messages when the inner loop
 * would stop. Never throws: failures end the run with `agent_end`.
 */
export function runAgentLoop(
  prompts: TurnMessage[],
  history: readonly AgentMessage[],
  config: AgentLoopConfig,
  emit: (event: AgentEvent) => void,
  signal: AbortSignal,
): Promise<AgentLoopResult> {
  return runLoop(prompts, history, config, emit, signal, new ContextTracker(history, fixedTokensOf(config)));
}

/** The reply whose held calls were answered, and the answers: a run after `awaiting_approval` starts with them. */
export interface ApprovalResume {
  assistant: AssistantMessage;
  decisions: ReadonlyMap<string, ApprovalDecision>;
}

/** System prompt and tools, as every request carries them. */
export function fixedTokensOf(config: Pick<AgentLoopConfig, 'systemPrompt' | 'tools'>): number {
  return estimateFixedTokens(config.systemPrompt, config.tools);
}

/**
 * The loop itself. `context` tracks how full the window is; the Agent passes
 * its own so that the count survives between runs without a rescan.
 */
export async function runLoop(
  prompts: TurnMessage[],
  history: readonly AgentMessage[],
  config: AgentLoopConfig,
  emit: (event: AgentEvent) => void,
  signal: AbortSignal,
  context: ContextTracker,
  resume?: ApprovalResume,
): Promise<AgentLoopResult> {
  // The run's span; its model calls go under it, its events make the tool spans and end it.
  if (config.tracing) ({ config, emit } = traceRun(config, emit));
  const messages: AgentMessage[] = [...history];
  const added: TurnMessage[] = [];
  const maxTurns = config.maxTurns ?? DEFAULT_MAX_TURNS;
  let steering: TurnMessage[] = [];
  let pending = prompts;
  let pendingAreFollowUps = false;
  let turns = 0;
  let stopReason: AgentStopReason = 'stop';
  let errorMessage: string | undefined;
  /** The failed reply's kind, status and wait, for `agent_end`. */
  const errorInfo: Partial<ErrorInfo> = {};
  /** The last reply ended at the token limit: a run that ends on it ends with `length`. */
  let lastCut = false;
  const fixed = fixedTokensOf(config);
  context.setFixed(fixed);
  const compacting = config.compaction?.enabled !== false;
  // Without hooks that may rewrite any message, each turn converts only what it added.
  const conversion = config.transformContext || config.convertToLlm ? undefined : new IncrementalConversion();
  /** A compaction already answered an overflow in this turn; another overflow ends the run. */
  let overflowCompacted = false;
  /** A compaction at the threshold failed: not again in this run, where it would likely fail each turn. */
  let thresholdFailed = false;
  let pendingApprovals: PendingApproval[] | undefined;
  /** With `config.output`: how each turn asks for the answer, and the answer (`agent-output.ts`). */
  const answer = config.output === undefined ? undefined : await RunOutput.create(config);

  const append = (message: TurnMessage): void => {
    emit({ type: 'message_start', message });
    messages.push(message);
    added.push(message);
    context.add(message);
    emit({ type: 'message_end', message });
  };
  const compact = async (reason: CompactionReason): Promise<CompactionOutcome> => {
    const outcome = await runCompaction({
      messages,
      model: config.model,
      config,
      reason,
      tokensBefore: context.tokens,
      fixedTokens: fixed,
      keep: compactionLimits(config.model, config).keep,
      signal,
      emit,
    });
    if (outcome.ok) {
      messages.splice(0, outcome.firstKeptIndex, outcome.message);
      context.reset(messages, fixed);
      conversion?.reset();
    }
    return outcome;
  };
  const steeringPending = (): boolean => {
    const more = config.getSteeringMessages?.();
    if (more && more.length > 0) steering = steering.concat(more);
    return steering.length > 0;
  };

  emit({ type: 'agent_start' });
  if (resume) {
    // The calls held for approval run (or are refused) first, as the end of the turn that made them.
    emit({ type: 'turn_start' });
    const { results } = await executeToolCalls(resume.assistant, {
      config,
      messages,
      emit,
      signal,
      steeringPending: () => false,
      decisions: resume.decisions,
    });
    for (const result of results) append(result);
    emit({
      type: 'turn_end',
      message: resume.assistant,
      toolResults: results,
      contextUsage: context.usage(config.model.contextWindow),
    });
    // An abort here ends the run at the first check of the loop below.
  }
  outer: for (;;) {
    for (;;) {
      if (signal.aborted) {
        // The prompt still belongs in the history; queued steering goes back to its queue.
        if (turns === 0) for (const message of pending.splice(0)) append(message);
        stopReason = 'aborted';
        break outer;
      }
      if (answer?.problem !== undefined) {
        for (const message of pending.splice(0)) append(message);
        stopReason = 'error';
        errorMessage = answer.problem;
        errorInfo.errorKind = 'invalid_request';
        break outer;
      }
      if (turns >= maxTurns) {
        stopReason = 'maxTurns';
        errorMessage = `Stopped after ${maxTurns} model calls (maxTurns). Send another prompt to go on.`;
        break outer;
      }
      turns++;
      emit({ type: 'turn_start' });
      for (const message of pending) append(message);
      pending = [];
      const ask = answer?.turn();
      if (ask?.prompt) append(ask.prompt);

      if (compacting && !thresholdFailed && context.tokens > compactionLimits(config.model, config).threshold) {
        // A failed compaction still sends the request: the reserve may be enough, and an overflow gets one more try.
        const outcome = await compact('threshold');
        if (!outcome.ok && outcome.aborted) {
          stopReason = 'aborted';
          break outer;
        }
        thresholdFailed = !outcome.ok;
      }
      const assistant = await streamAssistant(
        messages,
        config,
        emit,
        signal,
        outputLimit(config, context.tokens),
        conversion,
        ask,
      );
      answer?.settle(assistant);
      messages.push(assistant);
      added.push(assistant);
      context.add(assistant);

      if (compacting && isOverflow(assistant)) {
        emit({
          type: 'turn_end',
          message: assistant,
          toolResults: [],
          contextUsage: context.usage(config.model.contextWindow),
        });
        const window = `${config.model.id}'s context window (${config.model.contextWindow} tokens)`;
        const why = assistant.errorMessage ?? 'the reply stopped at the token limit before it began';
        const ended = (): void => {
          errorInfo.errorKind = 'context_overflow';
          // The provider's status stays with the error, whatever failed after it.
          if (assistant.errorStatus !== undefined) errorInfo.errorStatus = assistant.errorStatus;
        };
        if (overflowCompacted) {
          stopReason = 'error';
          errorMessage = `The conversation does not fit ${window}, even after compacting it: ${why}`;
          ended();
          break outer;
        }
        overflowCompacted = true;
        const outcome = await compact('overflow');
        if (outcome.ok) continue;
        stopReason = outcome.aborted ? 'aborted' : 'error';
        if (!outcome.aborted) {
          errorMessage = `The conversation does not fit ${window} (${why}), and compacting it failed: ${outcome.errorMessage}`;
          ended();
        }
        break outer;
      }
      if (assistant.stopReason !== 'error') overflowCompacted = false;

      let toolResults: ToolResultMessage[] = [];
      let asked: PendingApproval[] = [];
      const cutCall = assistant.stopReason === 'length' ? cutToolCall(assistant) : undefined;
      if (cutCall) {
        // Half a plan is not run: the calls get results only so the history stays valid for the next request.
        toolResults = refuseToolCalls(assistant, CUT_TOOL_RESULT, emit);
        for (const result of toolResults) append(result);
      } else if (assistant.stopReason === 'toolUse' || (assistant.stopReason === 'length' && hasToolCalls(assistant))) {
        // Calls whose arguments are whole were not cut, even in a reply that was.
        const run = { config, messages, emit, signal, steeringPending };
        const outcome = await (answer ? answer.executeToolCalls(assistant, run) : executeToolCalls(assistant, run));
        toolResults = outcome.results;
        for (const result of toolResults) append(result);
        asked = outcome.asked;
      }
      emit({
        type: 'turn_end',
        message: assistant,
        toolResults,
        contextUsage: context.usage(config.model.contextWindow),
      });
      lastCut = assistant.stopReason === 'length';

      if (assistant.stopReason === 'error' || assistant.stopReason === 'aborted') {
        stopReason = assistant.stopReason;
        errorMessage = assistant.errorMessage;
        if (assistant.errorKind) errorInfo.errorKind = assistant.errorKind;
        if (assistant.errorStatus !== undefined) errorInfo.errorStatus = assistant.errorStatus;
        if (assistant.retryAfterMs !== undefined) errorInfo.retryAfterMs = assistant.retryAfterMs;
        break outer;
      }
      if (asked.length > 0 && !signal.aborted) {
        // The model is not called again until every held call has an answer and a result.
        stopReason = 'awaiting_approval';
        pendingApprovals = asked;
        break outer;
      }
      if (answer?.failed !== undefined) {
        stopReason = 'error';
        errorMessage = answer.failed;
        errorInfo.errorKind = 'invalid_output';
        break outer;
      }
      if (cutCall) {
        stopReason = 'length';
        errorMessage = `The reply hit the token limit (maxTokens) in the middle of a call to "${cutCall.name}", so none of its tool calls ran. Raise maxTokens (agent.setStreamOptions) and continue.`;
        break outer;
      }
      if (signal.aborted) {
        stopReason = 'aborted';
        break outer;
      }
      if (steeringPending()) {
        pending = steering;
        pendingAreFollowUps = false;
        steering = [];
        continue;
      }
      if (toolResults.length > 0 && !answer?.answered) continue;
      if (answer?.askAgain()) continue;
      break;
    }
    const followUps = config.getFollowUpMessages?.() ?? [];
    if (followUps.length === 0) break;
    pending = followUps;
    pendingAreFollowUps = true;
  }

  if (stopReason === 'stop' && lastCut) stopReason = 'length';
  const result: AgentLoopResult = {
    messages: added,
    stopReason,
    undeliveredSteering: pendingAreFollowUps ? steering : [...pending, ...steering],
    undeliveredFollowUps: pendingAreFollowUps ? pending : [],
  };
  if (errorMessage !== undefined) result.errorMessage = errorMessage;
  Object.assign(result, errorInfo, answer?.outcome(stopReason));
  const end: AgentEvent = { type: 'agent_end', messages: added, stopReason };
  if (errorMessage !== undefined) end.errorMessage = errorMessage;
  Object.assign(end, errorInfo, answer?.outcome(stopReason));
  if (pendingApprovals) {
    result.pendingApprovals = pendingApprovals;
    end.pendingApprovals = pendingApprovals;
  }
  emit(end);
  return result;
}

/**
 * The output limit to send, when the one configured would not fit beside the
 * input: the window minus what the request already holds.
 */
function outputLimit(config: AgentLoopConfig, inputTokens: number): number | undefined {
  const limit = config.streamOptions?.maxTokens ?? config.model.maxTokens;
  const room = config.model.contextWindow - inputTokens;
  return room > 0 && limit > room ? room : undefined;
}

/**
 * The provider refused the request as too long, or (a server that does not
 * say so) stopped at the token limit before writing anything.
 */
function isOverflow(message: AssistantMessage): boolean {
  if (message.stopReason === 'error') return message.errorKind === 'context_overflow';
  return message.stopReason === 'length' && message.content.length === 0 && message.usage.output === 0;
}

/** Streams one reply, emitting message events; failures become an errored message. */
async function streamAssistant(
  messages: AgentMessage[],
  config: AgentLoopConfig,
  emit: (event: AgentEvent) => void,
  signal: AbortSignal,
  maxTokens: number | undefined,
  conversion: IncrementalConversion | undefined,
  ask?: TurnRequest,
): Promise<AssistantMessage> {
  let started = false;
  try {
    let llmMessages: Message[];
    // The built-in stream reads the messages while it builds the request; a custom one may keep them.
    if (conversion) llmMessages = conversion.convert(messages, config.streamFn !== undefined);
    else {
      const transformed = config.transformContext ? await config.transformContext(messages, signal) : messages;
      llmMessages = await (config.convertToLlm ?? defaultConvertToLlm)(transformed);
    }
    const tools: Tool[] | undefined = config.tools?.map((t) => ({
      name: t.name,
      description: t.description,
      parameters: t.parameters,
    }));
    if (ask?.tools) tools?.push(...ask.tools);
    const context: Context = { messages: llmMessages };
    if (config.systemPrompt) context.systemPrompt = config.systemPrompt;
    if (tools && tools.length > 0) context.tools = tools;
    const options = { ...config.streamOptions, ...ask?.options, signal };
    if (maxTokens !== undefined) options.maxTokens = maxTokens;
    const apiKey = config.getApiKey ? await config.getApiKey(config.model.provider) : undefined;
    if (apiKey) options.apiKey = apiKey;

    const s = (config.streamFn ?? defaultStream)(config.model, context, options);
    for await (const event of s) {
      if (event.type === 'start') {
        started = true;
        emit({ type: 'message_start', message: startCopy(event.partial) });
      } else if (event.type !== 'done' && event.type !== 'error') {
        emit({ type: 'message_update', message: event.partial, assistantMessageEvent: event });
      }
    }
    const message = await s.result();
    if (!started) emit({ type: 'message_start', message });
    emit({ type: 'message_end', message });
    return message;
  } catch (error) {
    // A custom streamFn or hook that throws still ends the turn with a message.
    const message = failedMessage(config, signal.aborted ? 'aborted' : 'error', error);
    if (!started) emit({ type: 'message_start', message });
    emit({ type: 'message_end', message });
    return message;
  }
}

/**
 * The reply as it began. Events queue up behind a slow listener, so the live
 * partial may already hold later text and the outcome: `start` precedes
 * every block, and the outcome belongs to `message_end`.
 */
function startCopy(partial: AssistantMessage): AssistantMessage {
  const { errorMessage: _outcome, errorKind: _kind, errorStatus: _status, retryAfterMs: _wait, ...head } = partial;
  return {
    ...head,
    content: [],
    usage: { ...partial.usage, cost: { ...partial.usage.cost } },
    stopReason: 'stop',
  };
}

function hasToolCalls(message: AssistantMessage): boolean {
  return message.content.some((part) => part.type === 'toolCall');
}

/** The last tool call, when the token limit cut its arguments. */
function cutToolCall(message: AssistantMessage): ToolCall | undefined {
  const last = message.content.findLast((part): part is ToolCall => part.type === 'toolCall');
  return last?.invalidArguments ? last : undefined;
}

function failedMessage(config: AgentLoopConfig, reason: 'error' | 'aborted', error: unknown): AssistantMessage {
  return {
    role: 'assistant',
    content: [],
    api: config.model.api,
    provider: config.model.provider,
    model: config.model.id,
    usage: emptyUsage(),
    stopReason: reason,
    errorMessage: error instanceof Error ? error.message : String(error),
    errorKind: reason === 'aborted' ? reason : 'unknown',
    timestamp: Date.now(),
  };
}
