/**
 * `--sandbox` for `qcore` and `qcore serve`: checks that bubblewrap runs here
 * before anything else does, and says what it hides.
 */
import { mkdirSync } from 'node:fs';
import { homedir } from 'node:os';
import { checkSandbox, defaultHiddenPaths, type SandboxOptions, sandboxProblem } from '../sandbox.js';
import { CliError } from './errors.js';

/**
 * The sandbox for commands run in `root`, hiding `qcoreHome` and the
 * defaults. Throws a `CliError` (exit 1) with the fix when bwrap cannot run:
 * a command never runs unsandboxed.
 */
export function prepareSandbox(
  network: boolean,
  root: string,
  qcoreHome: string,
  env: NodeJS.ProcessEnv,
): SandboxOptions & { network: boolean } {
  const hide = [qcoreHome, ...defaultHiddenPaths(env.HOME || homedir())];
  try {
    const bwrap = checkSandbox(env);
    // Only a path that exists is hidden. Made now, so that a command cannot create a config
    // for qcore to read later when $QCORE_HOME is in the working directory.
    mkdirSync(qcoreHome, { recursive: true, mode: 0o700 });
    const options = { bwrap, network, hide };
    const problem = sandboxProblem(root, options);
    if (problem) throw new Error(`--sandbox: ${problem}`);
    return options;
  } catch (error) {
    throw new CliError(error instanceof Error ? error.message : String(error));
  }
}
