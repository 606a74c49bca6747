/**
 * Runs the real `qcore` CLI as a child process, from the TypeScript source,
 * in a temporary project with its own `QCORE_HOME` and no real provider keys.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

export const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
export const CLI = join(REPO, 'adapters/node/cli.ts');
/** An absolute loader URL: the child runs in a temporary directory where `tsx` would not resolve. */
export const TSX = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
export const NODE_ARGS = ['--import', TSX, CLI];

/** Every variable that could carry a real key or change the CLI's defaults. */
const SCRUBBED = [
  'ANTHROPIC_API_KEY',
  'OPENAI_API_KEY',
  'DASHSCOPE_API_KEY',
  'QWEN_API_KEY',
  'MOONSHOT_API_KEY',
  'KIMI_API_KEY',
  'DEEPSEEK_API_KEY',
  'GEMINI_API_KEY',
  'GOOGLE_API_KEY',
  'QCORE_HOME',
  'QCORE_PROVIDER',
  'QCORE_MODEL',
  'QCORE_THINKING',
  'QCORE_TOKEN',
  'QCORE_DEBUG',
  'NO_COLOR',
  'FORCE_COLOR',
];

export interface Project {
  /** The working directory, with symlinks resolved as the CLI records it. */
  dir: string;
  /** `QCORE_HOME`. */
  home: string;
  env: NodeJS.ProcessEnv;
}

const created: string[] = [];

/** A temporary project directory holding `files`, with its own qcore home outside it. */
export function tempProject(files: Record<string, string> = {}, env: NodeJS.ProcessEnv = {}): Project {
  const base = realpathSync(mkdtempSync(join(tmpdir(), 'qcore-cli-')));
  created.push(base);
  const dir = join(base, 'project');
  const home = join(base, 'home');
  mkdirSync(dir);
  writeFiles(dir, files);
  const clean: NodeJS.ProcessEnv = { ...process.env };
  for (const name of SCRUBBED) delete clean[name];
  return { dir, home, env: { ...clean, QCORE_HOME: home, HOME: base, ...env } };
}

/** Deletes every project this test file made; for `afterAll`. */
export function removeTempProjects(): void {
  for (const base of created.splice(0)) rmSync(base, { recursive: true, force: true });
}

export function writeFiles(dir: string, files: Record<string, string>): void {
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), content);
  }
}

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** Written to stdin, which is then closed (it is closed empty otherwise). */
  input?: string;
  timeoutMs?: number;
}

export interface RunningCli {
  child: ChildProcess;
  stdout(): string;
  stderr(): string;
  done: Promise<CliResult>;
}

export function startCli(project: Project, args: readonly string[], options: RunOptions = {}): RunningCli {
  const child = spawn(process.execPath, [...NODE_ARGS, ...args], {
    cwd: options.cwd ?? project.dir,
    env: { ...project.env, ...options.env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
    stdout += chunk;
  });
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk;
  });
  child.stdin?.end(options.input ?? '');
  const timeoutMs = options.timeoutMs ?? 20_000;
  const done = new Promise<CliResult>((resolveDone, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(
        new Error(`qcore ${args.join(' ')} did not finish in ${timeoutMs} ms\nstdout: ${stdout}\nstderr: ${stderr}`),
      );
    }, timeoutMs);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolveDone({ code, signal, stdout, stderr });
    });
  });
  return { child, stdout: () => stdout, stderr: () => stderr, done };
}

export function runCli(project: Project, args: readonly string[], options: RunOptions = {}): Promise<CliResult> {
  return startCli(project, args, options).done;
}

/** Resolves once `check` holds, polling; fails after `timeoutMs`. */
export async function waitUntil(check: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolveWait) => setTimeout(resolveWait, 25));
  }
}

// biome-ignore lint/suspicious/noControlCharactersInRegex: matching terminal escape codes is the point
const ANSI = /\x1b\[[0-9;?]*[A-Za-z]/g;

export function stripAnsi(text: string): string {
  return text.replace(ANSI, '');
}
