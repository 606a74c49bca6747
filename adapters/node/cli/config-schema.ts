/**
 * The shape of `~/.qcore/config.json`. Every object is strict, so a
 * misspelt key is an error instead of a setting that silently does nothing.
 * Keys are snake_case, as in QCore's own config.
 */
import { z } from 'zod';
import { baseUrlProblem, hideUserinfo } from '../../../src/ai/base-url.js';
import { CODING_TOOL_NAMES } from '../../../src/tools/coding-tools.js';
import { ENV_NAME, THINKING_LEVELS } from './args.js';

const toolName = z.enum(CODING_TOOL_NAMES);
const thinkingLevel = z.enum(THINKING_LEVELS);

/** Credentials in the URL would be quoted by every error that names it; keys go in `api_key` or `headers`. */
const httpUrl = z.url({ protocol: /^https?$/, error: 'expected an http(s) URL' }).superRefine((url, context) => {
  const problem = baseUrlProblem(url, 'the URL');
  if (problem !== undefined) context.addIssue({ code: 'custom', message: problem, input: hideUserinfo(url) });
});
const headers = z.record(z.string(), z.string());
/** Provider names go into `/model provider/id`, so they cannot hold a slash. */
const providerName = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, 'expected letters, digits, ".", "_" or "-" (no "/" or spaces)');

const providerSettings = z.strictObject({
  api_key: z.string().min(1).optional(),
  base_url: httpUrl.optional(),
  headers: headers.optional(),
});

const price = z.number().min(0);

const compat = z.strictObject({
  max_tokens_field: z.enum(['max_tokens', 'max_completion_tokens']).optional(),
  supports_usage_in_streaming: z.boolean().optional(),
  supports_developer_role: z.boolean().optional(),
  thinking_format: z.enum(['reasoning_effort', 'enable_thinking', 'none']).optional(),
  send_reasoning_content: z.boolean().optional(),
  supports_tool_choice: z.boolean().optional(),
  supports_cache_control: z.boolean().optional(),
});

const customModel = z.strictObject({
  provider: providerName,
  id: z.string().min(1),
  name: z.string().min(1).optional(),
  api: z.enum(['openai-completions', 'openai-responses', 'anthropic-messages', 'google-generative-ai']),
  base_url: httpUrl,
  reasoning: z.boolean().default(false),
  input: z
    .array(z.enum(['text', 'image']))
    .min(1)
    .default(['text']),
  context_window: z.number().int().positive().default(128_000),
  max_tokens: z.number().int().positive().default(8_192),
  cost: z
    .strictObject({
      input: price.default(0),
      output: price.default(0),
      cache_read: price.default(0),
      cache_write: price.default(0),
    })
    .optional(),
  headers: headers.optional(),
  compat: compat.optional(),
});

export const configSchema = z
  .strictObject({
    /** Variables of qcore's environment that commands get, past the filter that keeps secrets from them. */
    env: z
      .array(
        z.string().regex(ENV_NAME, 'expected a variable name (letters, digits and "_", not starting with a digit)'),
      )
      .optional(),
    default: z
      .strictObject({
        provider: providerName.optional(),
        model: z.string().min(1).optional(),
        thinking: thinkingLevel.optional(),
        tools: z.array(toolName).optional(),
      })
      .optional(),
    models: z
      .strictObject({
        providers: z.record(providerName, providerSettings).optional(),
        custom: z.array(customModel).optional(),
      })
      .optional(),
    ui: z
      .strictObject({
        hide_thinking: z.boolean().optional(),
      })
      .optional(),
  })
  .superRefine((config, context) => {
    const seen = new Set<string>();
    for (const [index, model] of (config.models?.custom ?? []).entries()) {
      const key = `${model.provider}/${model.id}`;
      if (seen.has(key)) {
        context.addIssue({
          code: 'custom',
          path: ['models', 'custom', index, 'id'],
          message: `${key} is defined twice`,
        });
      }
      seen.add(key);
    }
  });

export type QcoreConfig = z.output<typeof configSchema>;
export type CustomModelConfig = NonNullable<NonNullable<QcoreConfig['models']>['custom']>[number];

/** Every key the schema knows, to suggest one for a typo. */
export const CONFIG_KEYS: readonly string[] = [
  'env',
  'default',
  'models',
  'ui',
  'provider',
  'model',
  'thinking',
  'tools',
  'providers',
  'custom',
  'api_key',
  'base_url',
  'headers',
  'id',
  'name',
  'api',
  'reasoning',
  'input',
  'context_window',
  'max_tokens',
  'cost',
  'output',
  'cache_read',
  'cache_write',
  'compat',
  'max_tokens_field',
  'supports_usage_in_streaming',
  'supports_developer_role',
  'thinking_format',
  'send_reasoning_content',
  'supports_tool_choice',
  'supports_cache_control',
  'hide_thinking',
];
