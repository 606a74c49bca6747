/**
 * The shape of `~/.qcore/config.json`. Every object is strict, so a
 * misspelt key is an error instead of a setting that silently does nothing.
 * Keys are snake_case, as in QCore's own config.
 *
 * Checked by the few combinators below rather than zod, which is an optional
 * peer that a globally installed `qcore` would not have. Messages keep the
 * wording zod gave them, which users and tests already know.
 */

import { baseUrlProblem } from '../../../src/ai/base-url.js';
import { RESERVED_BODY_KEYS } from '../../../src/ai/extra-body.js';
import type { Api, ModelCompat, ReasoningLevel } from '../../../src/ai/types.js';
import { CODING_TOOL_NAMES, type CodingToolName } from '../../../src/tools/coding-tools.js';
import { ENV_NAME, THINKING_LEVELS } from './args.js';
import { HOOK_EVENTS, type HookMatcher, type HooksConfig } from './permissions/hooks.js';
import { APPROVAL_MODES, type ApprovalMode } from './permissions/policy.js';
import { parseRule } from './permissions/rules.js';

type CustomModelApi = Extract<
  Api,
  'openai-completions' | 'openai-responses' | 'anthropic-messages' | 'google-generative-ai'
>;

export interface CustomModelConfig {
  provider: string;
  id: string;
  name?: string;
  api: CustomModelApi;
  base_url: string;
  reasoning: boolean;
  input: ('text' | 'image')[];
  context_window: number;
  max_tokens: number;
  cost?: { input: number; output: number; cache_read: number; cache_write: number };
  headers?: Record<string, string>;
  /** Top-level request fields for this model; see `extraBody` below for the refused ones. */
  extra_body?: Record<string, unknown>;
  compat?: {
    max_tokens_field?: NonNullable<ModelCompat['maxTokensField']>;
    supports_usage_in_streaming?: boolean;
    supports_developer_role?: boolean;
    thinking_format?: NonNullable<ModelCompat['thinkingFormat']>;
    send_reasoning_content?: boolean;
    supports_tool_choice?: boolean;
    supports_cache_control?: boolean;
  };
}

export interface ProviderSettings {
  api_key?: string;
  base_url?: string;
  headers?: Record<string, string>;
  /** Top-level fields added to every request body of the provider's models; they override a model's own. */
  extra_body?: Record<string, unknown>;
}

export interface QcoreConfig {
  /** Variables of qcore's environment that commands get, past the filter that keeps secrets from them. */
  env?: string[];
  default?: { provider?: string; model?: string; thinking?: ReasoningLevel; tools?: CodingToolName[] };
  models?: { providers?: Record<string, ProviderSettings>; custom?: CustomModelConfig[] };
  ui?: { hide_thinking?: boolean };
  /** Automatic compaction of long conversations; on by default. */
  compaction?: { enabled?: boolean; reserve_tokens?: number; keep_recent_tokens?: number };
  /** Approval mode and rules, spelt as Claude Code spells them (camelCase). */
  permissions?: { defaultMode?: ApprovalMode; allow?: string[]; deny?: string[] };
  /** Commands run on agent events, in Claude Code's shape. */
  hooks?: HooksConfig;
  /** MCP servers whose tools the agent gets, in Claude Code's shape, by name. */
  mcpServers?: Record<string, McpServerConfig>;
}

/** A local server the CLI starts (`type` may be left out), or a remote one. */
export type McpServerConfig =
  | { type?: 'stdio'; command: string; args?: string[]; env?: Record<string, string>; cwd?: string }
  | { type: 'http' | 'sse'; url: string; headers?: Record<string, string> };

export interface ConfigIssue {
  path: (string | number)[];
  message: string;
  /** Set for a strict object's misspelt keys, so the caller can suggest the right ones. */
  unknownKeys?: string[];
}

export type ConfigResult = { success: true; data: QcoreConfig } | { success: false; issues: ConfigIssue[] };

// ---------------------------------------------------------------- combinators

type Path = (string | number)[];
const INVALID: unique symbol = Symbol('invalid');
type Check<T> = (value: unknown, path: Path, issues: ConfigIssue[]) => T | typeof INVALID;

function received(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  return typeof value;
}

function expectType(type: string, value: unknown, path: Path, issues: ConfigIssue[]): typeof INVALID {
  issues.push({ path, message: `Invalid input: expected ${type}, received ${received(value)}` });
  return INVALID;
}

function string(options: { min?: number; pattern?: RegExp; message?: string } = {}): Check<string> {
  return (value, path, issues) => {
    if (typeof value !== 'string') return expectType('string', value, path, issues);
    if (options.pattern && !options.pattern.test(value)) {
      issues.push({ path, message: options.message ?? 'Invalid string' });
      return INVALID;
    }
    if (options.min !== undefined && value.length < options.min) {
      issues.push({ path, message: `Too small: expected string to have >=${options.min} characters` });
      return INVALID;
    }
    return value;
  };
}

const boolean: Check<boolean> = (value, path, issues) =>
  typeof value === 'boolean' ? value : expectType('boolean', value, path, issues);

function number(options: { int?: boolean; positive?: boolean; min?: number } = {}): Check<number> {
  return (value, path, issues) => {
    if (typeof value !== 'number' || !Number.isFinite(value)) return expectType('number', value, path, issues);
    if (options.int && !Number.isInteger(value)) return expectType('int', value, path, issues);
    if (options.positive && value <= 0) {
      issues.push({ path, message: 'Too small: expected number to be >0' });
      return INVALID;
    }
    if (options.min !== undefined && value < options.min) {
      issues.push({ path, message: `Too small: expected number to be >=${options.min}` });
      return INVALID;
    }
    return value;
  };
}

function oneOf<T extends string>(values: readonly T[]): Check<T> {
  return (value, path, issues) => {
    if (values.some((option) => option === value)) return value as T;
    issues.push({ path, message: `Invalid option: expected one of ${values.map((v) => JSON.stringify(v)).join('|')}` });
    return INVALID;
  };
}

/** An http(s) URL that `baseUrlProblem` accepts; a bad one is quoted without its userinfo. */
const httpUrl: Check<string> = (value, path, issues) => {
  let protocol: string | undefined;
  try {
    protocol = typeof value === 'string' ? new URL(value).protocol : undefined;
  } catch {}
  if (typeof value !== 'string' || (protocol !== 'http:' && protocol !== 'https:')) {
    issues.push({ path, message: 'expected an http(s) URL' });
    return INVALID;
  }
  // Credentials in the URL would be quoted by every error that names it; keys go in `api_key` or `headers`.
  const problem = baseUrlProblem(value, 'the URL');
  if (problem !== undefined) {
    issues.push({ path, message: problem });
    return INVALID;
  }
  return value;
};

function array<T>(item: Check<T>, options: { min?: number } = {}): Check<T[]> {
  return (value, path, issues) => {
    if (!Array.isArray(value)) return expectType('array', value, path, issues);
    if (options.min !== undefined && value.length < options.min) {
      issues.push({ path, message: `Too small: expected array to have >=${options.min} items` });
      return INVALID;
    }
    const out: T[] = [];
    let ok = true;
    value.forEach((element, index) => {
      const checked = item(element, [...path, index], issues);
      if (checked === INVALID) ok = false;
      else out.push(checked);
    });
    return ok ? out : INVALID;
  };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function record<T>(key: Check<string>, item: Check<T>): Check<Record<string, T>> {
  return (value, path, issues) => {
    if (!isRecord(value)) return expectType('record', value, path, issues);
    const out: Record<string, T> = {};
    let ok = true;
    for (const [name, element] of Object.entries(value)) {
      const keyIssues: ConfigIssue[] = [];
      if (key(name, [...path, name], keyIssues) === INVALID) {
        issues.push({ path: [...path, name], message: `Invalid key in record: ${keyIssues[0]?.message ?? ''}` });
        ok = false;
        continue;
      }
      const checked = item(element, [...path, name], issues);
      if (checked === INVALID) ok = false;
      else out[name] = checked;
    }
    return ok ? out : INVALID;
  };
}

/** A field that may be left out; `fallback` fills it in when it is. */
function optional<T>(check: Check<T>): Check<T | undefined>;
function optional<T>(check: Check<T>, fallback: T): Check<T>;
function optional<T>(check: Check<T>, fallback?: T): Check<T | undefined> {
  return (value, path, issues) => (value === undefined ? fallback : check(value, path, issues));
}

/** Every key of `T` checked, and any other key refused. */
function strictObject<T extends object>(shape: { [K in keyof T]-?: Check<T[K]> }): Check<T> {
  return (value, path, issues) => {
    if (!isRecord(value)) return expectType('object', value, path, issues);
    const out: Record<string, unknown> = {};
    let ok = true;
    for (const name of Object.keys(shape) as (keyof T & string)[]) {
      const checked = shape[name](value[name], [...path, name], issues);
      if (checked === INVALID) ok = false;
      else if (checked !== undefined) out[name] = checked;
    }
    const unknownKeys = Object.keys(value).filter((name) => !Object.hasOwn(shape, name));
    if (unknownKeys.length > 0) {
      const list = unknownKeys.map((name) => JSON.stringify(name)).join(', ');
      issues.push({ path, message: `Unrecognized keys: ${list}`, unknownKeys });
      ok = false;
    }
    return ok ? (out as T) : INVALID;
  };
}

// ---------------------------------------------------------------- the config

const headers = record(string(), string());

/** An object of request fields; the ones qcore builds from the conversation are refused, each by name. */
const extraBody: Check<Record<string, unknown>> = (value, path, issues) => {
  if (!isRecord(value)) return expectType('object', value, path, issues);
  const refused = Object.keys(value).filter((key) => RESERVED_BODY_KEYS.includes(key));
  for (const key of refused) {
    issues.push({
      path: [...path, key],
      message: `qcore builds this field, so extra_body cannot set it (refused: ${RESERVED_BODY_KEYS.join(', ')})`,
    });
  }
  return refused.length > 0 ? INVALID : { ...value };
};
/** Provider names go into `/model provider/id`, so they cannot hold a slash. */
const providerName = string({
  pattern: /^[A-Za-z0-9][A-Za-z0-9._-]*$/,
  message: 'expected letters, digits, ".", "_" or "-" (no "/" or spaces)',
});
const nonEmpty = string({ min: 1 });
const price = number({ min: 0 });

const providerSettings = strictObject<ProviderSettings>({
  api_key: optional(nonEmpty),
  base_url: optional(httpUrl),
  headers: optional(headers),
  extra_body: optional(extraBody),
});

const customModel = strictObject<CustomModelConfig>({
  provider: providerName,
  id: nonEmpty,
  name: optional(nonEmpty),
  api: oneOf<CustomModelApi>(['openai-completions', 'openai-responses', 'anthropic-messages', 'google-generative-ai']),
  base_url: httpUrl,
  reasoning: optional(boolean, false),
  input: optional(array(oneOf(['text', 'image'] as const), { min: 1 }), ['text']),
  context_window: optional(number({ int: true, positive: true }), 128_000),
  max_tokens: optional(number({ int: true, positive: true }), 8_192),
  cost: optional(
    strictObject<NonNullable<CustomModelConfig['cost']>>({
      input: optional(price, 0),
      output: optional(price, 0),
      cache_read: optional(price, 0),
      cache_write: optional(price, 0),
    }),
  ),
  headers: optional(headers),
  extra_body: optional(extraBody),
  compat: optional(
    strictObject<NonNullable<CustomModelConfig['compat']>>({
      max_tokens_field: optional(oneOf(['max_tokens', 'max_completion_tokens'] as const)),
      supports_usage_in_streaming: optional(boolean),
      supports_developer_role: optional(boolean),
      thinking_format: optional(
        oneOf(['reasoning_effort', 'enable_thinking', 'chat_template_kwargs', 'none'] as const),
      ),
      send_reasoning_content: optional(boolean),
      supports_tool_choice: optional(boolean),
      supports_cache_control: optional(boolean),
    }),
  ),
});

/** A permission rule such as `Bash(npm test)`, parsed now so a bad one stops qcore with the reason. */
const permissionRule: Check<string> = (value, path, issues) => {
  if (typeof value !== 'string') return expectType('string', value, path, issues);
  try {
    parseRule(value);
    return value;
  } catch (error) {
    issues.push({ path, message: `bad rule ${JSON.stringify(value)}: ${(error as Error).message}` });
    return INVALID;
  }
};

const regex: Check<string> = (value, path, issues) => {
  if (typeof value !== 'string') return expectType('string', value, path, issues);
  try {
    new RegExp(value);
    return value;
  } catch (error) {
    issues.push({ path, message: `not a valid regular expression: ${(error as Error).message}` });
    return INVALID;
  }
};

const hookMatchers = array(
  strictObject<HookMatcher>({
    matcher: optional(regex),
    hooks: array(
      strictObject<HookMatcher['hooks'][number]>({
        type: oneOf(['command'] as const),
        command: nonEmpty,
        timeout: optional(number({ positive: true })),
      }),
    ),
  }),
);

const mcpServerName = string({
  pattern: /^[A-Za-z][A-Za-z0-9_-]{0,31}$/,
  message:
    'expected a server name: a letter, then letters, digits, "_" or "-", 32 at most (it becomes part of tool names)',
});

const stdioServer = strictObject<Extract<McpServerConfig, { command: string }>>({
  type: optional(oneOf(['stdio'] as const)),
  command: nonEmpty,
  args: optional(array(string())),
  env: optional(record(string(), string())),
  cwd: optional(nonEmpty),
});

const remoteServer = strictObject<Extract<McpServerConfig, { url: string }>>({
  type: oneOf(['http', 'sse'] as const),
  url: httpUrl,
  headers: optional(headers),
});

/** Remote when `type` says so, a command otherwise; errors name the server and the field. */
const mcpServer: Check<McpServerConfig> = (value, path, issues) => {
  if (!isRecord(value)) return expectType('object', value, path, issues);
  return value.type === 'http' || value.type === 'sse'
    ? remoteServer(value, path, issues)
    : stdioServer(value, path, issues);
};

const configShape = strictObject<QcoreConfig>({
  env: optional(
    array(
      string({
        pattern: ENV_NAME,
        message: 'expected a variable name (letters, digits and "_", not starting with a digit)',
      }),
    ),
  ),
  default: optional(
    strictObject<NonNullable<QcoreConfig['default']>>({
      provider: optional(providerName),
      model: optional(nonEmpty),
      thinking: optional(oneOf(THINKING_LEVELS)),
      tools: optional(array(oneOf(CODING_TOOL_NAMES))),
    }),
  ),
  models: optional(
    strictObject<NonNullable<QcoreConfig['models']>>({
      providers: optional(record(providerName, providerSettings)),
      custom: optional(array(customModel)),
    }),
  ),
  ui: optional(strictObject<NonNullable<QcoreConfig['ui']>>({ hide_thinking: optional(boolean) })),
  compaction: optional(
    strictObject<NonNullable<QcoreConfig['compaction']>>({
      enabled: optional(boolean),
      reserve_tokens: optional(number({ int: true, positive: true })),
      keep_recent_tokens: optional(number({ int: true, positive: true })),
    }),
  ),
  permissions: optional(
    strictObject<NonNullable<QcoreConfig['permissions']>>({
      defaultMode: optional(oneOf(APPROVAL_MODES)),
      allow: optional(array(permissionRule)),
      deny: optional(array(permissionRule)),
    }),
  ),
  mcpServers: optional(record(mcpServerName, mcpServer)),
  hooks: optional(
    strictObject<HooksConfig>(
      Object.fromEntries(HOOK_EVENTS.map((event) => [event, optional(hookMatchers)])) as {
        [K in keyof HooksConfig]-?: Check<HooksConfig[K]>;
      },
    ),
  ),
});

/** Checks a parsed `config.json`, filling in defaults; every problem is reported, not just the first. */
export function parseConfig(json: unknown): ConfigResult {
  const issues: ConfigIssue[] = [];
  const data = configShape(json, [], issues);
  // Even when other fields are wrong, so one run names every problem.
  const custom = isRecord(json) && isRecord(json.models) ? json.models.custom : undefined;
  if (Array.isArray(custom)) {
    const seen = new Set<string>();
    custom.forEach((model: unknown, index) => {
      if (!isRecord(model) || typeof model.provider !== 'string' || typeof model.id !== 'string') return;
      const key = `${model.provider}/${model.id}`;
      if (seen.has(key)) issues.push({ path: ['models', 'custom', index, 'id'], message: `${key} is defined twice` });
      seen.add(key);
    });
  }
  return data === INVALID || issues.length > 0 ? { success: false, issues } : { success: true, data };
}

/** Every key the schema knows, to suggest one for a typo. */
export const CONFIG_KEYS: readonly string[] = [
  'env',
  'default',
  'models',
  'ui',
  'compaction',
  'enabled',
  'reserve_tokens',
  'keep_recent_tokens',
  'provider',
  'model',
  'thinking',
  'tools',
  'providers',
  'custom',
  'api_key',
  'base_url',
  'headers',
  'extra_body',
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
  'mcpServers',
  'command',
  'args',
  'url',
  'type',
  'permissions',
  'defaultMode',
  'allow',
  'deny',
  'hooks',
  ...HOOK_EVENTS,
  'matcher',
  'type',
  'command',
  'timeout',
];
