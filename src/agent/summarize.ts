/**
 * The default summarizer of a compaction: the replaced messages as a plain
 * transcript, sent to the model with a request for a structured summary. A
 * transcript rather than the messages themselves, so that any prefix is a
 * valid request (no tool call without its result, no provider data from
 * another model), and so that it can be cut into pieces that each fit the
 * summarizer's own window: each piece is summarized together with the
 * summary so far.
 */
import { stream as defaultStream } from '../ai/stream.js';
import type { AssistantMessage, ErrorKind, Model, StreamOptions } from '../ai/types.js';
import { estimateTextTokens } from './context-estimate.js';
import type { AgentLoopConfig, AgentMessage } from './types.js';

/** A summary request the model could not answer; `kind` is the reply's error kind. */
export class SummaryError extends Error {
  override name = 'SummaryError';
  constructor(
    message: string,
    readonly kind: ErrorKind,
  ) {
    super(message);
  }
}

const SYSTEM_PROMPT = `You write the summary that replaces the older part of a conversation between a user and an AI coding agent. The agent will continue the work from your summary and the most recent messages alone, so keep everything it needs to go on and nothing it does not.`;

const SECTIONS = `Write the summary in Markdown, with these sections, leaving out any that would be empty:
## Goal
What the user wants, in their words where it matters.
## Decisions
What was decided or learned, and why: approaches chosen and rejected, constraints found.
## Files touched
One line per file: its path, what was changed or learned there, and why.
## Open tasks
What is left to do, and where the work stopped.
## Keep
Anything the user asked to remember, and exact details still needed: names, values, commands, error messages.`;

/** Tool results and call arguments are cut to this many characters in the transcript: the summary needs their gist. */
const RESULT_CHARS = 4_000;
const ARGUMENT_CHARS = 1_000;
/** The words around the transcript, in tokens, with room to spare. */
const PROMPT_TOKENS = 600;

export interface SummarizeRequest {
  messages: readonly AgentMessage[];
  model: Model;
  config: Pick<AgentLoopConfig, 'streamFn' | 'streamOptions' | 'getApiKey'>;
  signal: AbortSignal;
  instructions?: string;
}

/** The summary's output limit: enough for a long summary, and a small share of a small window. */
export function summaryMaxTokens(model: Model): number {
  return Math.max(256, Math.min(model.maxTokens, 8_192, Math.floor(model.contextWindow / 4)));
}

export async function summarizeWithModel(request: SummarizeRequest): Promise<string> {
  const { model } = request;
  const maxTokens = summaryMaxTokens(model);
  const texts = request.messages.map(transcriptOf).filter((text) => text !== '');
  let budget = model.contextWindow - maxTokens - PROMPT_TOKENS - estimateTextTokens(request.instructions ?? '');
  // Each piece also carries the summary so far, which is at most maxTokens long.
  budget -= maxTokens;
  for (let attempt = 0; ; attempt++) {
    if (budget < 256) {
      throw new SummaryError(`${model.id}'s context window is too small to write a summary in`, 'context_overflow');
    }
    let largest = 0;
    try {
      let summary: string | undefined;
      for (const piece of pieces(texts, budget)) {
        largest = Math.max(largest, estimateTextTokens(piece));
        summary = await summarizePiece(request, piece, summary, maxTokens);
      }
      return summary ?? '';
    } catch (error) {
      // The server's window is smaller than the model says, or the estimate ran short of its count:
      // pieces half the size of the one refused, three times at most.
      if (!(error instanceof SummaryError && error.kind === 'context_overflow') || attempt === 3) throw error;
      budget = Math.floor(Math.min(budget, largest) / 2);
    }
  }
}

async function summarizePiece(
  request: SummarizeRequest,
  transcript: string,
  previous: string | undefined,
  maxTokens: number,
): Promise<string> {
  const { model, config, signal } = request;
  let prompt = '';
  if (previous) prompt += `<summary-so-far>\n${previous}\n</summary-so-far>\n\nThe conversation goes on:\n\n`;
  prompt += `<conversation>\n${transcript}\n</conversation>\n\n${SECTIONS}`;
  if (previous) prompt += '\nMerge the summary so far into yours: the result replaces both.';
  if (request.instructions) prompt += `\n\nThe user asked for this in particular: ${request.instructions}`;
  // The summary needs no extended thinking, and the agent's limit is for its replies.
  const { reasoning: _reasoning, maxTokens: _maxTokens, ...base } = config.streamOptions ?? {};
  const options: StreamOptions = { ...base, maxTokens, signal };
  const apiKey = config.getApiKey ? await config.getApiKey(model.provider) : undefined;
  if (apiKey) options.apiKey = apiKey;
  const reply: AssistantMessage = await (config.streamFn ?? defaultStream)(
    model,
    { systemPrompt: SYSTEM_PROMPT, messages: [{ role: 'user', content: prompt, timestamp: Date.now() }] },
    options,
  ).result();
  if (reply.stopReason === 'error' || reply.stopReason === 'aborted') {
    throw new SummaryError(
      `the summary request failed: ${reply.errorMessage ?? reply.stopReason}`,
      reply.errorKind ?? (reply.stopReason === 'aborted' ? 'aborted' : 'unknown'),
    );
  }
  const text = reply.content
    .map((part) => (part.type === 'text' ? part.text : ''))
    .join('')
    .trim();
  if (!text) throw new SummaryError(`${model.id} answered the summary request with no text`, 'invalid_output');
  return text;
}

/** Consecutive transcript entries joined into pieces of at most `budget` tokens; an entry too long alone is cut. */
function* pieces(texts: readonly string[], budget: number): Generator<string> {
  const maxChars = Math.floor(budget * 3.5);
  let piece = '';
  for (const text of texts) {
    if (piece && piece.length + text.length + 2 > maxChars) {
      yield piece;
      piece = '';
    }
    if (text.length <= maxChars) {
      piece = piece ? `${piece}\n\n${text}` : text;
      continue;
    }
    for (let start = 0; start < text.length; start += maxChars) yield text.slice(start, start + maxChars);
  }
  if (piece) yield piece;
}

function clip(text: string, max: number): string {
  if (text.length <= max) return text;
  const head = Math.floor(max * 0.7);
  return `${text.slice(0, head)}\n[… ${text.length - max} characters left out …]\n${text.slice(text.length - (max - head))}`;
}

function partsText(content: string | readonly { type: string; text?: string }[]): string {
  if (typeof content === 'string') return content;
  return content.map((part) => (part.type === 'text' ? (part.text ?? '') : `[${part.type}]`)).join('\n');
}

/** One message as a transcript entry; '' for what the summary does not need. */
function transcriptOf(message: AgentMessage): string {
  switch (message.role) {
    case 'compactionSummary':
      return `[summary of the conversation before this point]\n${message.summary}`;
    case 'user':
      return `[user]\n${partsText(message.content)}`;
    case 'assistant': {
      if (message.stopReason === 'error' || message.stopReason === 'aborted') return '';
      const lines: string[] = [];
      for (const part of message.content) {
        if (part.type === 'text' && part.text.trim()) lines.push(part.text);
        else if (part.type === 'toolCall') {
          lines.push(`(calls ${part.name} ${clip(JSON.stringify(part.arguments), ARGUMENT_CHARS)})`);
        }
      }
      return lines.length > 0 ? `[assistant]\n${lines.join('\n')}` : '';
    }
    case 'toolResult':
      return `[${message.toolName} ${message.isError ? 'failed' : 'result'}]\n${clip(partsText(message.content), RESULT_CHARS)}`;
    default:
      return `[note]\n${clip(JSON.stringify(message), RESULT_CHARS)}`;
  }
}
