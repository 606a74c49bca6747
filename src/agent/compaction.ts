/**
 * Compaction: replaces the older part of the history with one summary
 * message and keeps the most recent messages verbatim. Where to cut, and
 * the run of one compaction with its events; the summary itself comes from
 * `summarize.ts` or the caller's `summarize`.
 */
import type { ErrorKind, Model } from '../ai/types.js';
import { estimateMessageTokens } from './context-estimate.js';
import { SummaryError, summarizeWithModel } from './summarize.js';
import type {
  AgentEvent,
  AgentLoopConfig,
  AgentMessage,
  CompactionReason,
  CompactionResult,
  CompactionSummaryMessage,
} from './types.js';

export const DEFAULT_RESERVE_TOKENS = 16_384;
export const DEFAULT_KEEP_RECENT_TOKENS = 20_000;

export interface CompactionLimits {
  /** Compact when the next request would hold more than this. */
  threshold: number;
  /** Tokens kept verbatim. */
  keep: number;
}

/**
 * The reserve is never less than the request's output limit, and at most
 * half the window, so a model whose output limit equals its window (common
 * for local servers) still has room to compact into. What is kept verbatim
 * is at most half of what may be sent, so a compaction always frees room.
 */
export function compactionLimits(model: Model, config: AgentLoopConfig): CompactionLimits {
  const window = model.contextWindow;
  const output = config.streamOptions?.maxTokens ?? model.maxTokens;
  const reserve = Math.min(
    Math.max(config.compaction?.reserveTokens ?? DEFAULT_RESERVE_TOKENS, output),
    Math.floor(window / 2),
  );
  const threshold = window - reserve;
  const keep = Math.min(config.compaction?.keepRecentTokens ?? DEFAULT_KEEP_RECENT_TOKENS, Math.floor(threshold / 2));
  return { threshold, keep };
}

/**
 * The index of the first message kept verbatim: about `keep` tokens from the
 * end, never a tool result (its call must come with it), and with at least
 * one message before it besides an earlier summary. `undefined` when there
 * is nothing to summarize.
 */
export function findCutPoint(messages: readonly AgentMessage[], keep: number): number | undefined {
  const n = messages.length;
  const minCut = messages[0]?.role === 'compactionSummary' ? 2 : 1;
  if (n < minCut) return undefined;
  const isResult = (i: number) => i < n && messages[i]?.role === 'toolResult';
  let kept = 0;
  let cut = 0;
  for (let i = n - 1; i >= 0; i--) {
    kept += estimateMessageTokens(messages[i] as AgentMessage);
    if (kept > keep) {
      cut = i + 1;
      break;
    }
  }
  if (cut < minCut) {
    // Everything fits in `keep` (a manual compaction, or a provider that counts more than the
    // estimate): summarize all but the last prompt and what followed it.
    cut = minCut;
    for (let i = n - 1; i >= minCut; i--) {
      if (messages[i]?.role === 'user') {
        cut = i;
        break;
      }
    }
  }
  // Back to the call the results answer, unless that keeps twice the budget; else past them.
  let back = cut;
  while (back > minCut && isResult(back)) back--;
  if (!isResult(back) && back >= minCut && tokensFrom(messages, back) <= 2 * keep) return back;
  while (isResult(cut)) cut++;
  return cut;
}

function tokensFrom(messages: readonly AgentMessage[], start: number): number {
  let tokens = 0;
  for (let i = start; i < messages.length; i++) tokens += estimateMessageTokens(messages[i] as AgentMessage);
  return tokens;
}

export type CompactionOutcome =
  | ({ ok: true } & CompactionResult)
  | { ok: false; aborted: boolean; errorMessage: string; errorKind: ErrorKind };

export interface CompactionRun {
  messages: readonly AgentMessage[];
  /** The model that writes the summary: the current one. */
  model: Model;
  config: AgentLoopConfig;
  reason: CompactionReason;
  tokensBefore: number;
  /** System prompt and tools, for `tokensAfter`. */
  fixedTokens: number;
  keep: number;
  signal: AbortSignal;
  emit: (event: AgentEvent) => void;
  instructions?: string;
}

/** Runs one compaction with its events; the caller swaps the history on success. Never throws. */
export async function runCompaction(run: CompactionRun): Promise<CompactionOutcome> {
  const { messages, reason, tokensBefore, signal } = run;
  run.emit({ type: 'compaction_start', reason, tokensBefore });
  let outcome: CompactionOutcome;
  try {
    const cut = findCutPoint(messages, run.keep);
    if (cut === undefined) throw new SummaryError('there is nothing to compact yet', 'invalid_request');
    const prefix = messages.slice(0, cut);
    const summarize = run.config.compaction?.summarize;
    const options = run.instructions ? { instructions: run.instructions } : {};
    const summary = summarize
      ? await summarize(prefix, signal, options)
      : await summarizeWithModel({ messages: prefix, model: run.model, config: run.config, signal, ...options });
    if (signal.aborted) throw new SummaryError('aborted', 'aborted');
    if (typeof summary !== 'string' || summary.trim() === '') {
      throw new SummaryError('the summarizer returned no summary', 'invalid_output');
    }
    const message: CompactionSummaryMessage = {
      role: 'compactionSummary',
      summary,
      tokensBefore,
      timestamp: Date.now(),
    };
    const tokensAfter = run.fixedTokens + estimateMessageTokens(message) + tokensFrom(messages, cut);
    outcome = { ok: true, summary, tokensBefore, tokensAfter, firstKeptIndex: cut, message };
  } catch (error) {
    const aborted = signal.aborted;
    const reasonText = error instanceof Error ? error.message : String(error);
    outcome = {
      ok: false,
      aborted,
      errorMessage: aborted ? 'The compaction was aborted' : `Compaction failed: ${reasonText}`,
      errorKind: aborted ? 'aborted' : error instanceof SummaryError ? error.kind : 'unknown',
    };
  }
  if (outcome.ok) {
    const { ok: _ok, ...result } = outcome;
    run.emit({ type: 'compaction_end', reason, ok: true, ...result });
  } else {
    run.emit({
      type: 'compaction_end',
      reason,
      tokensBefore,
      ok: false,
      aborted: outcome.aborted,
      errorMessage: outcome.errorMessage,
    });
  }
  return outcome;
}

/** The summary as the model reads it: a user message. */
export function compactionSummaryText(message: CompactionSummaryMessage): string {
  return `The conversation so far was compacted. This is its summary; the messages after it are the most recent, kept as they were.\n\n<summary>\n${message.summary}\n</summary>`;
}
