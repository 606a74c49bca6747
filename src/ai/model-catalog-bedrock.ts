/**
 * Models on Amazon Bedrock, spoken to over ConverseStream. Prices in US
 * dollars per million tokens.
 *
 * Checked 2026-11-26 against these pages (values marked `unverified` could
 * not be confirmed on an AWS page and come from third-party mirrors):
 *
 * - Model ids, limits and thinking styles: the Bedrock model cards
 *   https://docs.aws.amazon.com/bedrock/latest/userguide/model-card-<vendor>-<model>.html
 *   (Claude Fable 5 / 5.1, Opus 5.5, Opus 5, Opus 4.8, Sonnet 5.5, Sonnet 5,
 *   Sonnet 4.6, Haiku 5.5, Haiku 4.5), "Supported Regions and models for
 *   inference profiles" https://docs.aws.amazon.com/bedrock/latest/userguide/inference-profiles-support.html,
 *   and "Prompt caching" https://docs.aws.amazon.com/bedrock/latest/userguide/prompt-caching.html.
 *   Where the cards were out of reach, ids and limits were read from public
 *   code that cites them and was verified with ConverseStream (unverified).
 * - Prices: "Amazon Bedrock pricing" https://aws.amazon.com/bedrock/pricing/.
 *   Claude through a `global.` profile costs Anthropic's list price (the
 *   Anthropic figures in model-catalog.ts); `us.`/`eu.`/`jp.` profiles cost
 *   10% more for Claude 4.5 and later. Other vendors from the AWS Price List
 *   API for us-east-1 as quoted by third parties (unverified where marked).
 *
 * Claude ids are `global.` cross-Region inference profiles: callable from any
 * commercial Region. Claude Fable needs the account's data-retention opt-in
 * (`provider_data_share`) before Converse accepts it. Claude Fable 5.2 was not
 * yet listed on Bedrock and is left out.
 *
 * `compat.supportsCacheControl` marks models that take `cachePoint` blocks;
 * `compat.thinkingFormat` says how reasoning is switched on: unset for
 * Claude's token budget (`thinking.budget_tokens`), `reasoning_effort` for
 * adaptive thinking with an effort level, `none` for models that reason on
 * their own or whose switch qcore does not speak.
 */
import { TEXT, type Traits, vendor } from './model-catalog-vendor.js';
import type { Model } from './types.js';

/** Every Bedrock model has a `compat`, empty where it needs nothing. */
const bedrock = vendor('amazon-bedrock', 'bedrock-converse-stream', 'https://bedrock-runtime.us-east-1.amazonaws.com', {
  compat: {},
});

// ---------------------------------------------------------------- Anthropic

/** Claude 4.6 and later: adaptive thinking steered by an effort level. */
const ADAPTIVE: Traits = { compat: { supportsCacheControl: true, thinkingFormat: 'reasoning_effort' } };
/** Claude 4.5 and earlier: extended thinking with a token budget. */
const BUDGET: Traits = { compat: { supportsCacheControl: true } };

/**
 * Structured output through Converse's `outputConfig.textFormat`, where it is
 * documented: Claude Haiku 4.5 ("Get validated JSON results from models"
 * https://docs.aws.amazon.com/bedrock/latest/userguide/structured-output.html
 * lists Haiku 4.5, Sonnet 4.5, Opus 4.5 and Opus 4.6 among the supported
 * models) and Sonnet 4.6 (Anthropic's "Structured outputs" page says generally
 * available on Amazon Bedrock for Opus 4.6, Sonnet 4.6, Sonnet 4.5, Opus 4.5
 * and Haiku 4.5: https://platform.claude.com/docs/en/build-with-claude/structured-outputs).
 * Fable 5.1 and Opus 5.5 are not on those lists, but refuse a forced tool and
 * cannot stop thinking (https://platform.claude.com/docs/en/models/opus-5-5/whats-new-opus-5-5),
 * so the schema field is the only way left (unverified on Bedrock). The other
 * models get a forced tool, with thinking disabled for that call.
 */
export function native<M extends Model>(model: M): M {
  model.structuredOutput = 'native';
  return model;
}

const CLAUDE = [
  // Thinking is always on; the data-retention opt-in is required.
  native(
    bedrock(
      'global.anthropic.claude-fable-5-1',
      'Claude Fable 5.1',
      [10, 50, 0.25, 12.5],
      1_000_000,
      128_000,
      ADAPTIVE,
    ),
  ),
  // Thinking is always on (effort low to max, default medium).
  native(bedrock('global.anthropic.claude-opus-5-5', 'Claude Opus 5.5', [4, 20, 0.2, 5], 1_000_000, 128_000, ADAPTIVE)),
  bedrock('global.anthropic.claude-opus-5', 'Claude Opus 5', [5, 25, 0.5, 6.25], 1_000_000, 128_000, ADAPTIVE),
  bedrock('global.anthropic.claude-opus-4-8', 'Claude Opus 4.8', [5, 25, 0.5, 6.25], 1_000_000, 128_000, ADAPTIVE),
  // Thinking is always on. Cache read after Anthropic's 2026-10-07 cut (unverified on Bedrock).
  bedrock('global.anthropic.claude-sonnet-5-5', 'Claude Sonnet 5.5', [2, 10, 0.1, 2.5], 1_000_000, 128_000, ADAPTIVE),
  bedrock('global.anthropic.claude-sonnet-5', 'Claude Sonnet 5', [2, 10, 0.2, 2.5], 1_000_000, 128_000, ADAPTIVE),
  // The Bedrock card gives 64K output, half of the Anthropic API's.
  native(
    bedrock('global.anthropic.claude-sonnet-4-6', 'Claude Sonnet 4.6', [3, 15, 0.3, 3.75], 1_000_000, 64_000, ADAPTIVE),
  ),
  // Prompts over 100K tokens cost $0.50 / $2.50 (cache $0.05 / $0.625); these are the short-prompt prices.
  bedrock(
    'global.anthropic.claude-haiku-5-5',
    'Claude Haiku 5.5',
    [0.1, 0.5, 0.01, 0.125],
    1_000_000,
    128_000,
    ADAPTIVE,
  ),
  native(
    bedrock(
      'global.anthropic.claude-haiku-4-5-20251001-v1:0',
      'Claude Haiku 4.5',
      [1, 5, 0.1, 1.25],
      200_000,
      64_000,
      BUDGET,
    ),
  ),
];

// ---------------------------------------------------------------- other vendors

/** Amazon's Nova models: no reasoning qcore can switch on, and cache points. */
const NOVA: Traits = { reasoning: false, compat: { supportsCacheControl: true } };
/** Models that do not reason. */
const CHAT: Traits = { reasoning: false };

const OTHERS = [
  // Nova caches reads at a quarter of the input price and writes for free (unverified).
  bedrock('us.amazon.nova-pro-v1:0', 'Amazon Nova Pro', [0.8, 3.2, 0.2, 0], 300_000, 10_000, NOVA),
  bedrock('us.amazon.nova-lite-v1:0', 'Amazon Nova Lite', [0.06, 0.24, 0.015, 0], 300_000, 10_000, NOVA),
  // Text only: Converse rejects image blocks for Micro.
  bedrock('us.amazon.nova-micro-v1:0', 'Amazon Nova Micro', [0.035, 0.14, 0.00875, 0], 128_000, 10_000, {
    ...NOVA,
    input: TEXT,
  }),
  // Price from the Vercel AI Gateway listing (unverified); output limit unverified. Its extended thinking
  // takes Nova's own `reasoningConfig`, which qcore does not send: reasoning is left off.
  bedrock('us.amazon.nova-2-lite-v1:0', 'Amazon Nova 2 Lite', [0.33, 2.75, 0, 0], 1_000_000, 64_000, CHAT),
  // Context 163,840; the output cap is kept at 32K so a long prompt still fits (AWS allows 81,920).
  bedrock('deepseek.v3.2', 'DeepSeek V3.2', [0.62, 1.85, 0, 0], 163_840, 32_768, {
    input: TEXT,
    compat: { thinkingFormat: 'none' },
  }),
  // Limits unverified (the open model's native 256K context).
  bedrock('qwen.qwen3-235b-a22b-2507-v1:0', 'Qwen3 235B A22B 2507', [0.22, 0.88, 0, 0], 262_144, 32_768, {
    ...CHAT,
    input: TEXT,
  }),
  // ConverseStream refuses tools for Llama models: chat only. Price and output limit unverified.
  bedrock(
    'us.meta.llama4-maverick-17b-instruct-v1:0',
    'Llama 4 Maverick 17B',
    [0.24, 0.97, 0, 0],
    1_000_000,
    8_192,
    CHAT,
  ),
];

export const BEDROCK_MODELS = [...CLAUDE, ...OTHERS];
