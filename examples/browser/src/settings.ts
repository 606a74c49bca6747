/**
 * What the user chose in the settings panel, where it is kept, and the model
 * it names.
 *
 * The API key lives in memory only. It reaches localStorage only when the
 * user ticks "Remember the key in this browser", and unticking deletes it.
 * Everything else is harmless and is always remembered.
 */
import { findModel, type Model, type ReasoningLevel } from 'qcore';

export type ProviderKind = 'anthropic' | 'openai-compatible';

export interface Settings {
  provider: ProviderKind;
  modelId: string;
  /** Empty: the provider's own endpoint. */
  baseUrl: string;
  apiKey: string;
  rememberKey: boolean;
  thinking: ReasoningLevel;
}

export const PROVIDER_DEFAULTS: Record<ProviderKind, { catalog: string; modelId: string; baseUrl: string }> = {
  anthropic: { catalog: 'anthropic', modelId: 'claude-sonnet-4-6', baseUrl: 'https://api.anthropic.com' },
  'openai-compatible': { catalog: 'openai', modelId: 'gpt-6.1-terra', baseUrl: 'https://api.openai.com/v1' },
};

const SETTINGS_KEY = 'qcore-example:settings';
const API_KEY_KEY = 'qcore-example:api-key';

const THINKING_LEVELS: readonly ReasoningLevel[] = ['off', 'minimal', 'low', 'medium', 'high'];

export function defaultSettings(): Settings {
  return {
    provider: 'anthropic',
    modelId: PROVIDER_DEFAULTS.anthropic.modelId,
    baseUrl: '',
    apiKey: '',
    rememberKey: false,
    thinking: 'low',
  };
}

/** Settings as saved, over the defaults; anything unreadable is ignored. */
export function loadSettings(storage: Storage | undefined): Settings {
  const settings = defaultSettings();
  const saved = parseObject(safeGet(storage, SETTINGS_KEY));
  if (saved.provider === 'anthropic' || saved.provider === 'openai-compatible') settings.provider = saved.provider;
  if (typeof saved.modelId === 'string' && saved.modelId) settings.modelId = saved.modelId;
  if (typeof saved.baseUrl === 'string') settings.baseUrl = saved.baseUrl;
  const thinking = THINKING_LEVELS.find((level) => level === saved.thinking);
  if (thinking) settings.thinking = thinking;
  const key = safeGet(storage, API_KEY_KEY);
  if (key) {
    settings.apiKey = key;
    settings.rememberKey = true;
  }
  return settings;
}

/** Saves the settings; the key only with the user's consent, and removes it otherwise. */
export function saveSettings(storage: Storage | undefined, settings: Settings): void {
  const { provider, modelId, baseUrl, thinking } = settings;
  safeSet(storage, SETTINGS_KEY, JSON.stringify({ provider, modelId, baseUrl, thinking }));
  if (settings.rememberKey && settings.apiKey) safeSet(storage, API_KEY_KEY, settings.apiKey);
  else safeRemove(storage, API_KEY_KEY);
}

/**
 * Why a prompt cannot be sent yet, or `undefined`. With no key the page can
 * still talk to a proxy or a local server, but not to the provider itself.
 */
export function missingSetup(settings: Settings): string | undefined {
  if (!settings.modelId.trim()) return 'Choose a model in Settings.';
  if (!settings.apiKey && !settings.baseUrl.trim()) {
    return 'Enter an API key in Settings, or set the base URL to a proxy that adds the key for you.';
  }
  return undefined;
}

/** The model the settings name: a catalog model when the id is known, a plain one otherwise. */
export function buildModel(settings: Settings): Model {
  const defaults = PROVIDER_DEFAULTS[settings.provider];
  const id = settings.modelId.trim() || defaults.modelId;
  const base = findModel(defaults.catalog, id) ?? customModel(settings.provider, id);
  return {
    ...base,
    baseUrl: settings.baseUrl.trim().replace(/\/+$/, '') || base.baseUrl,
    // qcore refuses to call a provider it knows without its key. A proxy adds the key itself, and a
    // local server needs none, so without a key the model goes by a name qcore has no key rule for.
    provider: settings.apiKey ? base.provider : `${base.provider}-proxy`,
  };
}

function customModel(provider: ProviderKind, id: string): Model {
  const common = {
    id,
    name: id,
    input: ['text'] as Model['input'],
    cost: { input: 0, output: 0, cacheRead: 0, cacheWrite: 0 },
    contextWindow: 128_000,
    maxTokens: 8_192,
  };
  if (provider === 'anthropic') {
    return {
      ...common,
      api: 'anthropic-messages',
      provider: 'anthropic',
      baseUrl: PROVIDER_DEFAULTS.anthropic.baseUrl,
      reasoning: true,
    };
  }
  // The lowest common denominator of OpenAI-compatible servers (Ollama, vLLM, llama.cpp, gateways).
  return {
    ...common,
    api: 'openai-completions',
    provider: 'openai-compatible',
    baseUrl: PROVIDER_DEFAULTS['openai-compatible'].baseUrl,
    reasoning: false,
    compat: { maxTokensField: 'max_tokens', thinkingFormat: 'none' },
  };
}

function parseObject(text: string | undefined): Record<string, unknown> {
  if (!text) return {};
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

// Storage throws in some privacy modes and sandboxed frames; the page then just forgets.
function safeGet(storage: Storage | undefined, key: string): string | undefined {
  try {
    return storage?.getItem(key) ?? undefined;
  } catch {
    return undefined;
  }
}

function safeSet(storage: Storage | undefined, key: string, value: string): void {
  try {
    storage?.setItem(key, value);
  } catch {
    // Not remembered; the settings still apply to this tab.
  }
}

function safeRemove(storage: Storage | undefined, key: string): void {
  try {
    storage?.removeItem(key);
  } catch {
    // Nothing stored to remove.
  }
}
