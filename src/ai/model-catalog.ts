/**
 * Hand-kept model registry: prices in US dollars per million tokens.
 *
 * Checked 2026-11-26 against these pages (values marked `unverified` could
 * not be confirmed on the provider's own page and come from third-party
 * mirrors or from the provider's usual ratios):
 *
 * - Anthropic: "Pricing" https://platform.claude.com/docs/en/about-claude/pricing
 *   and the per-model "Models overview" pages
 *   https://platform.claude.com/docs/en/models/<model>/overview
 *   (Fable 5.2, Fable 5.1, Opus 5.5, Opus 5, Opus 4.8, Opus 4.6, Opus 4.5,
 *   Sonnet 5.5, Sonnet 5, Sonnet 4.6, Haiku 5.5, Haiku 4.5).
 * - OpenAI: "Models" https://developers.openai.com/api/docs/models/<id>,
 *   "Pricing" https://developers.openai.com/api/docs/pricing and
 *   "Deprecations" https://developers.openai.com/api/docs/deprecations.
 * - Qwen: "Models" https://www.alibabacloud.com/help/en/model-studio/models and
 *   "Model pricing" https://www.alibabacloud.com/help/en/model-studio/model-pricing
 *   (read through the models.dev mirror of the international price list).
 * - Kimi: "Models" https://platform.kimi.ai/docs/models and "Pricing"
 *   https://platform.kimi.ai/docs/pricing/chat.
 * - DeepSeek: "Models & Pricing" https://api-docs.deepseek.com/quick_start/pricing
 *   and "Your First API Call" https://api-docs.deepseek.com/.
 *
 * Models named in older plans that are gone from the APIs and so left out:
 * o4-mini (shut down 2026-10-23); kimi-k2-0905-preview, kimi-k2-turbo-preview,
 * kimi-k2-thinking, kimi-k2-thinking-turbo (retired 2026-05-25);
 * deepseek-chat and deepseek-reasoner (retired 2026-07-24).
 */
import { BEDROCK_MODELS, native } from './model-catalog-bedrock.js';
import { GOOGLE_MODELS } from './model-catalog-google.js';
import { type Price, TEXT, type Traits, vendor } from './model-catalog-vendor.js';
import type { Model } from './types.js';

// ---------------------------------------------------------------- Anthropic

/**
 * Every current Claude model takes text and images and can think (extended or
 * adaptive thinking). `cacheWrite` is the 5-minute cache write price.
 */
const anthropic = vendor('anthropic', 'anthropic-messages', 'https://api.anthropic.com');

const ANTHROPIC = [
  // Input/output from the official overview; cache prices from third-party
  // mirrors of the pricing page (unverified).
  anthropic('claude-fable-5-2', [8, 40, 0.2, 10], 1_000_000, 128_000),
  // Cache reads on Fable 5.1 are 0.025x input.
  anthropic('claude-fable-5-1', [10, 50, 0.25, 12.5], 1_000_000, 128_000),
  // Cache reads on Opus 5.5 are 0.05x input.
  anthropic('claude-opus-5-5', [4, 20, 0.2, 5], 1_000_000, 128_000),
  anthropic('claude-opus-5', [5, 25, 0.5, 6.25], 1_000_000, 128_000),
  anthropic('claude-opus-4-8', [5, 25, 0.5, 6.25], 1_000_000, 128_000),
  // Limits unverified (overview page not found; same as Opus 4.6 and 4.8).
  anthropic('claude-opus-4-7', [5, 25, 0.5, 6.25], 1_000_000, 128_000),
  anthropic('claude-opus-4-6', [5, 25, 0.5, 6.25], 1_000_000, 128_000),
  // Alias of claude-opus-4-5-20251101; retirement "not sooner than 2026-11-24".
  anthropic('claude-opus-4-5', [5, 25, 0.5, 6.25], 200_000, 64_000),
  // Cache read cut from $0.20 to $0.10 on 2026-10-07 (third-party reports of
  // the pricing page; the model overview still showed $0.20) (unverified).
  anthropic('claude-sonnet-5-5', [2, 10, 0.1, 2.5], 1_000_000, 128_000),
  anthropic('claude-sonnet-5', [2, 10, 0.2, 2.5], 1_000_000, 128_000),
  // Cache prices follow the 0.1x / 1.25x rule (unverified).
  anthropic('claude-sonnet-4-6', [3, 15, 0.3, 3.75], 1_000_000, 128_000),
  // Tiered by prompt length: these are the prices for prompts up to 100K
  // tokens; longer prompts cost $0.50 / $2.50 (cache $0.05 / $0.625).
  // Cache prices from third-party mirrors (unverified).
  anthropic('claude-haiku-5-5', [0.1, 0.5, 0.01, 0.125], 1_000_000, 128_000),
  // Alias of claude-haiku-4-5-20251001. Cache prices follow the 0.1x / 1.25x
  // rule (unverified).
  anthropic('claude-haiku-4-5', [1, 5, 0.1, 1.25], 200_000, 64_000),
];

/**
 * Structured output is asked with `output_config.format` on every model here.
 * "Structured outputs" https://platform.claude.com/docs/en/build-with-claude/structured-outputs
 * names Opus 4.6, Sonnet 4.6, Sonnet 4.5, Opus 4.5 and Haiku 4.5 (generally
 * available, no beta header); the later models are taken to have it too
 * (Vertex AI's Claude page lists Opus 4.7 and says 4.5 and later; unverified on
 * Anthropic's page for 4.7 and later). Opus 5.5 and Fable 5.1 leave no other
 * way: they refuse a forced tool and thinking cannot be turned off
 * (https://platform.claude.com/docs/en/models/opus-5-5/whats-new-opus-5-5).
 */
ANTHROPIC.forEach(native);

// ---------------------------------------------------------------- OpenAI

/**
 * OpenAI's reasoning models (GPT-5.x, GPT-6.x, o-series) over the Responses
 * API, which OpenAI recommends for them: their reasoning carries over to the
 * next turn (encrypted, as `store` is off) instead of being thrown away. For
 * Chat Completions instead, derive a model with `api: 'openai-completions'`
 * and the compat `{ maxTokensField: 'max_completion_tokens',
 * supportsDeveloperRole: true, thinkingFormat: 'reasoning_effort' }`.
 * `cacheRead` is the cached input price; `cacheWrite` is 0 where OpenAI does
 * not charge for writes, and the 30-minute write price where it does
 * (GPT-5.6 and later).
 */
const openai = vendor('openai', 'openai-responses', 'https://api.openai.com/v1');

/**
 * OpenAI's models that do not reason stay on Chat Completions: the Responses
 * API adds nothing for them (no reasoning to carry over), and they keep
 * OpenAI itself on the path every compatible server shares.
 */
const openaiChat = vendor('openai', 'openai-completions', 'https://api.openai.com/v1', {
  reasoning: false,
  compat: { maxTokensField: 'max_completion_tokens', thinkingFormat: 'none' },
});

// GPT-5.6 and GPT-6.x: prompts above 272K input tokens cost 2x input and
// cache, 1.5x output, for the whole request. The prices below are the
// short-context ones.
const OPENAI = [
  // Cached input "60% cheaper" than GPT-6 Astra's $1 per third-party reports;
  // cache write assumed at 1.25x input (both unverified).
  openai('gpt-6.2-astra', 'GPT-6.2 Astra', [8, 40, 0.4, 10], 1_050_000, 128_000),
  openai('gpt-6.2-sol', 'GPT-6.2 Sol', [2, 10, 0.1, 2.5], 1_050_000, 128_000),
  openai('gpt-6.1-terra', 'GPT-6.1 Terra', [1, 5, 0.05, 1.25], 1_050_000, 128_000),
  // Chat Completions accepts function tools on Luna only with
  // reasoning_effort "none"; the Responses API is the one for tools.
  openai('gpt-6-luna', 'GPT-6 Luna', [0.1, 0.5, 0.01, 0.125], 1_050_000, 128_000),
  // Promotional $4 / $0.40 / $20 ran "at least until 2026-11-21"; this is the
  // list price it returns to (unverified which applies today).
  openai('gpt-5.6-sol', 'GPT-5.6 Sol', [5, 30, 0.5, 6.25], 1_050_000, 128_000),
  // Price after the 2026-07-30 cut, per third-party trackers (unverified).
  openai('gpt-5.6-terra', 'GPT-5.6 Terra', [2, 12, 0.2, 2.5], 1_050_000, 128_000),
  openai('gpt-5.6-luna', 'GPT-5.6 Luna', [0.2, 1.2, 0.02, 0.25], 1_050_000, 128_000),
  // Deprecated: gpt-5, gpt-5-mini, gpt-5-nano and o3 shut down 2026-12-11.
  openai('gpt-5', 'GPT-5', [1.25, 10, 0.125, 0], 400_000, 128_000),
  openai('gpt-5-mini', 'GPT-5 mini', [0.25, 2, 0.025, 0], 400_000, 128_000),
  openai('gpt-5-nano', 'GPT-5 nano', [0.05, 0.4, 0.005, 0], 400_000, 128_000),
  openai('o3', 'o3', [2, 8, 0.5, 0], 200_000, 100_000),
  // Deprecated: gpt-4.1 and gpt-4o shut down 2027-01-14.
  openaiChat('gpt-4.1', 'GPT-4.1', [2, 8, 0.5, 0], 1_047_576, 32_768),
  openaiChat('gpt-4o', 'GPT-4o', [2.5, 10, 1.25, 0], 128_000, 16_384),
];

// ---------------------------------------------------------------- Qwen

/**
 * Qwen on Alibaba Cloud Model Studio, international (Singapore) endpoint.
 * Mainland China: https://dashscope.aliyuncs.com/compatible-mode/v1 (prices in
 * CNY); US (Virginia): https://dashscope-us.aliyuncs.com/compatible-mode/v1.
 *
 * Prices are tiered by prompt length; these are the lowest tier. `cacheRead`
 * is the implicit-cache hit price (20% of input); `cacheWrite` is the
 * explicit-cache creation price (125% of input), billed only when a request
 * marks blocks with `cache_control`.
 */
const qwenModel = vendor('qwen', 'openai-completions', 'https://dashscope-intl.aliyuncs.com/compatible-mode/v1');

function qwen<const Id extends string>(
  id: Id,
  price: Price,
  contextWindow: number,
  maxTokens: number,
  thinking: 'hybrid' | 'always' | 'never',
  input = TEXT,
) {
  return qwenModel(id, price, contextWindow, maxTokens, {
    reasoning: thinking !== 'never',
    input,
    compat: { maxTokensField: 'max_tokens', thinkingFormat: thinking === 'hybrid' ? 'enable_thinking' : 'none' },
  });
}

const QWEN = [
  // Released 2026-08-03; thinks by default. List price per Vercel AI Gateway
  // and APIYI; cache prices follow the usual 20% / 125% ratios (unverified).
  qwen('qwen3.8-max', [2, 6, 0.4, 2.5], 1_000_000, 131_072, 'always', ['text', 'image']),
  // Tiers: <=32K $1.2 / $6, <=128K $2.4 / $12, <=252K $3 / $15. The stable
  // alias is assumed to point at the hybrid-thinking 2026-01-23 snapshot
  // (unverified).
  qwen('qwen3-max', [1.2, 6, 0.24, 1.5], 262_144, 65_536, 'hybrid'),
  // Tiers: <=256K $0.4 / $1.2, <=1M $1.2 / $3.6. Output in thinking mode
  // costs $4 (<=256K) and $12 (<=1M).
  qwen('qwen-plus', [0.4, 1.2, 0.08, 0.5], 1_000_000, 32_768, 'hybrid'),
  // Tiers: <=256K $0.05 / $0.4, <=1M $0.25 / $2.
  qwen('qwen-flash', [0.05, 0.4, 0.01, 0.0625], 1_000_000, 32_768, 'hybrid'),
  // Tiers: <=32K $1 / $5, <=128K $1.8 / $9, <=256K $3 / $15, <=1M $6 / $60.
  // Structured output by a forced tool: "Structured output"
  // https://www.alibabacloud.com/help/en/model-studio/qwen-structured-output
  // gives the JSON Schema `response_format` to qwen3-max, qwen-plus and
  // qwen-flash, and the Coder models JSON Object mode only.
  { ...qwen('qwen3-coder-plus', [1, 5, 0.2, 1.25], 1_000_000, 65_536, 'never'), structuredOutput: 'tool' as const },
];

// ---------------------------------------------------------------- Kimi

/**
 * Kimi (Moonshot AI) over its OpenAI-compatible endpoint. Thinking models
 * think on every request, and follow-ups after tool calls must carry the
 * earlier `reasoning_content`.
 *
 * Structured output stays native (`json_schema`), though Kimi documents only
 * `{ type: 'json_object' }` ("Use Kimi API's JSON Mode"
 * https://platform.kimi.ai/docs/guide/use-json-mode-feature-of-kimi-api): a
 * forced tool is refused while a model thinks ("tool_choice ... is
 * incompatible with thinking enabled", a third party's probe), and every model
 * here thinks. Unverified either way.
 */
/** Kimi and DeepSeek: thinking models that need their earlier `reasoning_content` back. */
const REASONING_CONTENT: Traits = {
  compat: { maxTokensField: 'max_tokens', sendReasoningContent: true, thinkingFormat: 'none' },
};

const kimi = vendor('kimi', 'openai-completions', 'https://api.moonshot.ai/v1', REASONING_CONTENT);

// K3 and K3.1 also take a top-level `reasoning_effort` (low / high / max,
// default max); qcore leaves it at the default. `maxTokens` is the
// documented default of max_completion_tokens (K3 allows up to the context).
const KIMI = [
  // Released 2026-10-24. Prices per Vercel AI Gateway and APIYI, which mirror
  // the Kimi pricing page; cache write is the 5-minute price (unverified).
  kimi('kimi-k3.1-pro', [2, 10, 0.2, 2], 1_048_576, 131_072),
  kimi('kimi-k3.1-pro-highspeed', [4, 20, 0.2, 4], 1_048_576, 131_072),
  // Cache write $3 for a 5-minute TTL ($6 for 1 hour).
  kimi('kimi-k3', [3, 15, 0.3, 3], 1_048_576, 131_072),
  // Max output of the K2.x models is not published (unverified).
  kimi('kimi-k2.7-code', [0.95, 4, 0.19, 0], 262_144, 131_072),
  // Thinks by default; thinking can be switched off, but not through a field
  // qcore knows.
  kimi('kimi-k2.6', [0.95, 4, 0.16, 0], 262_144, 131_072),
];

// ---------------------------------------------------------------- DeepSeek

/**
 * DeepSeek V4.x. Both models think by default (switched with
 * `thinking: { type }`, not a field qcore sets) and require earlier
 * `reasoning_content` on follow-ups after tool calls.
 *
 * Prices are the peak-hour ones (01:00-04:00 and 06:00-10:00 UTC, weekdays);
 * off-peak prices are half. No charge for cache writes.
 */
// Thinking is on unless `thinking: { type: 'disabled' }` says otherwise ("Thinking Mode",
// https://api-docs.deepseek.com/guides/thinking_mode): reasoning 'off', as a forced tool needs, sends it.
const deepseek = vendor('deepseek', 'openai-completions', 'https://api.deepseek.com', {
  compat: { ...REASONING_CONTENT.compat, thinkingFormat: 'thinking' },
});

/**
 * Structured output by a forced tool (`structuredOutput: 'tool'`): DeepSeek
 * documents only `response_format: { type: 'json_object' }` ("JSON Output"
 * https://api-docs.deepseek.com/guides/json_mode) and answers `json_schema`
 * with a 400, "This response_format type is unavailable now" (users' reports).
 * A forced tool is refused while the model thinks ("Thinking mode does not
 * support this tool_choice", users' reports), and both think by default
 * ("Thinking Mode" https://api-docs.deepseek.com/guides/thinking_mode); the
 * forced tool's reasoning 'off' sends `thinking: { type: 'disabled' }`.
 */
const DEEPSEEK = [
  // DeepSeek-V4.1-Flash; the legacy name deepseek-v4-flash is served by it.
  {
    ...deepseek('deepseek-flash', 'DeepSeek V4.1 Flash', [0.3, 1.2, 0.006], 1_048_576, 393_216),
    structuredOutput: 'tool' as const,
  },
  // DeepSeek-V4-Pro-0813. The docs also say V4 Pro is being retired and its
  // requests routed to V4.1 Flash (billed at Flash prices) until V4.1 Pro.
  {
    ...deepseek('deepseek-v4-pro', 'DeepSeek V4 Pro', [1.32, 3.96, 0.044], 1_048_576, 393_216, { input: TEXT }),
    structuredOutput: 'tool' as const,
  },
];

/**
 * Not annotated `Model[]`: each entry keeps its literal provider and id, so
 * `getModel` can type ids per provider. Types only; the code is unchanged.
 */
const CATALOG = [
  ...ANTHROPIC,
  ...OPENAI,
  ...QWEN,
  ...KIMI,
  ...DEEPSEEK,
  ...GOOGLE_MODELS,
  ...BEDROCK_MODELS,
] as const satisfies readonly Model[];

/** One catalog entry, with its provider and id as literal types. */
export type CatalogEntry = (typeof CATALOG)[number];

export const MODEL_CATALOG: readonly Model[] = CATALOG;
