/**
 * Gemini models on the Gemini Developer API (Google AI Studio keys), prices
 * in US dollars per million tokens, Standard (paid) tier.
 *
 * Checked 2026-11-26 against:
 * - "Gemini Developer API pricing" https://ai.google.dev/gemini-api/docs/pricing
 *   (read through transcriptions of 2026-09-20 and 2026-10-07, and through
 *   resellers quoting Google's list price for the Gemini 4 models, released
 *   after those);
 * - the model pages https://ai.google.dev/gemini-api/docs/models/<id> and
 *   "Gemini deprecations" https://ai.google.dev/gemini-api/docs/deprecations;
 * - Google Cloud's developer guides for Gemini 3.8 Flash and Gemini 4
 *   (docs.cloud.google.com/gemini-enterprise-agent-platform/models/guides/…),
 *   for limits and thinking levels.
 *
 * Pricing notes:
 * - Output prices include thinking tokens.
 * - `cacheRead` is the cached-input price. Gemini 4 has implicit caching only;
 *   the 3.x models also offer explicit caches, whose hourly storage fee qcore
 *   does not model. `cacheWrite` is 0: Gemini bills no write surcharge.
 * - Tiers: only Gemini 3.1 Pro is tiered by prompt length (above 200K tokens
 *   $4 input / $18 output); the others are flat. Batch and Flex cost half,
 *   Priority about 1.8x; neither is modelled.
 * - Scheduled changes: Gemini 4 Carbon and Argon go from $2 / $10 to $4 / $20
 *   (cache $0.20) on 2026-12-01; Gemini 3.8 Flash from $0.75 / $3.75 to
 *   $1.50 / $7.50 on 2027-01-01. The prices below are those in force on
 *   2026-11-26.
 *
 * Gemini 4 models have one 1,048,576-token limit shared by input and output;
 * a single response segment is at most 65,536 tokens.
 *
 * Left out: gemini-2.5-pro, gemini-2.5-flash and gemini-2.5-flash-lite
 * (withdrawn 2026-11-12, per resellers' notices; unverified on Google's
 * page); gemini-3.7-flash (deprecated, routed to gemini-3.8-flash);
 * gemini-3-pro-preview (shut down 2026-03-09); gemini-3-flash-preview and
 * gemini-3.5-flash (replaced by gemini-3.6-flash).
 */
import { type Traits, vendor } from './model-catalog-vendor.js';

/** Every current Gemini model reads text, images, audio, video and PDF (qcore sends text and images) and thinks. */
const gemini = vendor('google', 'google-generative-ai', 'https://generativelanguage.googleapis.com/v1beta');

/** Flash-Lite models accept the `minimal` thinking level; the others start at `low`. */
const LITE: Traits = { compat: { minThinkingLevel: 'minimal' } };

export const GOOGLE_MODELS = [
  // Released 2026-11-18; paid tier only. Thinking levels low, medium, high (default), xhigh.
  // Price from resellers quoting Google's list price (unverified on Google's page).
  gemini('gemini-4-neon', [3, 15, 0.15], 1_048_576, 65_536),
  // Released 2026-11-10. Introductory price through 2026-11-30, then $4 / $20 / $0.20.
  // Price from resellers quoting Google's list price (unverified on Google's page).
  gemini('gemini-4-carbon', [2, 10, 0.1], 1_048_576, 65_536),
  // Same price schedule as Carbon (unverified on Google's page).
  gemini('gemini-4-argon', [2, 10, 0.1], 1_048_576, 65_536),
  // Released 2026-11-12; the upgrade Google recommends over Gemini 3.8 Flash.
  // Price from resellers quoting Google's list price (unverified on Google's page).
  gemini('gemini-4-hydrogen', [1.5, 7.5, 0.075], 1_048_576, 65_536),
  // Launch price through 2026-12-31; $1.50 / $7.50 from 2027-01-01. Thinking levels low, medium (default), high.
  gemini('gemini-3.8-flash', [0.75, 3.75, 0.075], 1_048_576, 65_536),
  // Prompts above 200K tokens cost $4 / $18 (cache $0.40, unverified). Preview; no shutdown announced.
  // Cache price follows the 0.1x rule (unverified).
  gemini('gemini-3.1-pro-preview', [2, 12, 0.2], 1_048_576, 65_536),
  // Default thinking level medium. Cache price follows the 0.1x rule; limits as the other 3.x Flash models (both unverified).
  gemini('gemini-3.6-flash', [1.5, 7.5, 0.15], 1_048_576, 65_536),
  // Default thinking level minimal. Cache price follows the 0.1x rule; limits as 3.1 Flash-Lite (both unverified).
  gemini('gemini-3.5-flash-lite', 'Gemini 3.5 Flash-Lite', [0.3, 2.5, 0.03], 1_048_576, 65_536, LITE),
  // Shutdown announced for 2027-05-07. Price from resellers (unverified on Google's page).
  gemini('gemini-3.1-flash-lite', 'Gemini 3.1 Flash-Lite', [0.25, 1.5, 0.025], 1_048_576, 65_536, LITE),
];
