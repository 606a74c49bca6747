import { describe, expect, it } from 'vitest';
import { MODEL_CATALOG } from '../../src/ai/model-catalog.js';
import { findModel, getModel, listModels, registerModel } from '../../src/ai/models.js';
import type { KnownApi, Model } from '../../src/ai/types.js';

const KNOWN_APIS: readonly KnownApi[] = [
  'anthropic-messages',
  'openai-completions',
  'openai-responses',
  'google-generative-ai',
  'bedrock-converse-stream',
];

/** A fresh id per call: registerModel mutates module state shared by every test. */
let counter = 0;
function uniqueId(prefix: string): string {
  counter += 1;
  return `${prefix}-${Date.now().toString(36)}-${counter}`;
}

function localModel(id: string, provider = 'local'): Model {
  return {
    id,
    name: `Local ${id}`,
    api: 'openai-completions',
    provider,
    baseUrl: 'http://127.0.0.1:11434/v1',
    reasoning: false,
    input: ['text'],
    cost: { input: 0, output: 0, cacheRead: 0, cacheWrite: 0 },
    contextWindow: 32_768,
    maxTokens: 4_096,
    compat: { maxTokensField: 'max_tokens', supportsUsageInStreaming: false, thinkingFormat: 'none' },
  };
}

describe('getModel', () => {
  it.each([
    ['anthropic', 'claude-opus-5-5', 'anthropic-messages'],
    ['anthropic', 'claude-haiku-4-5', 'anthropic-messages'],
    ['openai', 'gpt-6.2-sol', 'openai-responses'],
    ['openai', 'gpt-5-mini', 'openai-responses'],
    ['openai', 'o3', 'openai-responses'],
    ['openai', 'gpt-4.1', 'openai-completions'],
    ['qwen', 'qwen-plus', 'openai-completions'],
    ['kimi', 'kimi-k3', 'openai-completions'],
    ['deepseek', 'deepseek-flash', 'openai-completions'],
  ])('returns %s/%s with positive prices', (provider, id, api) => {
    const model = getModel(provider, id);
    expect(model).toBeDefined();
    expect(model?.provider).toBe(provider);
    expect(model?.id).toBe(id);
    expect(model?.api).toBe(api);
    expect(model?.cost.input).toBeGreaterThan(0);
    expect(model?.cost.output).toBeGreaterThan(0);
    expect(model?.cost.cacheRead).toBeGreaterThan(0);
  });

  it('returns undefined for an unknown model or a model under another provider', () => {
    expect(findModel('anthropic', 'no-such-model')).toBeUndefined();
    expect(findModel('openai', 'claude-opus-5-5')).toBeUndefined();
  });

  it('carries the compat quirks of each provider', () => {
    // Responses models need no Chat Completions quirks.
    expect(getModel('openai', 'gpt-6.2-sol')?.compat).toBeUndefined();
    expect(getModel('openai', 'gpt-4o')?.compat).toMatchObject({
      maxTokensField: 'max_completion_tokens',
      thinkingFormat: 'none',
    });
    expect(getModel('qwen', 'qwen-flash')?.compat).toMatchObject({
      maxTokensField: 'max_tokens',
      thinkingFormat: 'enable_thinking',
    });
    expect(getModel('kimi', 'kimi-k3')?.compat).toMatchObject({
      maxTokensField: 'max_tokens',
      sendReasoningContent: true,
      thinkingFormat: 'none',
    });
    expect(getModel('deepseek', 'deepseek-flash')?.compat).toMatchObject({
      maxTokensField: 'max_tokens',
      sendReasoningContent: true,
      thinkingFormat: 'thinking',
    });
  });
});

describe('MODEL_CATALOG', () => {
  it('is not empty and covers every first-party provider', () => {
    const providers = new Set(MODEL_CATALOG.map((m) => m.provider));
    for (const provider of ['anthropic', 'openai', 'qwen', 'kimi', 'deepseek']) {
      expect(providers.has(provider)).toBe(true);
    }
  });

  it('has well-formed entries', () => {
    for (const model of MODEL_CATALOG) {
      const label = `${model.provider}/${model.id}`;
      expect(KNOWN_APIS, label).toContain(model.api);
      expect(model.baseUrl.startsWith('https://'), label).toBe(true);
      expect(model.baseUrl.endsWith('/'), label).toBe(false);
      expect(model.name.length, label).toBeGreaterThan(0);
      expect(model.maxTokens, label).toBeGreaterThan(0);
      expect(model.contextWindow, label).toBeGreaterThan(model.maxTokens);
      expect(Number.isInteger(model.contextWindow), label).toBe(true);
      expect(Number.isInteger(model.maxTokens), label).toBe(true);
      expect(model.input, label).toContain('text');
      expect(model.cost.input, label).toBeGreaterThan(0);
      expect(model.cost.output, label).toBeGreaterThan(0);
      expect(model.cost.cacheRead, label).toBeGreaterThanOrEqual(0);
      expect(model.cost.cacheWrite, label).toBeGreaterThanOrEqual(0);
      expect(model.cost.cacheRead, label).toBeLessThan(model.cost.input);
    }
  });

  it('has unique provider and id pairs', () => {
    const keys = MODEL_CATALOG.map((m) => `${m.provider}/${m.id}`);
    expect(new Set(keys).size).toBe(keys.length);
  });

  it('is plain JSON', () => {
    expect(JSON.parse(JSON.stringify(MODEL_CATALOG))).toEqual(MODEL_CATALOG);
  });

  it('does not share compat or input objects between entries', () => {
    const compats = MODEL_CATALOG.flatMap((m) => (m.compat ? [m.compat] : []));
    expect(new Set(compats).size).toBe(compats.length);
    expect(new Set(MODEL_CATALOG.map((m) => m.input)).size).toBe(MODEL_CATALOG.length);
  });
});

describe('listModels', () => {
  it('lists only the requested provider', () => {
    const qwen = listModels('qwen');
    expect(qwen.length).toBeGreaterThan(0);
    expect(qwen.every((m) => m.provider === 'qwen')).toBe(true);
    expect(qwen.map((m) => m.id)).toContain('qwen3-max');
  });

  it('lists every catalog model without a provider', () => {
    const all = listModels();
    for (const model of MODEL_CATALOG) {
      expect(all.some((m) => m.provider === model.provider && m.id === model.id)).toBe(true);
    }
  });

  it('returns an empty list for an unknown provider', () => {
    expect(listModels(uniqueId('nobody'))).toEqual([]);
  });
});

describe('registerModel', () => {
  it('adds a custom local model that getModel and listModels return', () => {
    const provider = uniqueId('ollama');
    const model = localModel(uniqueId('llama'), provider);
    registerModel(model);
    expect(getModel(provider, model.id)).toBe(model);
    expect(listModels(provider)).toEqual([model]);
    expect(getModel(provider, model.id)?.baseUrl).toBe('http://127.0.0.1:11434/v1');
  });

  it('replaces an earlier registration with the same provider and id', () => {
    const provider = uniqueId('ollama');
    const id = uniqueId('qwen');
    registerModel(localModel(id, provider));
    const second = { ...localModel(id, provider), name: 'second' };
    registerModel(second);
    expect(getModel(provider, id)?.name).toBe('second');
    expect(listModels(provider)).toHaveLength(1);
  });

  it('shadows a catalog entry with the same provider and id', () => {
    const catalogEntry = MODEL_CATALOG.find((m) => m.provider === 'deepseek');
    if (catalogEntry === undefined) throw new Error('no deepseek model in the catalog');
    const { provider, id } = catalogEntry;
    const shadow: Model = { ...localModel(id, provider), name: 'Local shadow' };
    try {
      registerModel(shadow);
      expect(getModel(provider, id)).toBe(shadow);
      const listed = listModels(provider).filter((m) => m.id === id);
      expect(listed).toEqual([shadow]);
      // The catalog itself is untouched.
      expect(MODEL_CATALOG).toContain(catalogEntry);
      expect(catalogEntry.baseUrl).toBe('https://api.deepseek.com');
    } finally {
      // Put the catalog entry back so other tests in this module see it.
      registerModel(catalogEntry);
    }
    expect(getModel(provider, id)).toBe(catalogEntry);
  });
});

describe('deriving a model', () => {
  it('spreads into a plain object with an overridden baseUrl', () => {
    const base = getModel('openai', 'gpt-6.2-sol');
    if (base === undefined) throw new Error('gpt-6.2-sol missing');
    const proxied: Model = { ...base, baseUrl: 'https://proxy.example.com/v1' };
    expect(proxied.baseUrl).toBe('https://proxy.example.com/v1');
    expect(proxied.id).toBe(base.id);
    expect(proxied.cost).toEqual(base.cost);
    expect(proxied.compat).toEqual(base.compat);
    expect(base.baseUrl).toBe('https://api.openai.com/v1');
    expect(Object.getPrototypeOf(proxied)).toBe(Object.prototype);
    expect(JSON.parse(JSON.stringify(proxied))).toEqual(proxied);
  });

  it('registers a derived model under a new id without touching the original', () => {
    const base = getModel('anthropic', 'claude-sonnet-5-5');
    if (base === undefined) throw new Error('claude-sonnet-5-5 missing');
    const id = uniqueId('claude-sonnet-5-5-gateway');
    registerModel({ ...base, id, baseUrl: 'https://gateway.example.com/anthropic' });
    expect(findModel('anthropic', id)?.baseUrl).toBe('https://gateway.example.com/anthropic');
    expect(getModel('anthropic', 'claude-sonnet-5-5')?.baseUrl).toBe('https://api.anthropic.com');
  });
});
