/**
 * Loads `config.json` from the qcore home. A missing file is an empty
 * config; a broken one stops the CLI with a message that names the file,
 * the place inside it and what is wrong.
 */
import { readFileSync } from 'node:fs';
import { CONFIG_KEYS, type ConfigIssue, parseConfig, type QcoreConfig } from './config-schema.js';
import { CliError } from './errors.js';
import { closestMatch } from './suggest.js';

export interface LoadedConfig {
  path: string;
  config: QcoreConfig;
}

export function loadConfig(path: string): LoadedConfig {
  let text: string;
  try {
    // Editors on Windows often save JSON with a byte order mark, which JSON.parse refuses.
    text = readFileSync(path, 'utf8').replace(/^\uFEFF/, '');
  } catch (error) {
    const code = error instanceof Error && 'code' in error ? error.code : undefined;
    if (code === 'ENOENT') return { path, config: {} };
    throw new CliError(`cannot read the config file ${path}: ${code ?? String(error)}`);
  }

  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new CliError(`the config file ${path} is not valid JSON${describeJsonError(text, error)}`);
  }

  const parsed = parseConfig(json);
  if (!parsed.success) {
    const lines = parsed.issues.map((issue) => `  ${describeIssue(issue)}`);
    throw new CliError(`the config file ${path} has ${plural(lines.length, 'error')}:\n${lines.join('\n')}`);
  }
  return { path, config: parsed.data };
}

/** `models.custom[0].base_url`, the way a person would point at it. */
export function formatConfigPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else if (typeof part === 'string' && /^[A-Za-z_$][\w$-]*$/.test(part)) out += out ? `.${part}` : part;
    else out += `[${JSON.stringify(String(part))}]`;
  }
  return out || '(top level)';
}

function describeIssue(issue: ConfigIssue): string {
  const where = formatConfigPath(issue.path);
  if (issue.unknownKeys) {
    const keys = issue.unknownKeys.map((key) => {
      const hint = closestMatch(key, CONFIG_KEYS);
      return `"${key}"${hint && hint !== key ? ` (did you mean "${hint}"?)` : ''}`;
    });
    return `${where}: unknown ${keys.length === 1 ? 'key' : 'keys'} ${keys.join(', ')}`;
  }
  return `${where}: ${issue.message}`;
}

/**
 * Where and why JSON.parse failed. V8 quotes the text around the error, which
 * in this file may be an API key, so only the place and the reason are kept.
 */
function describeJsonError(text: string, error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  const quoted = /^(.*?), (?:\.\.\.)?"([\s\S]*?)"(?:\.\.\.)? is not valid JSON$/.exec(message);
  const reason = quoted ? (quoted[1] ?? message) : message.replace(/ in JSON at position \d+.*$/, '');
  let position: number | undefined;
  const at = /at position (\d+)/.exec(message)?.[1];
  if (at !== undefined) {
    position = Number(at);
  } else if (quoted?.[2]) {
    // No position given: find the quoted excerpt, and the offending character in it.
    const start = text.indexOf(quoted[2]);
    const token = /^Unexpected token '(.)'/.exec(message)?.[1];
    if (start >= 0) position = start + Math.max(0, token ? quoted[2].indexOf(token) : 0);
  }
  if (position === undefined) return `: ${reason}`;
  const before = text.slice(0, position);
  const line = before.split('\n').length;
  const column = position - before.lastIndexOf('\n');
  return ` (line ${line}, column ${column}): ${reason}`;
}

function plural(count: number, word: string): string {
  return `${count} ${word}${count === 1 ? '' : 's'}`;
}
