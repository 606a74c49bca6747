import type { AssistantMessage, InferOutput, Model, OutputSchema, StreamOptions, UserMessage } from '../ai/types.js';
import { type ApprovalResume, fixedTokensOf, runLoop } from './agent-loop.js';
import { compactionLimits, runCompaction } from './compaction.js';
import { ContextTracker } from './context-tracker.js';
import type {
  AgentEvent,
  AgentInput,
  AgentLoopConfig,
  AgentMessage,
  AgentOptions,
  AgentQueues,
  AgentRunOptions,
  AgentRunResult,
  AgentState,
  AgentTool,
  ApprovalDecision,
  CompactionResult,
  ContextUsage,
  PendingApproval,
  TurnMessage,
} from './types.js';

/** Calls held for approval, the reply that made them, and the answers given so far. */
interface Approvals {
  assistant: AssistantMessage;
  pending: PendingApproval[];
  decisions: Map<string, ApprovalDecision>;
}

type Listener = (event: AgentEvent) => void;
type AgentStreamOptions = Omit<StreamOptions, 'signal'>;

/** One run; `reset()` abandons it, and nothing of an abandoned run reaches the agent again. */
interface Run {
  abandoned: boolean;
}

/**
 * A stateful agent: it keeps the conversation, runs one loop at a time, and
 * tells subscribers about every step.
 *
 * ```ts
 * const agent = new Agent({ model, systemPrompt, tools });
 * const off = agent.subscribe((event) => console.log(event.type));
 * const { stopReason, errorMessage } = await agent.prompt('Read the README.md file');
 * ```
 */
export class Agent {
  readonly #current: AgentState & { pendingToolCalls: Set<string> };
  readonly #options: AgentOptions;
  readonly #listeners = new Set<Listener>();
  #steeringQueue: TurnMessage[] = [];
  #followUpQueue: TurnMessage[] = [];
  #controller: AbortController | undefined;
  #running: Promise<AgentRunResult> | undefined;
  #run: Run | undefined;
  #currentStreamOptions: Readonly<AgentStreamOptions>;
  #context: ContextTracker;
  #approvals: Approvals | undefined;

  constructor(options: AgentOptions) {
    this.#options = options;
    this.#currentStreamOptions = { ...options.streamOptions };
    this.#current = {
      systemPrompt: options.systemPrompt ?? '',
      model: options.model,
      tools: options.tools ?? [],
      messages: options.messages ? [...options.messages] : [],
      isStreaming: false,
      streamMessage: undefined,
      pendingToolCalls: new Set(),
      error: undefined,
    };
    this.#context = new ContextTracker(this.#current.messages, fixedTokensOf(this.#current));
    if (options.pendingApprovals?.length) this.#hold(options.pendingApprovals);
  }

  /**
   * The calls waiting for an answer after a run ended with
   * `awaiting_approval`, in call order, each with its `decision` once
   * `approve()` or `deny()` gave one.
   */
  pendingApprovals(): (PendingApproval & { decision?: ApprovalDecision })[] {
    const approvals = this.#approvals;
    if (!approvals) return [];
    return approvals.pending.map((pending) => {
      const decision = approvals.decisions.get(pending.toolCallId);
      return decision ? { ...pending, decision: { ...decision } } : { ...pending };
    });
  }

  /** Lets a held call run at the next `continue()` (or `prompt()`). */
  approve(toolCallId: string): void {
    this.#answer(toolCallId, { approved: true }, 'approve');
  }

  /** Refuses a held call: its result tells the model it was denied, and `reason` when given. */
  deny(toolCallId: string, reason?: string): void {
    this.#answer(toolCallId, reason === undefined ? { approved: false } : { approved: false, reason }, 'deny');
  }

  #answer(toolCallId: string, decision: ApprovalDecision, verb: string): void {
    if (this.#running) throw new Error(`Agent.${verb}() was called while a run is active`);
    const approvals = this.#approvals;
    if (!approvals?.pending.some((pending) => pending.toolCallId === toolCallId)) {
      const waiting = approvals?.pending.map((pending) => pending.toolCallId).join(', ');
      throw new Error(
        `Agent.${verb}(): no tool call ${JSON.stringify(toolCallId)} awaits approval${waiting ? `; waiting: ${waiting}` : ''}`,
      );
    }
    approvals.decisions.set(toolCallId, decision);
  }

  /** Holds `pending`, calls of the history's last reply. */
  #hold(pending: PendingApproval[]): void {
    const ids = new Set(pending.map((call) => call.toolCallId));
    const assistant = this.#current.messages.findLast(
      (message): message is AssistantMessage =>
        isAssistant(message) && message.content.some((part) => part.type === 'toolCall' && ids.has(part.id)),
    );
    if (!assistant) throw new Error('pendingApprovals name tool calls that no reply in the history made');
    this.#approvals = { assistant, pending: [...pending], decisions: new Map() };
  }

  /**
   * How full the current model's context window is: the last reply's
   * `usage.totalTokens` plus an estimate for the messages after it. Kept as
   * messages arrive, so reading it costs nothing.
   */
  get contextUsage(): ContextUsage {
    return this.#context.usage(this.#current.model.contextWindow);
  }

  /** A read-only view; change it through the setters and methods. */
  get state(): Readonly<AgentState> {
    return this.#current;
  }

  setModel(model: Model): void {
    this.#current.model = model;
  }

  setTools(tools: readonly AgentTool[]): void {
    this.#current.tools = tools;
    this.#context.setFixed(fixedTokensOf(this.#current));
  }

  setSystemPrompt(systemPrompt: string): void {
    this.#current.systemPrompt = systemPrompt;
    this.#context.setFixed(fixedTokensOf(this.#current));
  }

  /** The options every model call gets (the signal is the run's own). */
  get streamOptions(): Readonly<AgentStreamOptions> {
    return this.#currentStreamOptions;
  }

  /**
   * Changes the stream options: the given fields replace theirs, a field
   * given as `undefined` is removed. A run in progress uses them from its
   * next model call; the call streaming now keeps what it started with.
   */
  setStreamOptions(changes: Partial<AgentStreamOptions>): void {
    const next: Record<string, unknown> = { ...this.#currentStreamOptions };
    for (const [key, value] of Object.entries(changes)) {
      if (value === undefined) delete next[key];
      else next[key] = value;
    }
    // A new object, so a call already holding the old one is not changed under it.
    this.#currentStreamOptions = next as AgentStreamOptions;
  }

  /** Listens to every event; returns the function that stops listening. */
  subscribe(listener: Listener): () => void {
    this.#listeners.add(listener);
    return () => {
      this.#listeners.delete(listener);
    };
  }

  /**
   * Starts a run with new input and resolves when it ends. Failures do not
   * reject: they end the run and set `state.error`. Calling it during a run
   * is an error; use `steer` or `followUp` then. With `output`, the run ends
   * with the model's answer in that shape, typed, in `result.output` (and
   * `agent_end`); see `AgentRunOptions`.
   */
  prompt<S extends OutputSchema = OutputSchema>(
    input: AgentInput | TurnMessage[],
    options?: AgentRunOptions<S>,
  ): Promise<AgentRunResult<InferOutput<S>>> {
    const messages = Array.isArray(input) ? input.map(toMessage) : [toMessage(input)];
    return this.start(messages, 'prompt', options) as Promise<AgentRunResult<InferOutput<S>>>;
  }

  /**
   * Runs again from the current history, for example after an error, an
   * abort or answers to held calls; `options` as for `prompt`.
   */
  continue<S extends OutputSchema = OutputSchema>(
    options?: AgentRunOptions<S>,
  ): Promise<AgentRunResult<InferOutput<S>>> {
    return this.start([], 'continue', options) as Promise<AgentRunResult<InferOutput<S>>>;
  }

  /** Delivers a message as soon as the running tools finish; the calls not yet started are skipped. */
  steer(input: AgentInput): void {
    this.#steeringQueue.push(toMessage(input));
  }

  /** Delivers a message when the agent would otherwise stop. */
  followUp(input: AgentInput): void {
    this.#followUpQueue.push(toMessage(input));
  }

  /** Copies of the messages waiting in the steering and follow-up queues. */
  queued(): AgentQueues {
    return { steering: [...this.#steeringQueue], followUp: [...this.#followUpQueue] };
  }

  /** Drops every queued steering and follow-up message. */
  clearQueues(): void {
    this.#steeringQueue = [];
    this.#followUpQueue = [];
  }

  /** Aborts the run: streaming stops, running tools get the signal. Queued messages stay queued. */
  abort(): void {
    this.#controller?.abort();
  }

  /** Resolves when no run is active. */
  waitForIdle(): Promise<void> {
    return this.#running ? this.#running.then(() => undefined) : Promise.resolve();
  }

  /**
   * Forgets the conversation, the queues and the last error. A run that is
   * active is aborted and abandoned: its promise still resolves, but none of
   * its events or messages reach the agent or its listeners again, and a new
   * run may start at once.
   */
  reset(): void {
    this.abort();
    if (this.#run) this.#run.abandoned = true;
    this.#run = undefined;
    this.#running = undefined;
    this.#controller = undefined;
    this.#current.isStreaming = false;
    this.#current.messages = [];
    this.#current.error = undefined;
    this.#current.streamMessage = undefined;
    this.#current.pendingToolCalls.clear();
    this.#steeringQueue = [];
    this.#followUpQueue = [];
    this.#approvals = undefined;
    // A new tracker: an abandoned run still holds the old one.
    this.#context = new ContextTracker([], fixedTokensOf(this.#current));
  }

  /**
   * Compacts the history now: the older part becomes one summary message,
   * and the most recent `keepRecentTokens` stay as they are (or, when the
   * whole history is shorter, everything before the last prompt is
   * summarized). `instructions` tell the summarizer what to keep. Emits
   * `compaction_start` and `compaction_end`. Rejects during a run, when
   * there is nothing to compact, when the summary fails, and on `abort()`;
   * the history is then left as it was.
   */
  compact(instructions?: string): Promise<CompactionResult> {
    if (this.#running) {
      return Promise.reject(new Error('Agent.compact() was called while a run is active: await waitForIdle() first'));
    }
    const controller = new AbortController();
    const run: Run = { abandoned: false };
    this.#controller = controller;
    this.#run = run;
    const context = this.#context;
    const config = this.loopConfig(run);
    const compaction = runCompaction({
      messages: [...this.#current.messages],
      model: this.#current.model,
      config,
      reason: 'manual',
      tokensBefore: context.tokens,
      fixedTokens: fixedTokensOf(this.#current),
      keep: compactionLimits(this.#current.model, config).keep,
      signal: controller.signal,
      emit: (event) => {
        if (!run.abandoned) this.handle(event);
      },
      ...(instructions ? { instructions } : {}),
    });
    const running = compaction
      .then((outcome): AgentRunResult => {
        if (!run.abandoned && outcome.ok) context.reset(this.#current.messages, fixedTokensOf(this.#current));
        return { messages: [], stopReason: outcome.ok ? 'stop' : outcome.aborted ? 'aborted' : 'error' };
      })
      .finally(() => {
        if (run.abandoned) return;
        if (this.#controller === controller) this.#controller = undefined;
        this.#run = undefined;
        this.#running = undefined;
      });
    this.#running = running;
    return compaction.then((outcome) => {
      if (!outcome.ok) throw new Error(outcome.errorMessage);
      const { ok: _ok, ...result } = outcome;
      return result;
    });
  }

  private start(
    prompts: TurnMessage[],
    verb: 'prompt' | 'continue',
    output?: AgentRunOptions,
  ): Promise<AgentRunResult> {
    if (this.#running) {
      return Promise.reject(
        new Error(
          `Agent.${verb}() was called while a run is active: use steer() or followUp(), or await waitForIdle() first`,
        ),
      );
    }
    const approvals = this.#approvals;
    let resume: ApprovalResume | undefined;
    if (approvals) {
      const unanswered = approvals.pending.filter((pending) => !approvals.decisions.has(pending.toolCallId));
      if (verb === 'continue' && unanswered.length > 0) {
        return Promise.reject(
          new Error(
            `Agent.continue() needs an answer for every held tool call first: approve() or deny() ${unanswered.map((p) => p.toolCallId).join(', ')}`,
          ),
        );
      }
      // A new prompt instead of an answer refuses what was not answered.
      for (const pending of unanswered) {
        approvals.decisions.set(pending.toolCallId, {
          approved: false,
          reason: 'the user sent a new message instead of answering',
        });
      }
      resume = { assistant: approvals.assistant, decisions: new Map(approvals.decisions) };
      this.#approvals = undefined;
    } else if (verb === 'continue') {
      // A queued message with nothing else to go on starts the run.
      if (this.lastIsFinishedReply()) prompts = this.#steeringQueue.splice(0).concat(this.#followUpQueue.splice(0));
      if (prompts.length === 0 && (this.#current.messages.length === 0 || this.lastIsFinishedReply())) {
        return Promise.reject(
          new Error('Agent.continue() needs a history that does not end in a finished reply, or a queued message'),
        );
      }
    }
    const controller = new AbortController();
    const run: Run = { abandoned: false };
    this.#controller = controller;
    this.#run = run;
    this.#current.isStreaming = true;
    this.#current.error = undefined;
    const history = this.#current.messages;
    const running = runLoop(
      prompts,
      history,
      output?.output === undefined ? this.loopConfig(run) : Object.assign(this.loopConfig(run), output),
      (event) => {
        if (!run.abandoned) this.handle(event);
      },
      controller.signal,
      this.#context,
      resume,
    )
      .then((result): AgentRunResult => {
        if (!run.abandoned) {
          // Nothing queued is lost to a stop: undelivered messages go back to the front.
          this.#steeringQueue = [...result.undeliveredSteering, ...this.#steeringQueue];
          this.#followUpQueue = [...result.undeliveredFollowUps, ...this.#followUpQueue];
        }
        const { undeliveredSteering: _steering, undeliveredFollowUps: _followUps, ...outcome } = result;
        if (!run.abandoned && result.pendingApprovals) this.#hold(result.pendingApprovals);
        return outcome;
      })
      .finally(() => {
        if (run.abandoned) return;
        this.#current.isStreaming = false;
        this.#current.streamMessage = undefined;
        this.#current.pendingToolCalls.clear();
        if (this.#controller === controller) this.#controller = undefined;
        this.#run = undefined;
        this.#running = undefined;
      });
    this.#running = running;
    return running;
  }

  /** The history ends in a reply the model finished, so calling it again would repeat it. */
  private lastIsFinishedReply(): boolean {
    const last = this.#current.messages.at(-1);
    return last !== undefined && isAssistant(last) && (last.stopReason === 'stop' || last.stopReason === 'length');
  }

  private loopConfig(run: Run): AgentLoopConfig {
    const { messages: _messages, streamOptions: _streamOptions, ...options } = this.#options;
    const agent = this;
    return {
      ...options,
      model: this.#current.model,
      systemPrompt: this.#current.systemPrompt,
      tools: this.#current.tools,
      // Read at each model call, so setStreamOptions() reaches a run from its next turn.
      get streamOptions() {
        return agent.#currentStreamOptions;
      },
      // An abandoned run takes nothing queued after reset().
      getSteeringMessages: () => (run.abandoned ? [] : this.#steeringQueue.splice(0)),
      getFollowUpMessages: () => (run.abandoned ? [] : this.#followUpQueue.splice(0)),
    };
  }

  private handle(event: AgentEvent): void {
    const state = this.#current;
    switch (event.type) {
      case 'message_start':
        if (isAssistant(event.message)) state.streamMessage = event.message;
        break;
      case 'message_update':
        state.streamMessage = event.message;
        break;
      case 'message_end':
        state.messages.push(event.message);
        if (isAssistant(event.message)) {
          state.streamMessage = undefined;
          if (event.message.stopReason === 'error') state.error = event.message.errorMessage ?? 'Unknown error';
        }
        break;
      case 'tool_execution_start':
        state.pendingToolCalls.add(event.toolCallId);
        break;
      case 'tool_execution_end':
        state.pendingToolCalls.delete(event.toolCallId);
        break;
      case 'compaction_end':
        if (event.ok) {
          // The same cut the loop makes in its copy: both hold the same messages in the same order.
          state.messages = [event.message, ...state.messages.slice(event.firstKeptIndex)];
          // The overflow that asked for this compaction is being retried; it is no longer the run's error.
          if (event.reason === 'overflow') state.error = undefined;
        }
        break;
      case 'agent_end':
        state.isStreaming = false;
        if (event.stopReason === 'error' && !state.error) state.error = event.errorMessage ?? 'Unknown error';
        // A reply cut inside a tool call failed; a cut text reply did not.
        if (event.stopReason === 'length' && event.errorMessage && !state.error) state.error = event.errorMessage;
        break;
    }
    for (const listener of this.#listeners) {
      try {
        listener(event);
      } catch (error) {
        // A broken listener must not break the run or the other listeners.
        console.error('qcore: an Agent event listener threw', error);
      }
    }
  }
}

function isAssistant(message: AgentMessage): message is AssistantMessage {
  return typeof message === 'object' && message !== null && 'role' in message && message.role === 'assistant';
}

function toMessage(input: AgentInput): TurnMessage {
  if (typeof input === 'string') {
    const message: UserMessage = { role: 'user', content: input, timestamp: Date.now() };
    return message;
  }
  return input;
}
