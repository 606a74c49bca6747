/**
 * A run that ends with a typed answer: `agent.prompt(input, { output })`.
 * How each turn asks for it follows how the model is asked for structured
 * output (`Model.structuredOutput`, `outputMode`):
 *
 * - `native`, or `tool` with no tools of the agent's to offer: every model
 *   call gets `output`, and the core does the rest (the schema in the
 *   protocol's field or a forced tool, `object_delta`, the check, `repair`).
 *   A native model may call tools first; the reply with no tool calls holds
 *   the answer.
 * - `tool` with tools: forcing the output tool on every call would stop the
 *   model using the others, so it is offered beside them (the model chooses)
 *   and its description says the task ends with it. A reply that calls it
 *   alone ends the run: its arguments, checked against the schema, are the
 *   answer. A failed check goes back to the model as the call's error result
 *   once with `repair`, and ends the run as `invalid_output` otherwise. A call
 *   beside other calls is not taken: the others run, and the model is told to
 *   call it alone. A reply that stops without calling it gets one more turn,
 *   after a user message asking for the answer, that forces the tool through
 *   the core as above (thinking off for that call, as providers require).
 *
 * Every call of the output tool gets a result, so the history stays valid
 * for the next request.
 */
import { outputMode } from '../ai/output-mode.js';
import type { PreparedOutput } from '../ai/output-schema.js';
import { loadOutputSchema, type OutputSchemaCode } from '../ai/output-schema-loader.js';
import type {
  AssistantMessage,
  OutputIssue,
  StreamOptions,
  Tool,
  ToolCall,
  ToolResultMessage,
  UserMessage,
} from '../ai/types.js';
import { executeToolCalls, type ToolCallsOutcome, type ToolRunContext } from './tool-execution.js';
import type { AgentEvent, AgentLoopConfig, AgentStopReason } from './types.js';

/** What one model call adds to the agent's request. */
export interface TurnRequest {
  /** Stream options over the agent's (`output` and its two companions, set or cleared). */
  options: Pick<StreamOptions, 'output' | 'outputName' | 'repair'>;
  /** Tools beside the agent's: the output tool, when it is offered. */
  tools?: Tool[];
  /** A user message to send first: the request for the answer before a forced turn. */
  prompt?: UserMessage;
}

type Checked = { ok: true; value: unknown } | { ok: false; message: string; issues: OutputIssue[] };

export class RunOutput {
  /** Set when the output cannot be asked for; the run ends with it as an `invalid_request` error. */
  readonly problem: string | undefined;
  readonly #config: AgentLoopConfig;
  readonly #name: string;
  /** The output tool, offered beside the agent's (`tool` mode with tools), and its schema's check. */
  readonly #tool: Tool | undefined;
  readonly #prepared: PreparedOutput | undefined;
  /** The next call forces the tool, after a reply that stopped without calling it. */
  #force = false;
  #forcing = false;
  /** A failed check went back to the model already (`repair` allows one). */
  #repaired = false;
  /** This turn's answer, once given. */
  #answer: { value: unknown } | undefined;
  #issues: OutputIssue[] | undefined;
  /** The output call failed its check with no repair left: the run ends with this. */
  failed: string | undefined;

  /** The schema code (`output-schema.ts`), loaded only for a tool-mode model with tools. */
  readonly #code: OutputSchemaCode | undefined;

  /** A run's output handling; loads the schema code first when the run needs it. */
  static async create(config: AgentLoopConfig): Promise<RunOutput> {
    const code = outputMode(config.model) === 'tool' && config.tools?.length ? await loadOutputSchema() : undefined;
    return new RunOutput(config, code);
  }

  private constructor(config: AgentLoopConfig, code: OutputSchemaCode | undefined) {
    this.#config = config;
    this.#name = config.outputName ?? 'output';
    this.#code = code;
    if (!code) return;
    const { prepareOutput } = code;
    try {
      if (config.tools?.some((tool) => tool.name === this.#name)) {
        throw new Error(
          `outputName ${JSON.stringify(this.#name)} is the name of one of the agent's tools; pass another outputName`,
        );
      }
      const prepared = prepareOutput(config.output as NonNullable<AgentLoopConfig['output']>, this.#name);
      this.#prepared = prepared;
      this.#tool = {
        name: this.#name,
        description:
          'Give your final answer: call this tool on its own once you have everything you need. The task ends with this call; its arguments are the answer.',
        parameters: prepared.schema,
      };
    } catch (error) {
      this.problem = error instanceof Error ? error.message : String(error);
    }
  }

  /** The answer the run ended with, or what failed, for the run's result and `agent_end`. */
  outcome(stopReason: AgentStopReason): { output?: unknown; outputIssues?: OutputIssue[] } {
    if (stopReason === 'stop' && this.#answer) return { output: this.#answer.value };
    if (stopReason === 'error' && this.#issues) return { outputIssues: this.#issues };
    return {};
  }

  /** True once this turn gave the answer: the run ends unless a message came in. */
  get answered(): boolean {
    return this.#answer !== undefined;
  }

  /** How the next model call asks. */
  turn(): TurnRequest {
    this.#answer = undefined;
    this.#issues = undefined;
    this.#forcing = this.#force;
    this.#force = false;
    const { output, repair } = this.#config;
    if (this.#tool && !this.#forcing) {
      // Cleared, in case the agent's own stream options set them.
      return { options: { output: undefined, outputName: undefined, repair: undefined }, tools: [this.#tool] };
    }
    const options = { output, outputName: this.#name, repair: repair === true };
    if (!this.#forcing) return { options };
    const text = `Give your final answer now by calling the ${this.#name} tool.`;
    return { options, prompt: { role: 'user', content: text, timestamp: Date.now() } };
  }

  /** Takes the answer of a reply streamed with `output`, or what failed its check. */
  settle(reply: AssistantMessage): void {
    if (reply.stopReason === 'stop' && 'output' in reply) this.#answer = { value: reply.output };
    if (reply.errorKind === 'invalid_output') this.#issues = reply.outputIssues ?? [];
  }

  /**
   * After a reply that would end the run without the answer (no tool calls,
   * no message waiting): true when one more turn forcing the tool follows.
   */
  askAgain(): boolean {
    if (!this.#tool || this.#answer || this.#forcing) return false;
    this.#force = true;
    return true;
  }

  /**
   * Runs the reply's tool calls, the output tool's here and the others as
   * usual; the results come in call order.
   */
  async executeToolCalls(assistant: AssistantMessage, run: ToolRunContext): Promise<ToolCallsOutcome> {
    const calls = assistant.content.filter((part): part is ToolCall => part.type === 'toolCall');
    const call = this.#tool ? calls.find((part) => part.name === this.#name) : undefined;
    if (!call) return executeToolCalls(assistant, run);
    const alone = calls.length === 1;
    let result: { text: string; isError: boolean };
    if (!alone) {
      result = {
        text: `Not taken: call ${this.#name} on its own, once the results of your other tool calls are in.`,
        isError: true,
      };
    } else {
      const checked = await this.#check(call);
      if (checked.ok) {
        this.#answer = { value: checked.value };
        result = { text: 'Answer received.', isError: false };
      } else {
        this.#issues = checked.issues;
        result = {
          text: `The answer does not match the schema: ${checked.message}. Call ${this.#name} again with the corrected answer.`,
          isError: true,
        };
        if (this.#repaired || !this.#config.repair)
          this.failed = `The output does not match the schema: ${checked.message}`;
        this.#repaired = true;
      }
    }
    const own = settleCall(call, result, run.emit);
    if (alone) return { results: [own], asked: [] };
    const others = await executeToolCalls(
      { ...assistant, content: assistant.content.filter((part) => part !== call) },
      run,
    );
    const order = new Map(calls.map((part, i) => [part.id, i]));
    const results = [own, ...others.results].sort(
      (a, b) => (order.get(a.toolCallId) ?? 0) - (order.get(b.toolCallId) ?? 0),
    );
    return { results, asked: others.asked };
  }

  async #check(call: ToolCall): Promise<Checked> {
    if (call.invalidArguments) {
      const message = `the arguments are not JSON (${call.invalidArguments.error})`;
      return { ok: false, message, issues: [{ message, path: [] }] };
    }
    const checked = await (this.#prepared as PreparedOutput).check(call.arguments);
    return checked.ok
      ? checked
      : { ok: false, message: (this.#code as OutputSchemaCode).describeIssues(checked.issues), issues: checked.issues };
  }
}

/** The output call's events and result message. */
function settleCall(
  call: ToolCall,
  { text, isError }: { text: string; isError: boolean },
  emit: (event: AgentEvent) => void,
): ToolResultMessage {
  const base = { toolCallId: call.id, toolName: call.name, args: call.arguments };
  const content = [{ type: 'text' as const, text }];
  emit({ type: 'tool_execution_start', ...base });
  emit({ type: 'tool_execution_end', ...base, result: { content }, isError });
  return { role: 'toolResult', toolCallId: call.id, toolName: call.name, content, isError, timestamp: Date.now() };
}
