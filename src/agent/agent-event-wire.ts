/**
 * The agent-event wire format: agent events as server-sent events, from a
 * server that runs the agent (`createAgentHandler`) to a client that shows it
 * (`connectAgent`).
 *
 * Each event is `event: <type>\ndata: <json>\n\n`, the event as is, except
 * `message_update`: its live partial message would make a reply cost the
 * square of its length, so it carries only the delta. The decoder rebuilds
 * the partial from the deltas. Fields the provider changes without an event
 * of their own (usage, a late signature or tool call id) ride along on the
 * next update. A server that fails sends `event: error` with `{ message }`.
 * The `data` JSON, one per line, is also what `qcore --json` prints.
 */
import { PartialJsonParser } from '../ai/partial-json.js';
import type {
  AssistantMessage,
  AssistantMessageEvent,
  ErrorInfo,
  ErrorKind,
  TextContent,
  ThinkingContent,
  ToolCall,
} from '../ai/types.js';
import type { AgentEvent, AgentMessage, AgentStopReason, TurnMessage } from './types.js';

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

type BlockEvent = Exclude<AssistantMessageEvent, { type: 'start' | 'done' | 'error' }>;

/**
 * A block event without its partial; `toolcall_start` adds the call's id and
 * name. `object_delta` goes without its object: the client parses it from
 * the text deltas it already has, so the wire stays linear in the reply.
 */
export type AgentWireDelta =
  | DistributiveOmit<Exclude<BlockEvent, { type: 'toolcall_start' | 'object_delta' }>, 'partial'>
  | { type: 'toolcall_start'; contentIndex: number; id: string; name: string }
  | { type: 'object_delta'; contentIndex: number };

type MessageHead = Omit<AssistantMessage, 'content'>;
type Block = AssistantMessage['content'][number];

export interface AgentWireMessageUpdate {
  type: 'message_update';
  assistantMessageEvent: AgentWireDelta;
  /** Every field but `content`, when one changed since the last event. */
  head?: MessageHead;
  /** Blocks whose fields other than their streamed one (text, thinking, arguments) changed. */
  blocks?: { contentIndex: number; fields: Record<string, unknown> }[];
}

export type AgentWireEvent = Exclude<AgentEvent, { type: 'message_update' }> | AgentWireMessageUpdate;

/** A server `error` event, or data that is not the wire format. */
export class AgentWireError extends Error {
  override name = 'AgentWireError';
  constructor(
    message: string,
    /** `server` for the server's own `error` event; `invalid_output` for data that is not the wire format. */
    readonly kind: Extract<ErrorKind, 'server' | 'invalid_output'> = 'invalid_output',
  ) {
    super(message);
  }
}

/** The field each block type streams; every other field is sent whole when it changes. */
const STREAMED: Record<Block['type'], string> = { text: 'text', thinking: 'thinking', toolCall: 'arguments' };

function fieldsOf(block: Block): Record<string, unknown> {
  const { [STREAMED[block.type]]: _streamed, ...fields } = block as unknown as Record<string, unknown>;
  return fields;
}

function headOf(message: AssistantMessage): MessageHead {
  const { content: _content, ...head } = message;
  return head;
}

function isAssistant(message: AgentMessage): message is AssistantMessage {
  return typeof message === 'object' && message !== null && 'role' in message && message.role === 'assistant';
}

/** The `event: error` a server sends when it fails outside the run. */
export function encodeAgentWireError(message: string): string {
  return `event: error\ndata: ${JSON.stringify({ message })}\n\n`;
}

/**
 * Encodes one run's events, in order. Call it from the agent's listener, as
 * each event is emitted: the partial is live, and what it holds at that
 * moment is what goes out.
 */
export class AgentEventEncoder {
  /** The head and open blocks' fields as the client knows them, as JSON. */
  private knownHead = '';
  private readonly knownBlocks = new Map<number, string>();

  /** The event as one SSE event: `event: <type>` and its `data()`. */
  encode(event: AgentEvent): string {
    return `event: ${event.type}\ndata: ${this.data(event)}\n\n`;
  }

  /**
   * The event as one line of JSON (with its `type`): the SSE `data` payload,
   * and each line of `qcore --json`. Stateful: every event of the run goes
   * through the same encoder, in order.
   */
  data(event: AgentEvent): string {
    if (event.type === 'message_update') return JSON.stringify(this.update(event.message, event.assistantMessageEvent));
    if (event.type === 'message_start' && isAssistant(event.message)) {
      this.knownHead = JSON.stringify(headOf(event.message));
      this.knownBlocks.clear();
    }
    return JSON.stringify(event);
  }

  private update(message: AssistantMessage, event: AssistantMessageEvent): AgentWireMessageUpdate {
    if (event.type === 'start' || event.type === 'done' || event.type === 'error') {
      throw new AgentWireError(`a message_update never carries a ${event.type} event`);
    }
    // Nothing else changes with it, and its object is what the text deltas already said.
    if (event.type === 'object_delta') {
      return {
        type: 'message_update',
        assistantMessageEvent: { type: 'object_delta', contentIndex: event.contentIndex },
      };
    }
    const { partial: _partial, ...rest } = event;
    let delta = rest as AgentWireDelta;
    const index = event.contentIndex;
    const block = message.content[index] as Block;
    switch (event.type) {
      case 'text_start':
        this.knownBlocks.set(index, JSON.stringify({ type: 'text' }));
        break;
      case 'thinking_start':
        this.knownBlocks.set(index, JSON.stringify({ type: 'thinking' }));
        break;
      case 'toolcall_start': {
        const call = block as ToolCall;
        delta = { ...rest, type: 'toolcall_start', id: call.id, name: call.name };
        this.knownBlocks.set(index, JSON.stringify({ type: 'toolCall', id: call.id, name: call.name }));
        break;
      }
      case 'toolcall_end':
        // The final call goes out whole, so the client knows all of it.
        this.knownBlocks.set(index, JSON.stringify(fieldsOf(event.toolCall)));
        break;
    }
    const wire: AgentWireMessageUpdate = { type: 'message_update', assistantMessageEvent: delta };
    const changed: { contentIndex: number; fields: Record<string, unknown> }[] = [];
    for (const [open, known] of this.knownBlocks) {
      const current = message.content[open];
      if (!current) continue;
      const fields = fieldsOf(current);
      const json = JSON.stringify(fields);
      if (json === known) continue;
      this.knownBlocks.set(open, json);
      changed.push({ contentIndex: open, fields });
    }
    if (changed.length > 0) wire.blocks = changed;
    if (event.type === 'text_end' || event.type === 'thinking_end' || event.type === 'toolcall_end') {
      this.knownBlocks.delete(index);
    }
    const head = headOf(message);
    const headJson = JSON.stringify(head);
    if (headJson !== this.knownHead) {
      this.knownHead = headJson;
      wire.head = head;
    }
    return wire;
  }
}

/**
 * Turns wire events back into agent events. Like a local Agent's, the
 * assistant message of every `message_update` and `message_end` is one
 * object, updated in place as deltas arrive; `message_start` keeps the
 * reply as it began.
 */
export class AgentEventDecoder {
  private live: AssistantMessage | undefined;
  private readonly parsers = new Map<number, PartialJsonParser>();
  /** Structured output's text blocks: the parser, and how much of the block's text it has read. */
  private readonly objects = new Map<number, { parser: PartialJsonParser; read: number }>();
  private readonly completed: TurnMessage[] = [];
  private ended = false;

  /** The messages that ended so far in this run. */
  get messages(): readonly TurnMessage[] {
    return this.completed;
  }

  /** True once `agent_end` went out. */
  get isEnded(): boolean {
    return this.ended;
  }

  /** Decodes one SSE event. Throws `AgentWireError` for an `error` event or data that does not parse. */
  decode(type: string, data: string): AgentEvent {
    let parsed: unknown;
    try {
      parsed = JSON.parse(data);
    } catch {
      throw new AgentWireError(`the ${type} event's data is not JSON`);
    }
    if (type === 'error') {
      const message = (parsed as { message?: unknown } | null)?.message;
      throw new AgentWireError(`the server failed: ${typeof message === 'string' ? message : data}`, 'server');
    }
    const wire = parsed as AgentWireEvent;
    if (typeof wire !== 'object' || wire === null || wire.type !== type) {
      throw new AgentWireError(`the ${type} event does not hold a ${type} agent event`);
    }
    return this.rebuild(wire);
  }

  /**
   * Ends a run the server could not finish: closes the message being
   * streamed with `stopReason`, then `agent_end`. Nothing after `agent_end`.
   */
  interrupt(
    stopReason: Extract<AgentStopReason, 'aborted' | 'error'>,
    errorMessage: string,
    info: ErrorInfo = { errorKind: stopReason === 'aborted' ? 'aborted' : 'unknown' },
  ): AgentEvent[] {
    if (this.ended) return [];
    const events: AgentEvent[] = [];
    const live = this.live;
    if (live) {
      live.stopReason = stopReason;
      live.errorMessage = errorMessage;
      Object.assign(live, info);
      events.push(this.rebuild({ type: 'message_end', message: live }));
    }
    events.push(this.rebuild({ type: 'agent_end', messages: [...this.completed], stopReason, errorMessage, ...info }));
    return events;
  }

  private rebuild(wire: AgentWireEvent): AgentEvent {
    switch (wire.type) {
      case 'message_start':
        if (isAssistant(wire.message)) {
          this.live = structuredClone(wire.message);
          this.parsers.clear();
          this.objects.clear();
        }
        return wire;
      case 'message_update':
        return this.update(wire);
      case 'message_end': {
        let message = wire.message;
        const live = this.live;
        if (isAssistant(message) && live) {
          // The server's final message, in the object the client has held since message_start.
          if (message !== live) {
            for (const key of Object.keys(live)) delete (live as unknown as Record<string, unknown>)[key];
            message = Object.assign(live, message);
          }
          this.live = undefined;
          this.parsers.clear();
          this.objects.clear();
        }
        this.completed.push(message);
        return { type: 'message_end', message };
      }
      case 'agent_end':
        this.ended = true;
        return wire;
      default:
        return wire;
    }
  }

  private update(wire: AgentWireMessageUpdate): AgentEvent {
    const message = this.live;
    if (!message) throw new AgentWireError('message_update before the message_start of an assistant message');
    const delta = wire.assistantMessageEvent;
    const index = delta.contentIndex;
    const content = message.content;
    if (!delta.type.endsWith('_start') && !content[index]) {
      throw new AgentWireError(`${delta.type} for block ${index}, which was never started`);
    }
    let event: AssistantMessageEvent;
    switch (delta.type) {
      case 'text_start':
        content[index] = { type: 'text', text: '' };
        event = { ...delta, partial: message };
        break;
      case 'text_delta':
        (content[index] as TextContent).text += delta.delta;
        event = { ...delta, partial: message };
        break;
      case 'text_end':
        (content[index] as TextContent).text = delta.content;
        event = { ...delta, partial: message };
        break;
      case 'thinking_start':
        content[index] = { type: 'thinking', thinking: '' };
        event = { ...delta, partial: message };
        break;
      case 'thinking_delta':
        (content[index] as ThinkingContent).thinking += delta.delta;
        event = { ...delta, partial: message };
        break;
      case 'thinking_end':
        (content[index] as ThinkingContent).thinking = delta.content;
        event = { ...delta, partial: message };
        break;
      case 'toolcall_start':
        content[index] = { type: 'toolCall', id: delta.id, name: delta.name, arguments: {} };
        this.parsers.set(index, new PartialJsonParser());
        event = { type: 'toolcall_start', contentIndex: index, partial: message };
        break;
      case 'toolcall_delta': {
        const parser = this.parsers.get(index);
        if (!parser) throw new AgentWireError(`toolcall_delta for block ${index}, which is not an open tool call`);
        parser.feed(delta.delta);
        const value = parser.value;
        // As the provider's assembler does: the arguments are the parser's live tree.
        if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
          (content[index] as ToolCall).arguments = value as Record<string, unknown>;
        }
        event = { ...delta, partial: message };
        break;
      }
      case 'toolcall_end':
        content[index] = delta.toolCall;
        this.parsers.delete(index);
        event = { ...delta, partial: message };
        break;
      case 'object_delta': {
        let object = this.objects.get(index);
        if (!object) {
          object = { parser: new PartialJsonParser(), read: 0 };
          this.objects.set(index, object);
        }
        const text = (content[index] as TextContent).text;
        object.parser.feed(text.slice(object.read));
        object.read = text.length;
        event = { type: 'object_delta', contentIndex: index, object: object.parser.value, partial: message };
        break;
      }
      default:
        throw new AgentWireError(`unknown message_update event ${(delta as { type: unknown }).type}`);
    }
    for (const { contentIndex, fields } of wire.blocks ?? []) {
      const block = content[contentIndex];
      if (!block) continue;
      const target = block as unknown as Record<string, unknown>;
      const streamed = STREAMED[block.type];
      for (const key of Object.keys(target)) if (key !== streamed && !(key in fields)) delete target[key];
      Object.assign(target, fields);
    }
    if (wire.head) {
      const target = message as unknown as Record<string, unknown>;
      for (const key of Object.keys(target)) if (key !== 'content' && !(key in wire.head)) delete target[key];
      Object.assign(message, wire.head);
    }
    return { type: 'message_update', message, assistantMessageEvent: event };
  }
}
