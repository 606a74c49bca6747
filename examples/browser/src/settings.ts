/**
 * What the user chose in the settings panel, where it is kept, and the model
 * it names.
 *
 * Where the agent runs: in this page (the model is called from here), or in
 * a durable Worker (examples/worker: the agent, its model and its key are
 * there, and this page follows its sessions).
 *
 * The API key and the Worker's secret live in memory only. Each reaches
 * localStorage only when the user ticks its "Remember … in this browser",
 * and unticking deletes it. Everything else is harmless and is always
 * remembered.
 */
import { findModel, type Model, type ReasoningLevel } from 'qcore';

export type ProviderKind = 'anthropic' | 'openai-compatible';

/** `page`: the agent runs in this tab. `worker`: it runs in a durable Worker, which this page follows. */
export type AgentMode = 'page' | 'worker';

export interface Settings {
  mode: AgentMode;
  provider: ProviderKind;
  modelId: string;
  /** Empty: the provider's own endpoint. */
  baseUrl: string;
  apiKey: string;
  rememberKey: boolean;
  thinking: ReasoningLevel;
  /** The durable Worker's URL, such as `http://127.0.0.1:8787`. */
  workerUrl: string;
  /** Its `AGENT_SECRET`, sent as `Authorization: Bearer …` to the Worker only. */
  workerSecret: string;
  rememberSecret: boolean;
}

export const PROVIDER_DEFAULTS: Record<ProviderKind, { catalog: string; modelId: string; baseUrl: string }> = {
  anthropic: { catalog: 'anthropic', modelId: 'claude-sonnet-4-6', baseUrl: 'https://api.anthropic.com' },
  'openai-compatible': { catalog: 'openai', modelId: 'gpt-6.1-terra', baseUrl: 'https://api.openai.com/v1' },
};

const SETTINGS_KEY = 'qcore-example:settings';
const API_KEY_KEY = 'qcore-example:api-key';
const SECRET_KEY = 'qcore-example:worker-secret';

const THINKING_LEVELS: readonly ReasoningLevel[] = ['off', 'minimal', 'low', 'medium', 'high'];

export function defaultSettings(): Settings {
  return {
    mode: 'page',
    provider: 'anthropic',
    modelId: PROVIDER_DEFAULTS.anthropic.modelId,
    baseUrl: '',
    apiKey: '',
    rememberKey: false,
    thinking: 'low',
    workerUrl: '',
    workerSecret: '',
    rememberSecret: false,
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
  if (saved.mode === 'page' || saved.mode === 'worker') settings.mode = saved.mode;
  if (typeof saved.workerUrl === 'string') settings.workerUrl = saved.workerUrl;
  const key = safeGet(storage, API_KEY_KEY);
  if (key) {
    settings.apiKey = key;
    settings.rememberKey = true;
  }
  const secret = safeGet(storage, SECRET_KEY);
  if (secret) {
    settings.workerSecret = secret;
    settings.rememberSecret = true;
  }
  return settings;
}

/** Saves the settings; the key and the secret only with the user's consent, and removes them otherwise. */
export function saveSettings(storage: Storage | undefined, settings: Settings): void {
  const { mode, provider, modelId, baseUrl, thinking, workerUrl } = settings;
  safeSet(storage, SETTINGS_KEY, JSON.stringify({ mode, provider, modelId, baseUrl, thinking, workerUrl }));
  if (settings.rememberKey && settings.apiKey) safeSet(storage, API_KEY_KEY, settings.apiKey);
  else safeRemove(storage, API_KEY_KEY);
  if (settings.rememberSecret && settings.workerSecret) safeSet(storage, SECRET_KEY, settings.workerSecret);
  else safeRemove(storage, SECRET_KEY);
}

/**
 * Why a prompt cannot be sent yet, or `undefined`. With no key the page can
 * still talk to a proxy or a local server, but not to the provider itself.
 * In Worker mode the Worker has the model and the key; the page needs its
 * URL and its secret.
 */
export function missingSetup(settings: Settings): string | undefined {
  if (settings.mode === 'worker') return missingWorkerSetup(settings);
  if (!settings.modelId.trim()) return 'Choose a model in Settings.';
  if (!settings.apiKey && !settings.baseUrl.trim()) {
    return 'Enter an API key in Settings, or set the base URL to a proxy that adds the key for you.';
  }
  return undefined;
}

function missingWorkerSetup(settings: Settings): string | undefined {
  const text = settings.workerUrl.trim();
  if (!text) return 'Enter the URL of the durable Worker in Settings.';
  const url = workerUrl(settings);
  if (!url) return `The Worker URL ${JSON.stringify(text)} is not an http:// or https:// URL.`;
  if (url.username || url.password)
    return 'Leave user:password@ out of the Worker URL; the secret goes in its own field.';
  if (!settings.workerSecret) return 'Enter the Worker’s secret (its AGENT_SECRET) in Settings.';
  return undefined;
}

/** The Worker URL as typed, parsed; `undefined` unless it is http(s). */
export function workerUrl(settings: Settings): URL | undefined {
  try {
    const url = new URL(settings.workerUrl.trim());
    return url.protocol === 'http:' || url.protocol === 'https:' ? url : undefined;
  } catch {
    return undefined;
  }
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
