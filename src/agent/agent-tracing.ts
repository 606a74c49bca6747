/**
 * Tracing of agent runs (`AgentOptions.tracing`): one `invoke_agent` span
 * per run, the parent of its model calls' `chat {model}` spans (`stream()`
 * makes them, given the run's span as `parent`; summaries for compaction
 * included) and of one `execute_tool {name}` span per tool call, made from
 * the run's own events. Names as in `src/ai/tracing.ts`: OpenTelemetry's
 * GenAI semantic conventions, qcore's own under `qcore.*`.
 *
 * Kept apart from `src/ai/tracing.ts`, which loads on first use: a static
 * import of it from here would put it in every app's first chunk.
 */
import type { Span, SpanAttributes, StreamOptions } from '../ai/types.js';
import type { AgentEvent, AgentLoopConfig, AgentTracingOptions } from './types.js';

type Emit = (event: AgentEvent) => void;

/** The same table as `src/ai/tracing.ts`: `gen_ai.provider.name` for qcore's provider names. */
const PROVIDER_NAMES: Record<string, string> = {
  google: 'gcp.gemini',
  'amazon-bedrock': 'aws.bedrock',
  kimi: 'moonshot_ai',
};

/** Drops the attributes that have no value, which some tracers refuse. */
function defined(attributes: SpanAttributes): SpanAttributes {
  const out: SpanAttributes = {};
  for (const [key, value] of Object.entries(attributes)) if (value !== undefined) out[key] = value;
  return out;
}

/**
 * Starts the run's span. Returns the config whose model calls go under it
 * (stream options read at each call, as before) and the `emit` that makes
 * the tool spans and ends the run's span from the run's events.
 */
export function traceRun(config: AgentLoopConfig, emit: Emit): { config: AgentLoopConfig; emit: Emit } {
  const { tracer, parent, agentName, recordContent } = config.tracing as AgentTracingOptions;
  const { model } = config;
  let run: Span;
  try {
    run = tracer.startSpan(
      agentName ? `invoke_agent ${agentName}` : 'invoke_agent',
      defined({
        'gen_ai.operation.name': 'invoke_agent',
        'gen_ai.provider.name': PROVIDER_NAMES[model.provider] ?? model.provider,
        'gen_ai.request.model': model.id,
        'gen_ai.agent.name': agentName,
        'gen_ai.request.max_tokens': config.streamOptions?.maxTokens,
        'gen_ai.request.temperature': config.streamOptions?.temperature,
      }),
      parent,
    );
  } catch (error) {
    // A tracer that fails costs the trace, never the run.
    console.error('qcore: the tracer failed to start a span', error);
    return { config, emit };
  }
  const tracing: StreamOptions['tracing'] = recordContent
    ? { tracer, parent: run, recordContent }
    : { tracer, parent: run };
  const tools = new Map<string, Span>();
  const usage = { input: 0, output: 0, cacheRead: 0, cacheWrite: 0, cost: 0 };
  let turns = 0;

  const observe = (event: AgentEvent): void => {
    switch (event.type) {
      case 'message_end': {
        const message = event.message;
        if (!('role' in message) || message.role !== 'assistant') return;
        turns++;
        usage.input += message.usage.input;
        usage.output += message.usage.output;
        usage.cacheRead += message.usage.cacheRead;
        usage.cacheWrite += message.usage.cacheWrite;
        usage.cost += message.usage.cost.total;
        return;
      }
      case 'tool_execution_start': {
        const description = config.tools?.find((tool) => tool.name === event.toolName)?.description;
        const span = tracer.startSpan(
          `execute_tool ${event.toolName}`,
          defined({
            'gen_ai.operation.name': 'execute_tool',
            'gen_ai.tool.name': event.toolName,
            'gen_ai.tool.call.id': event.toolCallId,
            'gen_ai.tool.type': 'function',
            'gen_ai.tool.description': description,
            'gen_ai.tool.call.arguments': recordContent ? JSON.stringify(event.args) : undefined,
          }),
          run,
        );
        tools.set(event.toolCallId, span);
        return;
      }
      case 'tool_execution_end': {
        const span = tools.get(event.toolCallId);
        if (!span) return;
        tools.delete(event.toolCallId);
        const text = event.result.content.map((part) => (part.type === 'text' ? part.text : '')).join('');
        if (event.isError) {
          span.setAttributes({ 'error.type': 'tool_error' });
          // What the tool said may quote what it read: only with recordContent.
          span.end(new Error(recordContent ? text : `Tool "${event.toolName}" failed`));
          return;
        }
        if (recordContent) span.setAttributes({ 'gen_ai.tool.call.result': JSON.stringify(event.result.content) });
        span.end();
        return;
      }
      case 'agent_end': {
        for (const span of tools.values()) span.end(new Error('the run ended first'));
        tools.clear();
        const failed = event.stopReason === 'error' || event.stopReason === 'aborted';
        run.setAttributes(
          defined({
            'gen_ai.usage.input_tokens': usage.input + usage.cacheRead + usage.cacheWrite,
            'gen_ai.usage.output_tokens': usage.output,
            'gen_ai.usage.cache_read.input_tokens': usage.cacheRead,
            'gen_ai.usage.cache_creation.input_tokens': usage.cacheWrite,
            'qcore.cost.usd': usage.cost,
            'qcore.turns': turns,
            'qcore.stop_reason': event.stopReason,
            'error.type': failed
              ? (event.errorKind ?? (event.stopReason === 'aborted' ? 'aborted' : 'unknown'))
              : undefined,
          }),
        );
        run.end(failed ? new Error(event.errorMessage ?? event.stopReason) : undefined);
        return;
      }
    }
  };

  return {
    config: {
      ...config,
      // Read at each model call, as the config's own: setStreamOptions() still reaches a run.
      get streamOptions() {
        return { ...config.streamOptions, tracing };
      },
    },
    emit: (event) => {
      try {
        observe(event);
      } catch (error) {
        console.error('qcore: the tracer failed', error);
      }
      emit(event);
    },
  };
}
