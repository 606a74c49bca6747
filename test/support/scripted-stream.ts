import type { StreamFn } from '../../src/agent/types.js';
import { MessageAssembler } from '../../src/ai/assembler.js';
import { AssistantMessageEventStream } from '../../src/ai/event-stream.js';
import type { Context, ErrorKind, Model, StreamOptions } from '../../src/ai/types.js';

export interface ScriptedReply {
  thinking?: string;
  text?: string;
  toolCalls?: { id?: string; name: string; args: Record<string, unknown> | string }[];
  /** Ends the reply with a provider error. */
  error?: string;
  /** The error's kind. Default `unknown`. */
  errorKind?: ErrorKind;
  /** Reported usage. Default 10 input and 5 output tokens. */
  usage?: { input: number; output: number };
  /** Streams nothing until aborted. */
  hang?: boolean;
  /** Ends the reply as cut by the token limit. */
  length?: boolean;
}

export type ScriptedTurn = ScriptedReply | ((context: Context) => ScriptedReply);

export interface ScriptedStreamFn extends StreamFn {
  /** The context of every call, as sent. */
  contexts: Context[];
  /** The options of every call, without the signal. */
  options: Omit<StreamOptions, 'signal'>[];
}

let ids = 0;

/** A StreamFn that plays scripted replies through the real assembler: no network, any runtime. */
export function scriptedStream(turns: ScriptedTurn[]): ScriptedStreamFn {
  const queue = [...turns];
  const contexts: Context[] = [];
  const optionsSent: Omit<StreamOptions, 'signal'>[] = [];
  const fn = ((model: Model, context: Context, options?: StreamOptions) => {
    contexts.push(structuredClone(context));
    const { signal: _signal, ...sent } = options ?? {};
    optionsSent.push(sent);
    const out = new AssistantMessageEventStream();
    const asm = new MessageAssembler(model, out);
    const signal = options?.signal;
    const next = queue.shift();
    void (async () => {
      const reply = typeof next === 'function' ? next(context) : next;
      if (!reply) return asm.fail('error', 'scripted stream: no reply left');
      const step = async () => {
        await new Promise((resolve) => setTimeout(resolve, 0));
        if (signal?.aborted) throw new Error('aborted');
      };
      try {
        if (reply.hang) {
          await new Promise<void>((_, reject) => {
            if (signal?.aborted) reject(new Error('aborted'));
            signal?.addEventListener('abort', () => reject(new Error('aborted')), { once: true });
          });
        }
        await step();
        if (reply.thinking) asm.thinkingDelta(asm.startThinking(), reply.thinking);
        if (reply.text) {
          const index = asm.startText();
          for (const word of reply.text.split(/(?<= )/)) {
            asm.textDelta(index, word);
            await step();
          }
        }
        for (const call of reply.toolCalls ?? []) {
          const index = asm.startToolCall(call.id ?? `call_${++ids}`, call.name);
          asm.toolCallDelta(index, typeof call.args === 'string' ? call.args : JSON.stringify(call.args));
          asm.endBlock(index);
          await step();
        }
        asm.setUsage(reply.usage ?? { input: 10, output: 5 });
        if (reply.error) asm.fail('error', reply.error, reply.errorKind ?? 'unknown');
        else asm.finish(reply.length ? 'length' : reply.toolCalls?.length ? 'toolUse' : 'stop');
      } catch {
        asm.fail('aborted', 'Request was aborted');
      }
    })();
    return out;
  }) as unknown as ScriptedStreamFn;
  fn.contexts = contexts;
  fn.options = optionsSent;
  return fn;
}

export const testModel: Model = {
  id: 'scripted',
  name: 'Scripted',
  api: 'scripted',
  provider: 'scripted',
  baseUrl: 'http://127.0.0.1:9',
  reasoning: false,
  input: ['text'],
  cost: { input: 1, output: 2, cacheRead: 0, cacheWrite: 0 },
  contextWindow: 100_000,
  maxTokens: 1_000,
};
