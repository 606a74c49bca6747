/**
 * API keys from the environment. The core reads `process.env` only where it
 * exists: in browsers and Workers keys come from options instead.
 */

const ENV_KEY_NAMES: Record<string, readonly string[]> = {
  anthropic: ['ANTHROPIC_API_KEY'],
  openai: ['OPENAI_API_KEY'],
  qwen: ['DASHSCOPE_API_KEY', 'QWEN_API_KEY'],
  kimi: ['MOONSHOT_API_KEY', 'KIMI_API_KEY'],
  deepseek: ['DEEPSEEK_API_KEY'],
  google: ['GEMINI_API_KEY', 'GOOGLE_API_KEY'],
};

/** Reads an environment variable where `process.env` exists. */
export function readEnv(name: string): string | undefined {
  const env = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env;
  const value = env?.[name];
  return value === '' ? undefined : value;
}

/** The environment variables that may hold a provider's key, in order of preference. */
export function apiKeyEnvNames(provider: string): readonly string[] {
  return ENV_KEY_NAMES[provider] ?? [];
}

export function getEnvApiKey(provider: string): string | undefined {
  for (const name of apiKeyEnvNames(provider)) {
    const value = readEnv(name);
    if (value) return value;
  }
  return undefined;
}
