/**
 * Which model to talk to, where, with which key and how much thinking.
 * Precedence everywhere: flags, then environment variables, then the config
 * file, then built-in defaults.
 */
import { apiKeyEnvNames } from '../../../src/ai/env.js';
import { findModel, listModels, registerModel } from '../../../src/ai/models.js';
import type { Model, ModelCompat, ReasoningLevel } from '../../../src/ai/types.js';
import type { CustomModelConfig, QcoreConfig } from './config-schema.js';
import { CliError, UsageError } from './errors.js';
import { closestMatch } from './suggest.js';

export const DEFAULT_PROVIDER = 'anthropic';
export const DEFAULT_THINKING: ReasoningLevel = 'low';

/** A sensible coding model per built-in provider, used when only the provider is chosen. */
export const DEFAULT_MODELS: Readonly<Record<string, string>> = {
  anthropic: 'claude-sonnet-4-6',
  openai: 'gpt-6.1-terra',
  qwen: 'qwen3-coder-plus',
  kimi: 'kimi-k2.7-code',
  deepseek: 'deepseek-flash',
};

export interface ModelRequest {
  provider?: string;
  model?: string;
  baseUrl?: string;
}

/** Makes the config's custom models known to `findModel`, so every lookup sees them. */
export function registerCustomModels(config: QcoreConfig): void {
  for (const custom of config.models?.custom ?? []) registerModel(toModel(custom));
}

/** Flags and environment first, then the config's default, then the built-in default. */
export function modelRequestFrom(
  flags: ModelRequest,
  env: NodeJS.ProcessEnv,
  config: QcoreConfig,
): { provider: string; model: string | undefined; baseUrl?: string } {
  const explicitModel = flags.model ?? (env.QCORE_MODEL || undefined);
  const configured = config.default;
  const configuredProvider = configured?.provider ?? (configured?.model ? inferProvider(configured.model) : undefined);
  const provider =
    flags.provider ??
    (env.QCORE_PROVIDER || undefined) ??
    (explicitModel ? inferProvider(explicitModel) : undefined) ??
    configuredProvider ??
    DEFAULT_PROVIDER;
  // The configured model belongs to the configured provider; another provider gets its own default.
  const model =
    explicitModel ?? (configuredProvider === provider ? configured?.model : undefined) ?? defaultModelId(provider);
  const request: { provider: string; model: string | undefined; baseUrl?: string } = { provider, model };
  if (flags.baseUrl !== undefined) request.baseUrl = flags.baseUrl;
  return request;
}

/**
 * The model for a provider and id, with the base URL, headers and extra
 * request fields the config or flags set. An unknown provider with a base URL is taken to be a local
 * OpenAI-compatible server.
 */
export function resolveModel(
  request: { provider: string; model: string | undefined; baseUrl?: string },
  config: QcoreConfig,
): Model {
  const { provider } = request;
  const settings = config.models?.providers?.[provider];
  const known = listModels(provider);
  const baseUrl = request.baseUrl ?? settings?.base_url;
  if (request.model === undefined) {
    if (baseUrl) throw new UsageError(`provider "${provider}" has no default model; pass --model`);
    throw unknownProvider(provider);
  }
  let model = findModel(provider, request.model);
  if (!model) {
    if (known.length === 0 && baseUrl) {
      model = localServerModel(provider, request.model, baseUrl);
    } else if (known.length === 0) {
      throw unknownProvider(provider);
    } else {
      const ids = known.map((m) => m.id);
      const hint = closestMatch(request.model, ids);
      throw new UsageError(
        `unknown model "${request.model}" for ${provider}${hint ? ` (did you mean ${hint}?)` : ''}; known: ${ids.join(', ')}; others go under models.custom in the config`,
      );
    }
  }
  const headers = settings?.headers ? { ...model.headers, ...settings.headers } : model.headers;
  const resolved: Model = { ...model };
  if (baseUrl) resolved.baseUrl = baseUrl;
  if (headers) resolved.headers = headers;
  // The provider's fields over the model's own, each merged at the top level.
  if (settings?.extra_body) resolved.extraBody = { ...model.extraBody, ...settings.extra_body };
  return resolved;
}

/**
 * The key for a provider: flag, then its environment variables, then the
 * config. Providers without environment variables (local servers) need none.
 */
export function resolveApiKey(
  provider: string,
  flagKey: string | undefined,
  env: NodeJS.ProcessEnv,
  config: QcoreConfig,
  configPath: string,
): string | undefined {
  if (flagKey) return flagKey;
  const names = apiKeyEnvNames(provider);
  for (const name of names) {
    const value = env[name];
    if (value) return value;
  }
  const configured = config.models?.providers?.[provider]?.api_key;
  if (configured) return configured;
  if (names.length === 0) return undefined;
  throw new CliError(
    `no API key for ${provider}: set ${names.join(' or ')}, or put it in ${configPath} at models.providers.${provider}.api_key (qcore --demo runs without one)`,
  );
}

export function resolveThinking(
  flag: ReasoningLevel | undefined,
  envLevel: ReasoningLevel | undefined,
  config: QcoreConfig,
): ReasoningLevel {
  return flag ?? envLevel ?? config.default?.thinking ?? DEFAULT_THINKING;
}

/** Reads `provider/id` or a bare id (same provider); ids of local servers may hold a slash too. */
export function parseModelSpec(spec: string, currentProvider: string): { provider: string; model: string } {
  const slash = spec.indexOf('/');
  if (slash > 0) {
    const provider = spec.slice(0, slash);
    if (listModels(provider).length > 0) return { provider, model: spec.slice(slash + 1) };
  }
  return { provider: currentProvider, model: spec };
}

/** The provider of a model id, when exactly one provider has it. */
function inferProvider(id: string): string | undefined {
  const providers = new Set(
    listModels()
      .filter((m) => m.id === id)
      .map((m) => m.provider),
  );
  return providers.size === 1 ? [...providers][0] : undefined;
}

function defaultModelId(provider: string): string | undefined {
  const preferred = DEFAULT_MODELS[provider];
  if (preferred && findModel(provider, preferred)) return preferred;
  return listModels(provider)[0]?.id;
}

function unknownProvider(provider: string): UsageError {
  const providers = [...new Set(listModels().map((m) => m.provider))];
  const hint = closestMatch(provider, providers);
  return new UsageError(
    `unknown provider "${provider}"${hint ? ` (did you mean ${hint}?)` : ''}; known: ${providers.join(', ')}; for a local OpenAI-compatible server pass --base-url and --model, or add it under models.custom in the config`,
  );
}

function localServerModel(provider: string, id: string, baseUrl: string): Model {
  return {
    id,
    name: id,
    api: 'openai-completions',
    provider,
    baseUrl,
    reasoning: false,
    input: ['text'],
    cost: { input: 0, output: 0, cacheRead: 0, cacheWrite: 0 },
    contextWindow: 128_000,
    maxTokens: 8_192,
    // Most local servers know only the older token field and no reasoning switch.
    compat: { maxTokensField: 'max_tokens', thinkingFormat: 'none' },
  };
}

function toModel(custom: CustomModelConfig): Model {
  const model: Model = {
    id: custom.id,
    name: custom.name ?? custom.id,
    api: custom.api,
    provider: custom.provider,
    baseUrl: custom.base_url,
    reasoning: custom.reasoning,
    input: [...custom.input],
    cost: {
      input: custom.cost?.input ?? 0,
      output: custom.cost?.output ?? 0,
      cacheRead: custom.cost?.cache_read ?? 0,
      cacheWrite: custom.cost?.cache_write ?? 0,
    },
    contextWindow: custom.context_window,
    maxTokens: custom.max_tokens,
  };
  if (custom.headers) model.headers = { ...custom.headers };
  if (custom.extra_body) model.extraBody = { ...custom.extra_body };
  if (custom.compat) model.compat = toCompat(custom.compat);
  return model;
}

function toCompat(compat: NonNullable<CustomModelConfig['compat']>): ModelCompat {
  const out: ModelCompat = {};
  if (compat.max_tokens_field !== undefined) out.maxTokensField = compat.max_tokens_field;
  if (compat.supports_usage_in_streaming !== undefined)
    out.supportsUsageInStreaming = compat.supports_usage_in_streaming;
  if (compat.supports_developer_role !== undefined) out.supportsDeveloperRole = compat.supports_developer_role;
  if (compat.thinking_format !== undefined) out.thinkingFormat = compat.thinking_format;
  if (compat.send_reasoning_content !== undefined) out.sendReasoningContent = compat.send_reasoning_content;
  if (compat.supports_tool_choice !== undefined) out.supportsToolChoice = compat.supports_tool_choice;
  if (compat.supports_cache_control !== undefined) out.supportsCacheControl = compat.supports_cache_control;
  return out;
}
