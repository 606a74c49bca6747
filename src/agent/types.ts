/**
 * Public types of the agent runtime: tools as the agent runs them, the
 * messages it keeps, the events it emits, and its options.
 */
import type {
  AssistantMessage,
  AssistantMessageEvent,
  AssistantMessageStream,
  Context,
  ErrorInfo,
  ImageContent,
  Message,
  Model,
  OutputIssue,
  OutputSchema,
  StreamOptions,
  TextContent,
  Tool,
  ToolCall,
  ToolResultMessage,
  TracingOptions,
  UserMessage,
} from '../ai/types.js';

// ---------------------------------------------------------------- tools

export interface AgentToolResult<TDetails = unknown> {
  content: (TextContent | ImageContent)[];
  /** Structured data for UIs and logs; never sent to the model. */
  details?: TDetails;
  /** Reports a failure without throwing. */
  isError?: boolean;
}

export interface ToolExecutionContext<TDetails = unknown> {
  toolCallId: string;
  /** Aborted when the run is aborted. */
  signal: AbortSignal;
  /** Streams progress; each call becomes a `tool_execution_update` event. */
  onUpdate: (partial: AgentToolResult<TDetails>) => void;
}

export type ToolValidation<TArgs> = { ok: true; value: TArgs } | { ok: false; error: string };

/**
 * A tool the agent can run. `defineTool` builds one from a zod (or any
 * Standard Schema) schema, with typed arguments.
 */
export interface AgentTool<TArgs = Record<string, unknown>, TDetails = unknown> extends Tool {
  /** Checks raw arguments before `execute`; the error text goes to the model. */
  validate?(args: unknown): ToolValidation<TArgs> | Promise<ToolValidation<TArgs>>;
  execute(args: TArgs, context: ToolExecutionContext<TDetails>): Promise<AgentToolResult<TDetails>>;
  /** Paths this call writes. Calls that write the same path never run at the same time. */
  writes?(args: TArgs): string | readonly string[] | undefined;
}

// ---------------------------------------------------------------- messages

/**
 * Add your own message types by declaration merging; `convertToLlm` decides
 * what the model sees of them:
 *
 * ```ts
 * declare module 'qcore' {
 *   interface CustomAgentMessages { note: { role: 'note'; text: string; timestamp: number } }
 * }
 * ```
 */
// biome-ignore lint/suspicious/noEmptyInterface: filled by declaration merging
export interface CustomAgentMessages {}

export type AgentMessage = Message | CompactionSummaryMessage | CustomAgentMessages[keyof CustomAgentMessages];

/**
 * Stands for the older part of a conversation after a compaction: it is the
 * first message of the history, followed by the messages kept verbatim. The
 * default `convertToLlm` sends it as a user message.
 */
export interface CompactionSummaryMessage {
  role: 'compactionSummary';
  summary: string;
  /** How full the context was before the compaction, in tokens. */
  tokensBefore: number;
  timestamp: number;
}

/** A message a run adds: every kind but a compaction summary, which comes only with `compaction_end`. */
export type TurnMessage = Exclude<AgentMessage, CompactionSummaryMessage>;

/** What `prompt`, `steer` and `followUp` take: text, or a whole message. */
export type AgentInput = string | UserMessage | TurnMessage;

// ---------------------------------------------------------------- hooks

export interface BeforeToolCallContext {
  toolCall: ToolCall;
  /** The validated arguments. */
  args: unknown;
  tool: AgentTool;
  messages: readonly AgentMessage[];
}

/**
 * What `beforeToolCall` decides: nothing allows the call; `block` refuses it
 * (the model reads `reason`); `ask` holds it for a person to answer: the run
 * ends with `awaiting_approval` once the other calls of the reply are done,
 * and `approve()`/`deny()` then `continue()` settle it. A hook may instead
 * await the answer itself and return `block` or nothing.
 */
export type BeforeToolCallResult =
  | { block: true; reason: string }
  | { ask: true; reason?: string }
  | undefined
  // biome-ignore lint/suspicious/noConfusingVoidType: a hook that returns nothing allows the call
  | void;

/** A tool call held by `beforeToolCall` returning `{ ask: true }`. */
export interface PendingApproval {
  toolCallId: string;
  toolName: string;
  /** The validated arguments. */
  args: unknown;
  /** Why the hook asks, for the person answering. */
  reason?: string;
}

/** An answer to a pending call. A denied call's result tells the model `reason`. */
export type ApprovalDecision = { approved: true } | { approved: false; reason?: string };

export interface AfterToolCallContext {
  toolCall: ToolCall;
  args: unknown;
  result: AgentToolResult;
  isError: boolean;
}

/** Fields to replace in the result; return nothing to keep it. */
// biome-ignore lint/suspicious/noConfusingVoidType: a hook that returns nothing keeps the result
export type AfterToolCallResult = Partial<AgentToolResult> | undefined | void;

export type StreamFn = (model: Model, context: Context, options?: StreamOptions) => AssistantMessageStream;

/**
 * Why a run ended. `awaiting_approval`: tool calls wait for `approve()` or
 * `deny()` (`pendingApprovals`). `length`: the last reply hit the token limit (`maxTokens`).
 * A cut text reply is kept as the answer, with no error; a reply cut inside a
 * tool call runs none of its calls and ends with an `errorMessage`.
 */
export type AgentStopReason = 'stop' | 'length' | 'aborted' | 'error' | 'maxTurns' | 'awaiting_approval';

/**
 * What `prompt()` and `continue()` resolve with; the same as `agent_end`.
 * `errorKind`, `errorStatus` and `retryAfterMs` come from the reply that
 * failed, when one did.
 */
export interface AgentRunResult<TOutput = unknown> extends Partial<ErrorInfo> {
  /** The messages this run added, in order. */
  messages: TurnMessage[];
  stopReason: AgentStopReason;
  errorMessage?: string;
  /** With `awaiting_approval`: the calls that wait for an answer, in call order. */
  pendingApprovals?: PendingApproval[];
  /** With `output` asked and `stopReason` `stop`: the answer the run ended with, checked against the schema. */
  output?: TOutput;
  /** With `errorKind: 'invalid_output'`: what did not match the schema. */
  outputIssues?: OutputIssue[];
}

/**
 * A run that ends with a typed answer (`prompt(input, { output })`); see
 * `src/agent/agent-output.ts` for how each turn asks for it.
 */
export interface AgentRunOptions<S extends OutputSchema = OutputSchema> {
  /**
   * The answer's shape: a zod schema (or any Standard Schema) or a plain JSON
   * Schema. The run ends when the model gives it, in `output`; an answer
   * that does not match ends it with `errorKind: 'invalid_output'`.
   */
  output?: S;
  /** The answer's name, where the request needs one (the output tool's). Default `output`. */
  outputName?: string;
  /** With `output`: the model is shown what failed once and may answer again, before the run fails. */
  repair?: boolean;
}

/** The messages waiting in the agent's queues, in delivery order. */
export interface AgentQueues {
  steering: TurnMessage[];
  followUp: TurnMessage[];
}

// ---------------------------------------------------------------- context

/** How full the model's context window is: what the next request would hold. */
export interface ContextUsage {
  /** The last reply's `usage.totalTokens`, plus an estimate for the messages after it. */
  tokens: number;
  contextWindow: number;
  /** `tokens / contextWindow`, as a percentage from 0 to 100. */
  percent: number;
}

/**
 * Why a compaction ran: the next request would pass `contextWindow −
 * reserveTokens` (`threshold`), the provider refused the request as too long
 * (`overflow`), or `agent.compact()` was called (`manual`).
 */
export type CompactionReason = 'threshold' | 'overflow' | 'manual';

/** What `agent.compact()` resolves with, and what `compaction_end` reports on success. */
export interface CompactionResult {
  summary: string;
  tokensBefore: number;
  tokensAfter: number;
  /**
   * Index, in the history as it was before the compaction, of the first
   * message kept verbatim; every message before it is now `message`.
   */
  firstKeptIndex: number;
  /** The summary message that now opens the history. */
  message: CompactionSummaryMessage;
}

export interface CompactionOptions {
  /** Default true. */
  enabled?: boolean;
  /**
   * Tokens kept free for the reply. Default 16,384; never less than the
   * request's output-token limit (`maxTokens`, else the model's).
   */
  reserveTokens?: number;
  /** The most recent tokens kept verbatim. Default 20,000. */
  keepRecentTokens?: number;
  /**
   * Writes the summary instead of the current model. `messages` is the part
   * being replaced, starting with the previous summary if there is one.
   */
  summarize?: (
    messages: AgentMessage[],
    signal: AbortSignal,
    options: { instructions?: string },
  ) => string | Promise<string>;
}

// ---------------------------------------------------------------- events

/**
 * Every event's data is what was true when it was emitted, so events can be
 * stored or sent as they come, with one exception kept for speed:
 * `message_update.message` is the live reply, the same object every update
 * and `message_end` of that reply carry, and it changes after the event.
 * `message_start.message` is a copy of the reply as it began (no content
 * yet; its outcome comes with `message_end`).
 *
 * Events of one run, in this order:
 * `agent_start`, then per turn `turn_start`, the turn's input messages
 * (`message_start` + `message_end` each), the assistant message
 * (`message_start`, `message_update`…, `message_end`), each tool call
 * (`tool_execution_start`, `tool_execution_update`…, `tool_execution_end`,
 * in completion order), the tool results in call order (`message_start` +
 * `message_end` each), `turn_end`; finally `agent_end`.
 */
export type AgentEvent =
  | { type: 'agent_start' }
  | ({ type: 'agent_end' } & AgentRunResult)
  | { type: 'turn_start' }
  | { type: 'turn_end'; message: AssistantMessage; toolResults: ToolResultMessage[]; contextUsage: ContextUsage }
  | { type: 'message_start'; message: TurnMessage }
  | { type: 'message_update'; message: AssistantMessage; assistantMessageEvent: AssistantMessageEvent }
  | { type: 'message_end'; message: TurnMessage }
  | { type: 'tool_execution_start'; toolCallId: string; toolName: string; args: unknown }
  | {
      type: 'tool_execution_update';
      toolCallId: string;
      toolName: string;
      args: unknown;
      partialResult: AgentToolResult;
    }
  | {
      type: 'tool_execution_end';
      toolCallId: string;
      toolName: string;
      args: unknown;
      result: AgentToolResult;
      isError: boolean;
    }
  | { type: 'compaction_start'; reason: CompactionReason; tokensBefore: number }
  | CompactionEndEvent;

/** The end of a compaction: the new history's summary, or why the history was left as it was. */
export type CompactionEndEvent = { type: 'compaction_end'; reason: CompactionReason; tokensBefore: number } & (
  | ({ ok: true } & CompactionResult)
  | { ok: false; aborted: boolean; errorMessage: string }
);

export type AgentEventType = AgentEvent['type'];

// ---------------------------------------------------------------- loop

export interface AgentLoopConfig extends AgentRunOptions {
  model: Model;
  systemPrompt?: string;
  tools?: readonly AgentTool[];
  /** Default: `stream` from the LLM layer. */
  streamFn?: StreamFn;
  /** Options for every model call (the signal is the run's own). */
  streamOptions?: Omit<StreamOptions, 'signal'>;
  /** Asked before each model call, for keys that expire. */
  getApiKey?: (provider: string) => string | undefined | Promise<string | undefined>;
  /** Rewrites the history before each model call, for pruning or injecting context. */
  transformContext?: (messages: AgentMessage[], signal: AbortSignal) => AgentMessage[] | Promise<AgentMessage[]>;
  /** Turns the agent's messages into what the model sees. Default: keeps user, assistant and tool results. */
  convertToLlm?: (messages: AgentMessage[]) => Message[] | Promise<Message[]>;
  /** Default `parallel`. */
  toolExecution?: 'parallel' | 'sequential';
  beforeToolCall?: (context: BeforeToolCallContext) => BeforeToolCallResult | Promise<BeforeToolCallResult>;
  afterToolCall?: (context: AfterToolCallContext) => AfterToolCallResult | Promise<AfterToolCallResult>;
  /** Model calls per run before it stops with `maxTurns`. Default 200. */
  maxTurns?: number;
  /**
   * Automatic compaction of the history when it nears the model's context
   * window, and once after a `context_overflow` error. On by default.
   */
  compaction?: CompactionOptions;
  /**
   * Traces each run: an `invoke_agent` span, parent of the run's `chat {model}`
   * spans and of an `execute_tool {name}` span per tool call.
   */
  tracing?: AgentTracingOptions;
  /** Messages to deliver after the running tools finish; polled by the loop. */
  getSteeringMessages?: () => TurnMessage[];
  /** Messages to start another round with when the agent would stop; polled by the loop. */
  getFollowUpMessages?: () => TurnMessage[];
}

/**
 * Tracing for the agent's runs (`TracingOptions`; `parent` is the run's).
 * `agentName` names the run's span (`invoke_agent {agentName}`, `gen_ai.agent.name`).
 */
export interface AgentTracingOptions extends TracingOptions {
  agentName?: string;
}

// ---------------------------------------------------------------- agent

export interface AgentOptions
  extends Omit<AgentLoopConfig, 'getSteeringMessages' | 'getFollowUpMessages' | keyof AgentRunOptions> {
  /** A history to start from. */
  messages?: AgentMessage[];
  /**
   * Calls of the history's last reply that wait for an answer, as a run that
   * ended with `awaiting_approval` reported them: an agent rebuilt from a
   * stored session takes them up again.
   */
  pendingApprovals?: PendingApproval[];
}

export interface AgentState {
  systemPrompt: string;
  model: Model;
  tools: readonly AgentTool[];
  messages: AgentMessage[];
  isStreaming: boolean;
  /** The assistant message being streamed, live; `undefined` between messages. */
  streamMessage: AssistantMessage | undefined;
  /** Ids of tool calls that are running. */
  pendingToolCalls: ReadonlySet<string>;
  /** The last run's error message, if it failed. */
  error: string | undefined;
}
