/**
 * The agent command: works out the directory, config, model, key and
 * session, builds the agent, then hands it to print mode or to the
 * interactive session.
 */

import { randomUUID } from 'node:crypto';
import { realpathSync, statSync } from 'node:fs';
import { basename, resolve } from 'node:path';
import { createInterface } from 'node:readline/promises';
import type { AgentMessage, CompactionOptions } from '../../../src/agent/types.js';
import { listModels } from '../../../src/ai/models.js';
import type { Model, ReasoningLevel } from '../../../src/ai/types.js';
import { createCodingAgent } from './agent-setup.js';
import { parseThinking, type RunArgs } from './args.js';
import { loadConfig } from './config.js';
import type { QcoreConfig } from './config-schema.js';
import type { Demo } from './demo.js';
import { UsageError } from './errors.js';
import { version } from './help.js';
import { homePaths } from './home.js';
import { listFiles } from './input/list-files.js';
import { runInteractive } from './interactive.js';
import { LiveView } from './live-view.js';
import { McpServers } from './mcp-servers.js';
import { HookRunner } from './permissions/hooks.js';
import { PermissionPolicy } from './permissions/policy.js';
import { ToolGate } from './permissions/tool-gate.js';
import { readOutputSchema, runPrintMode } from './print-mode.js';
import { formatCost, sumUsage } from './render.js';
import {
  modelRequestFrom,
  parseModelSpec,
  registerCustomModels,
  resolveApiKey,
  resolveModel,
  resolveThinking,
} from './resolve-model.js';
import { prepareSandbox } from './sandbox-setup.js';
import { lastExchanges, parsePick, pickerLines } from './session-picker.js';
import { SessionRecorder } from './session-recorder.js';
import { readStdin } from './stdin.js';
import { colorEnabled, createStyle, type TerminalStream } from './style.js';

export interface CliIO {
  stdin: NodeJS.ReadStream;
  stdout: NodeJS.WriteStream;
  stderr: NodeJS.WriteStream;
  env: NodeJS.ProcessEnv;
}

export async function runAgentCommand(args: RunArgs, io: CliIO): Promise<number> {
  const { env, stdin, stdout, stderr } = io;
  const warn = (message: string) => stderr.write(`qcore: warning: ${message}\n`);
  const cwd = resolveCwd(args.cwd);
  const paths = homePaths(env);
  // Before anything else runs: with --sandbox, bash never runs unsandboxed.
  const sandbox = args.sandbox ? prepareSandbox(args.sandbox.network, cwd, paths.home, env) : undefined;
  const { config, path: configPath } = loadConfig(paths.config);
  registerCustomModels(config);

  const interactive =
    !args.print && !args.json && args.outputSchema === undefined && stdin.isTTY === true && stdout.isTTY === true;
  const outputSchema = args.outputSchema === undefined ? undefined : readOutputSchema(args.outputSchema);
  if (args.demo && args.prompt !== undefined) throw new UsageError('--demo runs its own prompt; leave the prompt out');
  let prompt = args.prompt;
  if (args.resume && !interactive) {
    throw new UsageError(
      '--resume asks which session to open, so it needs a terminal; use --continue or --session FILE',
    );
  }
  if (!interactive && prompt === undefined && !args.demo) {
    if (stdin.isTTY) throw new UsageError('no prompt: pass -p "...", or pipe the prompt on stdin');
    prompt = (await readStdin(stdin)).trim();
    if (prompt === '') throw new UsageError('the prompt on stdin is empty');
  }

  const thinking = resolveThinking(args.thinking, envThinking(env), config);
  let demo: Demo | undefined;
  let model: Model;
  if (args.demo) {
    // Loaded only here: the mock server is no part of a normal run.
    const { startDemo } = await import('./demo.js');
    demo = await startDemo(cwd, { paced: stdout.isTTY === true || stderr.isTTY === true });
    model = demo.model;
    prompt = demo.prompt;
  } else {
    model = resolveModel(modelRequestFrom(args, env, config), config);
    // Fails here, before any request, when no key can be found.
    resolveApiKey(model.provider, args.apiKey, env, config, configPath);
  }
  const startProvider = model.provider;

  let mcp: McpServers | undefined;
  try {
    const recorder = new SessionRecorder({
      sessionsDir: args.noSession || demo ? undefined : paths.sessions,
      cwd,
      warn,
    });
    const { messages, resumedFrom, lastModel } = await openSession(args, recorder, cwd, warn, io);
    // The demo writes its one file without asking, unless --approval says otherwise.
    const approval = args.approval ?? config.permissions?.defaultMode ?? (demo ? 'yolo' : 'ask');
    const sessionId = recorder.path ? basename(recorder.path, '.jsonl') : randomUUID();
    const policy = new PermissionPolicy(approval, config.permissions ?? {}, cwd);
    const gate = new ToolGate(policy, new HookRunner(config.hooks ?? {}, cwd, () => sessionId), warn);
    if (lastModel) model = sessionModel(lastModel, model, args, env, config, configPath, warn);
    // In parallel, before the first prompt; a server that fails is reported once and left out.
    mcp = config.mcpServers && !demo ? await McpServers.start(config.mcpServers, cwd, warn) : undefined;
    const setup = createCodingAgent({
      ...(mcp ? { extraTools: mcp.tools() } : {}),
      cwd,
      qcoreHome: paths.home,
      model,
      thinking,
      tools: args.tools ?? config.default?.tools,
      messages,
      commandEnv: commandEnv(args, config, env, warn),
      compaction: compactionOptions(config),
      hiddenFromReads: (path) => policy.readDenied(path),
      beforeToolCall: gate.beforeToolCall,
      afterToolCall: gate.afterToolCall,
      ...(sandbox ? { sandbox } : {}),
      getApiKey: (provider) => {
        if (demo && setup.agent.state.model === demo.model) return demo.apiKey;
        if (args.apiKey && provider === startProvider) return args.apiKey;
        try {
          return resolveApiKey(provider, undefined, env, config, configPath);
        } catch {
          return undefined;
        }
      },
    });
    const { agent } = setup;
    // A server's new tool list reaches the next model call.
    mcp?.onToolsChanged(() => agent.setTools([...setup.codingTools, ...(mcp?.tools() ?? [])]));
    recorder.attach(agent);

    if (!interactive) {
      if (demo) stderr.write(`${demo.banner}\n`);
      const progress =
        stderr.isTTY && !args.json
          ? new LiveView(stderr, createStyle(colorEnabled(stderr, env)), {
              showThinking: false,
              spinner: true,
              showText: false,
            })
          : undefined;
      const prepared = await gate.preparePrompt(prompt ?? '');
      if ('blocked' in prepared) {
        stderr.write(`qcore: the prompt was not sent: ${prepared.blocked}\n`);
        return 1;
      }
      const stopBlocked = (n: number) => gate.stopBlocked(n);
      return await runPrintMode({
        agent,
        prompt: prepared.text,
        json: args.json,
        stdout,
        stderr,
        progress,
        stopBlocked,
        ...(outputSchema ? { outputSchema } : {}),
      });
    }

    const style = createStyle(colorEnabled(stdout, env));
    const createView = (out: TerminalStream) =>
      new LiveView(out, style, {
        showThinking: !(args.hideThinking || config.ui?.hide_thinking === true),
        spinner: stdout.isTTY === true,
        showText: true,
      });
    // The session's cost so far, kept as replies come rather than summed for every redraw.
    let cost = sumUsage(agent.state.messages).usage.cost.total;
    agent.subscribe((event) => {
      if (event.type === 'message_end' && event.message.role === 'assistant') cost += event.message.usage.cost.total;
    });
    const status = () => {
      const { percent } = agent.contextUsage;
      const current = agent.state.model;
      const level = agent.streamOptions.reasoning ?? thinking;
      return `${current.provider}/${current.id} · thinking ${level} · context ${Math.round(percent)}% · ${formatCost(cost)} · ${approval}`;
    };
    const sessionNote = resumedFrom
      ? `resumed ${messages.length} messages from ${resumedFrom}`
      : recorder.path
        ? `session ${recorder.path}`
        : 'session not saved';
    const banner = [
      `${style.bold('qcore')} ${version()} · ${model.provider}/${model.id} · thinking ${thinking}`,
      style.dim(`${cwd} · ${sessionNote}`),
    ];
    if (sandbox) {
      banner.push(
        style.dim(
          `sandbox: bash writes only here and in a private /tmp, cannot see $QCORE_HOME or credential files${sandbox.network ? '' : ', has no network'}`,
        ),
      );
    }
    if (setup.contextFiles.length > 0) banner.push(style.dim(`instructions: ${setup.contextFiles.join(', ')}`));
    // Where a resumed conversation stopped.
    if (resumedFrom) banner.push(...lastExchanges(messages, style));
    banner.push(style.dim('Enter sends · Ctrl-C aborts · /help for commands'));
    if (demo) banner.unshift(style.yellow(demo.banner));

    const options: Parameters<typeof runInteractive>[0] = {
      agent,
      createView,
      status,
      listFiles: (prefix) => listFiles(cwd, prefix),
      style,
      stdin,
      stdout,
      historyPath: paths.history,
      banner,
      gate,
      beforePrompt: () => setup.undo.begin(),
      slash: {
        recorder,
        undo: () => setup.undo.undo(),
        mcp: () => mcp?.describe() ?? 'no MCP servers: add them under "mcpServers" in the config file',
        switchModel: (spec) => {
          const current = agent.state.model.provider;
          const { provider, model: id } = parseModelSpec(spec, current);
          const request: { provider: string; model: string; baseUrl?: string } = { provider, model: id };
          if (args.baseUrl && provider === startProvider) request.baseUrl = args.baseUrl;
          const next = resolveModel(request, config);
          if (!(args.apiKey && provider === startProvider)) {
            resolveApiKey(provider, undefined, env, config, configPath);
          }
          agent.setModel(next);
          return next;
        },
        modelChoices: () => {
          const current = agent.state.model.provider;
          const custom = (config.models?.custom ?? []).filter((m) => m.provider !== current);
          return [
            ...listModels(current),
            ...custom.flatMap((m) => listModels(m.provider).filter((known) => known.id === m.id)),
          ];
        },
        thinking: () => agent.streamOptions.reasoning ?? thinking,
        setThinking: (level: ReasoningLevel) => {
          agent.setStreamOptions({ reasoning: level });
        },
      },
    };
    if (prompt !== undefined) options.initialPrompt = prompt;
    return await runInteractive(options);
  } finally {
    await mcp?.close();
    await demo?.close();
  }
}

function resolveCwd(flag: string | undefined): string {
  const dir = resolve(flag ?? process.cwd());
  let isDirectory = false;
  try {
    isDirectory = statSync(dir).isDirectory();
  } catch {
    // Reported below.
  }
  if (!isDirectory) throw new UsageError(`--cwd ${dir} is not a directory`);
  // Sessions match on the directory, so one directory must have one spelling.
  return realpathSync(dir);
}

/** The variables `--env` and the config's `env` name, with their values from qcore's own environment. */
function commandEnv(
  args: RunArgs,
  config: QcoreConfig,
  env: NodeJS.ProcessEnv,
  warn: (message: string) => void,
): Record<string, string> {
  const passed: Record<string, string> = {};
  const sources = [
    ...(config.env ?? []).map((name) => ({ name, source: 'env in the config file' })),
    ...(args.env ?? []).map((name) => ({ name, source: '--env' })),
  ];
  for (const { name, source } of sources) {
    const value = env[name];
    if (value !== undefined) passed[name] = value;
    else if (!(name in passed)) warn(`${source} ${name}: it is not set, so commands do not get it`);
  }
  return passed;
}

function compactionOptions(config: QcoreConfig): CompactionOptions {
  const settings = config.compaction ?? {};
  const options: CompactionOptions = {};
  if (settings.enabled !== undefined) options.enabled = settings.enabled;
  if (settings.reserve_tokens !== undefined) options.reserveTokens = settings.reserve_tokens;
  if (settings.keep_recent_tokens !== undefined) options.keepRecentTokens = settings.keep_recent_tokens;
  return options;
}

function envThinking(env: NodeJS.ProcessEnv): ReasoningLevel | undefined {
  return env.QCORE_THINKING ? parseThinking(env.QCORE_THINKING, 'QCORE_THINKING') : undefined;
}

/** Chooses the session file, loads its messages when resuming, and points the recorder at it. */
/** `--resume`: this directory's sessions as a numbered list, and the one typed; undefined for a new one. */
async function pickSession(recorder: SessionRecorder, io: CliIO): Promise<string | undefined> {
  const choices = await recorder.choices();
  const style = createStyle(colorEnabled(io.stdout, io.env));
  if (choices.length === 0) {
    io.stdout.write(`${style.dim('no earlier session in this directory; starting a new one')}\n`);
    return undefined;
  }
  io.stdout.write(`${pickerLines(choices, style, io.stdout.columns).join('\n')}\n`);
  const lines = createInterface({ input: io.stdin, output: io.stdout, terminal: true });
  try {
    for (;;) {
      const picked = parsePick(
        await lines.question('Resume which? (number, or Enter for a new conversation) '),
        choices,
      );
      if (typeof picked !== 'string') return picked?.path;
      io.stdout.write(`${style.yellow(picked)}\n`);
    }
  } finally {
    lines.close();
  }
}

async function openSession(
  args: RunArgs,
  recorder: SessionRecorder,
  cwd: string,
  warn: (message: string) => void,
  io: CliIO,
): Promise<{ messages: AgentMessage[]; resumedFrom: string | undefined; lastModel?: SessionModel }> {
  if (!recorder.enabled) return { messages: [], resumedFrom: undefined };
  let path: string | undefined;
  if (args.session !== undefined) path = resolve(args.session);
  else if (args.resume) path = await pickSession(recorder, io);
  else if (args.continue) {
    path = await recorder.findLatest();
    if (!path) warn(`no earlier session for ${cwd}; starting a new one`);
  }
  if (!path) {
    recorder.startNew();
    return { messages: [], resumedFrom: undefined };
  }
  const loaded = await recorder.open(path);
  if (!loaded) return { messages: [], resumedFrom: undefined };
  return loaded.model
    ? { messages: loaded.messages, resumedFrom: path, lastModel: loaded.model }
    : { messages: loaded.messages, resumedFrom: path };
}

type SessionModel = { provider: string; model: string };

/**
 * The model a resumed session last used, unless this run chose one (`--model`,
 * `--provider`, `QCORE_MODEL`, `QCORE_PROVIDER`; the config file's default
 * does not count) or it cannot be used now, which a warning says.
 * `--base-url` and `--api-key` belong to the run's provider: they apply to
 * the session's model of that provider, and keep the run's model otherwise.
 */
function sessionModel(
  last: SessionModel,
  current: Model,
  args: RunArgs,
  env: NodeJS.ProcessEnv,
  config: QcoreConfig,
  configPath: string,
  warn: (message: string) => void,
): Model {
  const chosen = [args.model, args.provider, env.QCORE_MODEL, env.QCORE_PROVIDER];
  if (chosen.some((value) => value !== undefined && value !== '')) return current;
  if (last.provider === current.provider && last.model === current.id) return current;
  const sameProvider = last.provider === current.provider;
  if (!sameProvider && (args.baseUrl !== undefined || args.apiKey !== undefined)) return current;
  try {
    const request: { provider: string; model: string; baseUrl?: string } = { ...last };
    if (sameProvider && args.baseUrl !== undefined) request.baseUrl = args.baseUrl;
    const model = resolveModel(request, config);
    resolveApiKey(model.provider, sameProvider ? args.apiKey : undefined, env, config, configPath);
    return model;
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    warn(
      `the session last used ${last.provider}/${last.model}, which cannot be used now (${reason}); going on with ${current.provider}/${current.id}`,
    );
    return current;
  }
}
