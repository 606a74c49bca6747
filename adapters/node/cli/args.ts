/**
 * The command line, parsed with node:util and checked. Every mistake becomes
 * a `UsageError` (exit 2) with one line that says what to change.
 */
import { parseArgs } from 'node:util';
import { baseUrlProblem, hideUserinfo } from '../../../src/ai/base-url.js';
import type { ReasoningLevel } from '../../../src/ai/types.js';
import { CODING_TOOL_NAMES, type CodingToolName } from '../../../src/tools/coding-tools.js';
import { UsageError } from './errors.js';
import { APPROVAL_MODES, type ApprovalMode } from './permissions/policy.js';
import { closestMatch } from './suggest.js';

/** As `createExecApp` demands; checked here too so the mistake is a usage error. */
const MIN_TOKEN_LENGTH = 16;

export const THINKING_LEVELS: readonly ReasoningLevel[] = ['off', 'minimal', 'low', 'medium', 'high'];

export interface RunArgs {
  kind: 'run';
  /** From `-p`, or the words after the flags. */
  prompt?: string;
  /** `-p` was given: print mode even on a terminal. */
  print: boolean;
  json: boolean;
  /** `--output-schema FILE`: the answer must match this JSON Schema file (print mode). */
  outputSchema?: string;
  provider?: string;
  model?: string;
  baseUrl?: string;
  apiKey?: string;
  thinking?: ReasoningLevel;
  tools?: CodingToolName[];
  cwd?: string;
  /** Names of variables of qcore's own environment that commands get too. */
  env?: string[];
  continue: boolean;
  /** `--resume`: choose one of this directory's sessions from a list. */
  resume: boolean;
  session?: string;
  noSession: boolean;
  hideThinking: boolean;
  demo: boolean;
  /** `--approval`: when tool calls ask first. */
  approval?: ApprovalMode;
  /** `--sandbox`: bash runs in bubblewrap; `network` from `--sandbox-network`. */
  sandbox?: { network: boolean };
}

export interface ServeArgs {
  kind: 'serve';
  root?: string;
  port?: number;
  host?: string;
  cors?: string;
  /** Names the Host header may carry besides loopback and `--host`. */
  allowedHosts?: string[];
  token?: string;
  /** `--sandbox`: `/v1/exec` commands run in bubblewrap; `network` from `--sandbox-network`. */
  sandbox?: { network: boolean };
  /** `--mcp`: also serve the coding tools to MCP clients at /mcp. */
  mcp?: boolean;
}

/** `qcore mcp`: the coding tools on a directory, served over stdio to an MCP client. */
export interface McpArgs {
  kind: 'mcp';
  cwd?: string;
  tools?: CodingToolName[];
  sandbox?: { network: boolean };
}

export type CliArgs = { kind: 'help'; topic?: 'serve' | 'mcp' } | { kind: 'version' } | RunArgs | ServeArgs | McpArgs;

const RUN_OPTIONS = {
  print: { type: 'string', short: 'p' },
  json: { type: 'boolean' },
  'output-schema': { type: 'string' },
  provider: { type: 'string' },
  model: { type: 'string', short: 'm' },
  'base-url': { type: 'string' },
  'api-key': { type: 'string' },
  thinking: { type: 'string' },
  tools: { type: 'string' },
  cwd: { type: 'string' },
  env: { type: 'string', multiple: true },
  continue: { type: 'boolean', short: 'c' },
  resume: { type: 'boolean', short: 'r' },
  session: { type: 'string' },
  // Declared by hand: parseArgs negates booleans only from Node 22.
  'no-session': { type: 'boolean' },
  'hide-thinking': { type: 'boolean' },
  demo: { type: 'boolean' },
  approval: { type: 'string' },
  sandbox: { type: 'boolean' },
  'sandbox-network': { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
  version: { type: 'boolean', short: 'v' },
} as const;

const SERVE_OPTIONS = {
  root: { type: 'string' },
  port: { type: 'string' },
  host: { type: 'string' },
  cors: { type: 'string' },
  'allow-host': { type: 'string', multiple: true },
  token: { type: 'string' },
  mcp: { type: 'boolean' },
  sandbox: { type: 'boolean' },
  'sandbox-network': { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

export function parseCliArgs(argv: readonly string[], env: NodeJS.ProcessEnv): CliArgs {
  if (argv[0] === 'serve') return parseServeArgs(argv.slice(1), env);
  if (argv[0] === 'mcp') return parseMcpArgs(argv.slice(1));
  const { values, positionals } = parse(argv, RUN_OPTIONS);
  if (values.help) return { kind: 'help' };
  if (values.version) return { kind: 'version' };

  if (values.print !== undefined && positionals.length > 0) {
    throw new UsageError(`unexpected argument "${positionals[0]}": -p already gives the prompt`);
  }
  const prompt = values.print ?? (positionals.length > 0 ? positionals.join(' ') : undefined);
  if (prompt !== undefined && prompt.trim() === '') throw new UsageError('the prompt is empty');
  const choosers = [
    values.continue && '--continue',
    values.resume && '--resume',
    values.session !== undefined && '--session',
  ];
  const chosen = choosers.filter((flag): flag is string => typeof flag === 'string');
  if (chosen.length > 1) throw new UsageError(`${chosen.join(' and ')} each choose a session; give one`);
  if (values['no-session'] && chosen.length > 0) {
    throw new UsageError(`--no-session cannot be combined with ${chosen[0]}`);
  }
  if (values.resume && (values.print !== undefined || values.json || values['output-schema'] !== undefined)) {
    throw new UsageError(
      '--resume asks which session to open, so it needs the interactive mode; use --continue or --session FILE with -p',
    );
  }

  const args: RunArgs = {
    kind: 'run',
    print: values.print !== undefined,
    json: values.json === true,
    continue: values.continue === true,
    resume: values.resume === true,
    noSession: values['no-session'] === true,
    hideThinking: values['hide-thinking'] === true,
    demo: values.demo === true,
  };
  if (prompt !== undefined) args.prompt = prompt;
  if (values['output-schema'] !== undefined) {
    args.outputSchema = nonEmpty('--output-schema', values['output-schema']);
  }
  if (values.provider !== undefined) args.provider = nonEmpty('--provider', values.provider);
  if (values.model !== undefined) args.model = nonEmpty('--model', values.model);
  if (values['base-url'] !== undefined) args.baseUrl = parseUrl('--base-url', values['base-url']);
  if (values['api-key'] !== undefined) args.apiKey = nonEmpty('--api-key', values['api-key']);
  if (values.thinking !== undefined) args.thinking = parseThinking(values.thinking, '--thinking');
  if (values.tools !== undefined) args.tools = parseTools(values.tools);
  if (values.cwd !== undefined) args.cwd = nonEmpty('--cwd', values.cwd);
  if (values.env !== undefined) args.env = values.env.map(parseEnvName);
  if (values.session !== undefined) args.session = nonEmpty('--session', values.session);
  if (values.approval !== undefined) args.approval = parseApproval(values.approval);
  if (values['sandbox-network'] && !values.sandbox) throw new UsageError('--sandbox-network needs --sandbox');
  if (values.sandbox) args.sandbox = { network: values['sandbox-network'] === true };
  return args;
}

const MCP_OPTIONS = {
  cwd: { type: 'string' },
  tools: { type: 'string' },
  sandbox: { type: 'boolean' },
  'sandbox-network': { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

function parseMcpArgs(argv: readonly string[]): CliArgs {
  const { values, positionals } = parse(argv, MCP_OPTIONS);
  if (values.help) return { kind: 'help', topic: 'mcp' };
  if (positionals.length > 0) throw new UsageError(`mcp takes no arguments, got "${positionals[0]}"`);
  const args: McpArgs = { kind: 'mcp' };
  if (values.cwd !== undefined) args.cwd = nonEmpty('--cwd', values.cwd);
  if (values.tools !== undefined) args.tools = parseTools(values.tools);
  if (values['sandbox-network'] && !values.sandbox) throw new UsageError('--sandbox-network needs --sandbox');
  if (values.sandbox) args.sandbox = { network: values['sandbox-network'] === true };
  return args;
}

function parseServeArgs(argv: readonly string[], env: NodeJS.ProcessEnv): CliArgs {
  const { values, positionals } = parse(argv, SERVE_OPTIONS);
  if (values.help) return { kind: 'help', topic: 'serve' };
  if (positionals.length > 0) throw new UsageError(`serve takes no arguments, got "${positionals[0]}"`);
  const token = values.token ?? (env.QCORE_TOKEN || undefined);
  if (!token) {
    throw new UsageError('serve needs a token: set QCORE_TOKEN (it stays out of ps), or pass --token');
  }
  if (token.length < MIN_TOKEN_LENGTH) {
    throw new UsageError(
      `the token must be at least ${MIN_TOKEN_LENGTH} characters; make one with: openssl rand -hex 32`,
    );
  }
  const args: ServeArgs = { kind: 'serve', token };
  if (values.mcp) args.mcp = true;
  if (values['sandbox-network'] && !values.sandbox) throw new UsageError('--sandbox-network needs --sandbox');
  if (values.sandbox) args.sandbox = { network: values['sandbox-network'] === true };
  if (values.root !== undefined) args.root = nonEmpty('--root', values.root);
  if (values.host !== undefined) args.host = nonEmpty('--host', values.host);
  if (values.cors !== undefined) args.cors = nonEmpty('--cors', values.cors);
  if (values['allow-host'] !== undefined) {
    args.allowedHosts = values['allow-host'].map((host) => nonEmpty('--allow-host', host));
  }
  if (values.port !== undefined) {
    const port = Number(values.port);
    if (!/^\d+$/.test(values.port) || port > 65535) {
      throw new UsageError(`--port must be a number from 0 to 65535, got "${values.port}"`);
    }
    args.port = port;
  }
  return args;
}

function parseApproval(value: string): ApprovalMode {
  const mode = APPROVAL_MODES.find((m) => m === value);
  if (!mode) throw new UsageError(`--approval must be one of ${APPROVAL_MODES.join(', ')}, got "${value}"`);
  return mode;
}

export function parseThinking(value: string, source: string): ReasoningLevel {
  const level = THINKING_LEVELS.find((l) => l === value);
  if (!level) throw new UsageError(`${source} must be one of ${THINKING_LEVELS.join(', ')}, got "${value}"`);
  return level;
}

function parseTools(value: string): CodingToolName[] {
  const names = value
    .split(',')
    .map((name) => name.trim())
    .filter((name) => name !== '');
  const tools: CodingToolName[] = [];
  for (const name of names) {
    const tool = CODING_TOOL_NAMES.find((t) => t === name);
    if (!tool) {
      const hint = closestMatch(name, CODING_TOOL_NAMES);
      throw new UsageError(
        `unknown tool "${name}" in --tools${hint ? ` (did you mean ${hint}?)` : ''}; choose from ${CODING_TOOL_NAMES.join(',')}`,
      );
    }
    if (!tools.includes(tool)) tools.push(tool);
  }
  return tools;
}

function nonEmpty(flag: string, value: string): string {
  if (value.trim() === '') throw new UsageError(`${flag} needs a value`);
  return value;
}

function parseUrl(flag: string, value: string): string {
  const problem = baseUrlProblem(value, flag);
  if (problem !== undefined) throw new UsageError(problem);
  const { protocol } = new URL(value);
  if (protocol === 'http:' || protocol === 'https:') return value;
  throw new UsageError(`${flag} must be an http(s) URL, got "${hideUserinfo(value)}"`);
}

export const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** A name only: a value here would show in `ps`, and the point is to pass on what is already set. */
function parseEnvName(value: string): string {
  if (ENV_NAME.test(value)) return value;
  const shown = value.includes('=') ? `${value.slice(0, value.indexOf('='))}=…` : value;
  throw new UsageError(`--env takes a variable name such as GITHUB_TOKEN, got "${shown}"`);
}

type Options = typeof RUN_OPTIONS | typeof SERVE_OPTIONS | typeof MCP_OPTIONS;

function parse<T extends Options>(argv: readonly string[], options: T) {
  try {
    return parseArgs({ args: [...argv], options, allowPositionals: true, strict: true });
  } catch (error) {
    throw new UsageError(describeParseError(error, Object.keys(options)));
  }
}

/** node:util's messages run over several lines and suggest `--`; one short line helps more. */
function describeParseError(error: unknown, known: readonly string[]): string {
  const message = error instanceof Error ? error.message : String(error);
  const code = error instanceof Error && 'code' in error ? error.code : undefined;
  const option = /'(-{1,2}[^' ]+)/.exec(message)?.[1];
  if (code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION' && option) {
    const hint = option.startsWith('--') ? closestMatch(option.slice(2), known) : undefined;
    return `unknown option ${option}${hint ? ` (did you mean --${hint}?)` : ''}`;
  }
  if (code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE') {
    const flag = /--[\w-]+/.exec(message)?.[0] ?? 'an option';
    return message.includes('argument missing') ? `${flag} needs a value` : `${flag} does not take a value`;
  }
  return message.split('\n')[0] ?? message;
}
