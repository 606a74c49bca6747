/**
 * Runs commands inside bubblewrap (`bwrap`, Linux only): what the sandbox
 * mounts, what it hides, and the start-up check that it can run at all.
 *
 * Inside, in this order (later mounts cover earlier ones):
 * - the whole filesystem read-only (`--ro-bind / /`);
 * - a fresh `/dev` (null, zero, random, tty, pts, shm) and a `/proc` of the new PID namespace;
 * - a private, empty, writable `/tmp` (tmpfs);
 * - the workspace root bound writable, after `/tmp`, so a root under `/tmp` still works;
 * - every hidden path covered: a directory by an empty tmpfs, anything else by `/dev/null`.
 *   These come after the root, so a hidden path inside the root is hidden too.
 * Namespaces: user (where needed), PID, IPC, UTS, cgroup, and network unless `network`.
 * All capabilities are dropped (bwrap run as root keeps them otherwise, and could unmount
 * what hides a path). `--new-session` stops a command from typing into the terminal
 * (TIOCSTI); `--die-with-parent` and the PID namespace mean that killing bwrap ends
 * every process the command started, even one that called `setsid`.
 *
 * Not confined: reading any file that is not hidden, Unix sockets on the filesystem
 * that are not hidden (a read-only mount does not stop `connect`), writing inside
 * the root, CPU and memory use. macOS (`sandbox-exec`) is not done.
 */
import { spawnSync } from 'node:child_process';
import { accessSync, constants, realpathSync, statSync } from 'node:fs';
import { delimiter, isAbsolute, join, sep } from 'node:path';

export interface SandboxOptions {
  /** Let commands use the network (the host's). Default false: a network namespace with only its own loopback. */
  network?: boolean;
  /**
   * Absolute paths commands must not see: each one that exists is covered by an
   * empty tmpfs (a directory) or `/dev/null` (a file or socket). See `defaultHiddenPaths`.
   */
  hide?: readonly string[];
  /** The bwrap executable. Default `bwrap`, looked up on `PATH`. */
  bwrap?: string;
}

/**
 * What the CLI hides besides `$QCORE_HOME`: credentials in the home directory
 * (SSH and GPG keys, cloud, container and package-registry logins), per-user
 * runtime sockets (SSH and GPG agents, the session D-Bus) and the Docker socket.
 */
export function defaultHiddenPaths(home: string | undefined): string[] {
  const inHome = home
    ? [
        '.ssh',
        '.gnupg',
        '.aws',
        '.azure',
        '.config/gcloud',
        '.config/gh',
        '.kube',
        '.docker',
        '.netrc',
        '.npmrc',
        '.pypirc',
        '.git-credentials',
        '.cargo/credentials',
        '.cargo/credentials.toml',
      ].map((name) => join(home, name))
    : [];
  return [...inHome, '/run/user', '/run/docker.sock', '/var/run/docker.sock'];
}

/**
 * The argv (bwrap first) that runs `shell -c command` in the sandbox, with
 * `root` writable and `cwd` (inside it) as the working directory. Both must
 * be real paths (symlinks resolved). Throws when the sandbox would not hold:
 * a root of `/`, or a hidden path that holds the root.
 */
export function sandboxArgv(
  shell: string,
  command: string,
  place: { root: string; cwd: string },
  options: SandboxOptions = {},
): string[] {
  const { root, cwd } = place;
  const problem = sandboxProblem(root, options);
  if (problem) throw new Error(problem);
  const argv = [options.bwrap ?? 'bwrap', '--ro-bind', '/', '/', '--dev', '/dev', '--proc', '/proc'];
  argv.push('--tmpfs', '/tmp', '--bind', root, root);
  for (const { path, directory } of hiddenMounts(options.hide ?? [])) {
    argv.push(...(directory ? ['--tmpfs', path] : ['--ro-bind', '/dev/null', path]));
  }
  argv.push('--unshare-all');
  if (options.network) argv.push('--share-net');
  argv.push('--cap-drop', 'ALL', '--die-with-parent', '--new-session', '--chdir', cwd, '--', shell, '-c', command);
  return argv;
}

/** Why a sandbox with `root` writable would not hold, or `undefined`. */
export function sandboxProblem(root: string, options: SandboxOptions = {}): string | undefined {
  if (root === '/') return 'the sandbox cannot make / the working directory: all of it would be writable';
  for (const { path } of hiddenMounts(options.hide ?? [])) {
    if (root === path || root.startsWith(path.endsWith(sep) ? path : `${path}${sep}`)) {
      return `the sandbox hides ${path}, which holds the working directory ${root}`;
    }
  }
  return undefined;
}

/** The hidden paths that exist, each also by its real path, without repeats. */
function hiddenMounts(paths: readonly string[]): { path: string; directory: boolean }[] {
  const mounts = new Map<string, boolean>();
  for (const path of paths) {
    if (!isAbsolute(path)) throw new Error(`a hidden path must be absolute, got "${path}"`);
    let directory: boolean;
    let real: string;
    try {
      directory = statSync(path).isDirectory();
      real = realpathSync(path);
    } catch {
      continue; // Missing (or unreadable to us): nothing to hide.
    }
    mounts.set(path, directory);
    mounts.set(real, directory);
  }
  return [...mounts].map(([path, directory]) => ({ path, directory }));
}

/**
 * Checks that bwrap can run here, by running `true` in the sandbox's
 * namespaces. Returns the absolute path of bwrap, or throws an Error whose
 * message is one line saying what is missing and how to fix it.
 */
export function checkSandbox(env: NodeJS.ProcessEnv = process.env, platform = process.platform): string {
  if (platform !== 'linux') {
    throw new Error(
      `--sandbox works only on Linux (with bubblewrap) for now; on ${platform} it is not available (macOS sandbox-exec is not supported yet)`,
    );
  }
  const bwrap = findExecutable('bwrap', env.PATH);
  if (!bwrap) {
    throw new Error(
      '--sandbox needs bubblewrap (bwrap), which is not on PATH: install it with `apt install bubblewrap`',
    );
  }
  const probe = spawnSync(
    bwrap,
    [
      '--ro-bind',
      '/',
      '/',
      '--dev',
      '/dev',
      '--proc',
      '/proc',
      '--tmpfs',
      '/tmp',
      '--unshare-all',
      '--cap-drop',
      'ALL',
      '--die-with-parent',
      '--new-session',
      '--',
      'true',
    ],
    { encoding: 'utf8', timeout: 10_000, env },
  );
  if (probe.status === 0) return bwrap;
  const said = (probe.error?.message ?? probe.stderr ?? '').trim().split('\n')[0] || `exit code ${probe.status}`;
  throw new Error(
    `--sandbox cannot start bubblewrap (${said}); user namespaces may be off: enable them with \`sysctl kernel.unprivileged_userns_clone=1\` (Ubuntu 24.04+: \`sysctl kernel.apparmor_restrict_unprivileged_userns=0\`)`,
  );
}

function findExecutable(name: string, path: string | undefined): string | undefined {
  for (const dir of (path ?? '').split(delimiter)) {
    if (dir === '') continue;
    const candidate = join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      if (statSync(candidate).isFile()) return candidate;
    } catch {
      // Not here.
    }
  }
  return undefined;
}
