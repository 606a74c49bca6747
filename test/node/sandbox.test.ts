/**
 * `--sandbox`: commands run in bubblewrap. These tests need a working bwrap
 * (`.ci/run` installs it) and fail, never skip, without one.
 */
import { existsSync, mkdirSync, mkdtempSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { NodeWorkspace } from '../../adapters/node/node-workspace.js';
import { checkSandbox, defaultHiddenPaths, sandboxArgv } from '../../adapters/node/sandbox.js';
import { RemoteWorkspace } from '../../src/tools/remote-workspace.js';
import { type MockServer, startMockServer } from '../../testing/mock-server.js';
import { startInPty } from './cli-support/pty.js';
import { removeTempProjects, runCli, startCli, tempProject, waitUntil } from './cli-support/run-cli.js';
import { textReply, toolReply, toolResults } from './cli-support/wire.js';
import { makeTempDir } from './exec-helpers.js';

let mock: MockServer;
/** Outside /tmp, so that only the sandbox's own mounts, not its private /tmp, can hide or protect it. */
let varBase: string;
const cleanup: string[] = [];

beforeAll(async () => {
  mock = await startMockServer();
  varBase = realpathSync(mkdtempSync('/var/tmp/qcore-sandbox-'));
  cleanup.push(varBase);
});
afterAll(async () => {
  await mock.close();
  removeTempProjects();
  for (const dir of cleanup) rmSync(dir, { recursive: true, force: true });
});

function dirIn(base: string, name: string): string {
  const dir = join(base, name);
  mkdirSync(dir, { recursive: true });
  return dir;
}

const port = () => new URL(mock.url).port;

describe('the sandbox around exec', { timeout: 20_000 }, () => {
  test('bwrap works on this machine (CI installs it)', () => {
    expect(checkSandbox()).toMatch(/\/bwrap$/);
  });

  test('a write outside the working directory fails; one inside succeeds', async () => {
    const root = dirIn(varBase, 'project-a');
    const outside = dirIn(varBase, 'outside-a');
    const workspace = new NodeWorkspace(root, { sandbox: {} });
    const result = await workspace.exec(`echo in > inside.txt; echo out > ${outside}/escaped.txt`, {});
    expect(result.output).toMatch(/Read-only file system/);
    expect(existsSync(join(outside, 'escaped.txt'))).toBe(false);
    expect(existsSync(join(root, 'inside.txt'))).toBe(true);
    // Without the sandbox the same command writes outside: the test above means something.
    const loose = await new NodeWorkspace(root).exec(`echo out > ${outside}/escaped.txt`, {});
    expect(loose.exitCode).toBe(0);
    expect(existsSync(join(outside, 'escaped.txt'))).toBe(true);
  });

  test('a working directory under /tmp works, and /tmp is private', async () => {
    const root = realpathSync(await makeTempDir('sandbox-tmp'));
    cleanup.push(root);
    const workspace = new NodeWorkspace(root, { sandbox: {} });
    const result = await workspace.exec(
      'mkdir -p sub && echo ok > sub/f.txt && echo scratch > /tmp/scratch.txt && cat sub/f.txt',
      {
        cwd: '.',
      },
    );
    expect(result).toMatchObject({ exitCode: 0, output: 'ok\n' });
    expect(existsSync(join(root, 'sub/f.txt'))).toBe(true);
    expect(existsSync('/tmp/scratch.txt')).toBe(false);
    const inSub = await workspace.exec('pwd', { cwd: 'sub' });
    expect(inSub.output).toBe(`${join(root, 'sub')}\n`);
  });

  test('$QCORE_HOME and the hidden paths are empty inside', async () => {
    const root = dirIn(varBase, 'project-b');
    const home = dirIn(varBase, 'qcore-home');
    writeFileSync(join(home, 'config.json'), '{"api_key":"sk-hidden-secret"}');
    const npmrc = join(varBase, 'npmrc');
    writeFileSync(npmrc, '//registry/:_authToken=npm-hidden-secret');
    const workspace = new NodeWorkspace(root, { sandbox: { hide: [home, npmrc] } });
    const result = await workspace.exec(`ls -A ${home}; cat ${home}/config.json; cat ${npmrc}; echo done`, {});
    expect(result.output).not.toMatch(/hidden-secret/);
    expect(result.output).toMatch(/No such file/);
    expect(result.output).toMatch(/done\n$/);
  });

  test('a hidden path inside the working directory stays hidden', async () => {
    const root = dirIn(varBase, 'project-g');
    const inner = dirIn(root, '.qcore');
    writeFileSync(join(inner, 'config.json'), 'inner-secret');
    const workspace = new NodeWorkspace(root, { sandbox: { hide: [inner] } });
    const result = await workspace.exec(
      'cat .qcore/config.json; echo x > .qcore/planted; echo ok > fine.txt; cat fine.txt',
      {},
    );
    expect(result.output).not.toMatch(/inner-secret/);
    expect(result.output).toMatch(/ok\n$/);
    // What a command writes over a hidden directory lands in the sandbox's empty tmpfs, not on disk.
    expect(existsSync(join(inner, 'planted'))).toBe(false);
  });

  test('the network is off unless network: true', async () => {
    const root = dirIn(varBase, 'project-c');
    const connect = `exec 3<>/dev/tcp/127.0.0.1/${port()} && echo connected`;
    const off = await new NodeWorkspace(root, { sandbox: {} }).exec(connect, {});
    expect(off.output).not.toMatch(/connected/);
    expect(off.exitCode).not.toBe(0);
    const on = await new NodeWorkspace(root, { sandbox: { network: true } }).exec(connect, {});
    expect(on.output).toBe('connected\n');
  });

  test('a timeout kills everything the command started, even what left its process group', async () => {
    const root = dirIn(varBase, 'project-d');
    const workspace = new NodeWorkspace(root, { sandbox: {} });
    const started = Date.now();
    const result = await workspace.exec("setsid sh -c 'sleep 1; echo late > late.txt' & sleep 30", {
      timeoutMs: 300,
    });
    expect(result.timedOut).toBe(true);
    expect(Date.now() - started).toBeLessThan(5000);
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect(existsSync(join(root, 'late.txt'))).toBe(false);
  });

  test('without bwrap the check says how to install it, and exec runs nothing', async () => {
    expect(() => checkSandbox({ PATH: '/nonexistent' })).toThrow(/bwrap.*apt install bubblewrap/);
    const root = dirIn(varBase, 'project-e');
    const workspace = new NodeWorkspace(root, { sandbox: { bwrap: '/nonexistent/bwrap' } });
    await expect(workspace.exec('echo ran > ran.txt', {})).rejects.toThrow(/ENOENT/);
    expect(existsSync(join(root, 'ran.txt'))).toBe(false);
  });

  test('a bwrap that cannot make namespaces is reported with the sysctl to fix it', () => {
    const bin = dirIn(varBase, 'fake-bin');
    writeFileSync(
      join(bin, 'bwrap'),
      '#!/bin/sh\necho "bwrap: No permissions to creating new namespace" >&2\nexit 1\n',
      { mode: 0o755 },
    );
    expect(() => checkSandbox({ PATH: bin })).toThrow(
      /No permissions to creating new namespace.*kernel\.unprivileged_userns_clone=1/,
    );
  });

  test('off Linux it says it is Linux-only', () => {
    expect(() => checkSandbox(process.env, 'darwin')).toThrow(/only on Linux.*sandbox-exec/);
  });

  test('the argv: read-only root, private /tmp, then the root, then the hidden paths', () => {
    const root = dirIn(varBase, 'project-f');
    const hidden = dirIn(varBase, 'hidden');
    const argv = sandboxArgv('bash', 'ls', { root, cwd: root }, { hide: [hidden, '/no/such/path'] });
    expect(argv).toEqual([
      'bwrap',
      '--ro-bind',
      '/',
      '/',
      '--dev',
      '/dev',
      '--proc',
      '/proc',
      '--tmpfs',
      '/tmp',
      '--bind',
      root,
      root,
      '--tmpfs',
      hidden,
      '--unshare-all',
      '--cap-drop',
      'ALL',
      '--die-with-parent',
      '--new-session',
      '--chdir',
      root,
      '--',
      'bash',
      '-c',
      'ls',
    ]);
    expect(() => sandboxArgv('bash', 'ls', { root: '/', cwd: '/' })).toThrow(/writable/);
    expect(() => sandboxArgv('bash', 'ls', { root, cwd: root }, { hide: [varBase] })).toThrow(/holds the working/);
    expect(defaultHiddenPaths('/home/me')).toContain('/home/me/.ssh');
  });
});

describe.concurrent('qcore --sandbox', { timeout: 30_000 }, () => {
  const KEY = 'sk-test-secret-key-123456';

  test('bash runs sandboxed in print mode: writes stay in the directory, the home is hidden, no network', async () => {
    const outside = dirIn(varBase, 'cli-outside');
    const project = tempProject({ 'README.md': '# Demo\n' }, { ANTHROPIC_API_KEY: KEY });
    mkdirSync(project.home, { recursive: true });
    writeFileSync(join(project.home, 'notes.txt'), 'home-secret');
    const command = [
      'echo in > inside.txt',
      `echo out > ${outside}/escaped.txt`,
      `cat ${project.home}/notes.txt`,
      `(exec 3<>/dev/tcp/127.0.0.1/${port()}) 2>/dev/null && echo net-on || echo net-off`,
    ].join('; ');
    const session = mock.session({ turns: [toolReply({ name: 'bash', arguments: { command } }), textReply('done')] });
    // yolo: print mode with no terminal refuses bash otherwise; the sandbox, not an approval, is under test.
    const result = await runCli(project, [
      '--base-url',
      session.baseUrl,
      '--approval',
      'yolo',
      '--sandbox',
      '-p',
      'go',
    ]);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const bash = toolResults(session.requests[1]).find((r) => r.name === 'bash')?.text ?? '';
    expect(bash).toMatch(/Read-only file system/);
    expect(bash).not.toMatch(/home-secret/);
    expect(bash).toMatch(/net-off/);
    expect(existsSync(join(project.dir, 'inside.txt'))).toBe(true);
    expect(existsSync(join(outside, 'escaped.txt'))).toBe(false);
  });

  test('a $QCORE_HOME that does not exist yet inside the working directory cannot be planted', async () => {
    const project = tempProject({}, { ANTHROPIC_API_KEY: KEY });
    const home = join(project.dir, '.qhome');
    const command = 'mkdir -p .qhome && echo planted > .qhome/config.json && echo wrote';
    const session = mock.session({ turns: [toolReply({ name: 'bash', arguments: { command } }), textReply('done')] });
    // --no-session: nothing else would make the directory before the command runs.
    const flags = ['--base-url', session.baseUrl, '--approval', 'yolo', '--sandbox', '--no-session', '-p', 'go'];
    const result = await runCli(project, flags, { env: { QCORE_HOME: home } });
    expect(result.code).toBe(0);
    expect(existsSync(join(home, 'config.json'))).toBe(false);
  });

  test('--sandbox-network lets commands reach the network', async () => {
    const project = tempProject({}, { ANTHROPIC_API_KEY: KEY });
    const command = `(exec 3<>/dev/tcp/127.0.0.1/${port()}) 2>/dev/null && echo net-on || echo net-off`;
    const session = mock.session({ turns: [toolReply({ name: 'bash', arguments: { command } }), textReply('done')] });
    const flags = ['--base-url', session.baseUrl, '--approval', 'yolo', '--sandbox', '--sandbox-network', '-p', 'go'];
    const result = await runCli(project, flags);
    expect(result.code).toBe(0);
    expect(toolResults(session.requests[1]).find((r) => r.name === 'bash')?.text).toMatch(/net-on/);
  });

  test('without bwrap on PATH it fails at start with the fix, and nothing runs', async () => {
    const project = tempProject({}, { ANTHROPIC_API_KEY: KEY });
    const session = mock.session({ turns: [toolReply({ name: 'bash', arguments: { command: 'touch ran' } })] });
    const result = await runCli(project, ['--base-url', session.baseUrl, '--sandbox', '-p', 'go'], {
      env: { PATH: '/nonexistent' },
    });
    expect(result.code).toBe(1);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(result.stderr).toMatch(/--sandbox needs bubblewrap.*apt install bubblewrap/);
    expect(session.requests).toHaveLength(0);
    expect(existsSync(join(project.dir, 'ran'))).toBe(false);
  });

  test('--sandbox-network alone is a usage error; --help says what the sandbox confines', async () => {
    const project = tempProject({}, { ANTHROPIC_API_KEY: KEY });
    const alone = await runCli(project, ['--sandbox-network', '-p', 'go']);
    expect(alone.code).toBe(2);
    expect(alone.stderr).toMatch(/--sandbox-network needs --sandbox/);
    const help = (await runCli(project, ['--help'])).stdout.replace(/\s+/g, ' ');
    expect(help).toMatch(/--sandbox .*read-only/);
    expect(help).toMatch(/--sandbox-network/);
  });

  test('the interactive banner says what the sandbox confines, and bash runs in it', async (context) => {
    const outside = dirIn(varBase, 'pty-outside');
    const project = tempProject({}, { ANTHROPIC_API_KEY: KEY });
    const command = `echo out > ${outside}/escaped.txt; echo in > inside.txt`;
    const session = mock.session({ turns: [toolReply({ name: 'bash', arguments: { command } }), textReply('done')] });
    const pty = startInPty(project, ['--base-url', session.baseUrl, '--approval', 'yolo', '--sandbox']);
    context.onTestFinished(() => pty.kill());
    let at = await pty.waitFor(/sandbox: bash writes only here and in a private \/tmp.*has no network/);
    at = await pty.waitFor('› ', at);
    pty.type('go\r');
    await pty.waitFor('done', at);
    expect(existsSync(join(project.dir, 'inside.txt'))).toBe(true);
    expect(existsSync(join(outside, 'escaped.txt'))).toBe(false);
    pty.type('/exit\r');
    expect(await pty.exit).toBe(0);
  });

  test('qcore serve --sandbox runs /v1/exec commands in the sandbox', async () => {
    const token = 'serve-token-0123456789';
    const outside = dirIn(varBase, 'serve-outside');
    const project = tempProject({}, { QCORE_TOKEN: token });
    const server = startCli(project, ['serve', '--root', project.dir, '--port', '0', '--sandbox']);
    try {
      await waitUntil(() => /http:\/\/\S+:\d+/.test(server.stdout()), 'the server URL', 15_000);
      expect(server.stdout()).toMatch(/sandbox/);
      const url = /(http:\/\/\S+:\d+)/.exec(server.stdout())?.[1] as string;
      const remote = await RemoteWorkspace.connect(url, token);
      const ran = await remote.exec?.(`echo in > inside.txt; echo out > ${outside}/escaped.txt`, {});
      expect(ran?.output).toMatch(/Read-only file system/);
      expect(existsSync(join(project.dir, 'inside.txt'))).toBe(true);
      expect(existsSync(join(outside, 'escaped.txt'))).toBe(false);
    } finally {
      server.child.kill('SIGTERM');
      await server.done;
    }
  });

  test('qcore serve --sandbox without bwrap fails at start', async () => {
    const project = tempProject({}, { QCORE_TOKEN: 'serve-token-0123456789' });
    const result = await runCli(project, ['serve', '--root', project.dir, '--sandbox'], {
      env: { PATH: '/nonexistent' },
    });
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/apt install bubblewrap/);
  });
});
