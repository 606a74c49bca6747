import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { RemoteWorkspace } from '../../src/tools/remote-workspace.js';
import { removeTempProjects, runCli, startCli, tempProject, waitUntil } from './cli-support/run-cli.js';

afterAll(removeTempProjects);

describe.concurrent('qcore serve', { timeout: 30_000 }, () => {
  test('serves the root behind the token from QCORE_TOKEN, and stops on SIGTERM', async () => {
    const token = 'serve-token-0123456789';
    const project = tempProject({ 'hello.txt': 'hi\n' }, { QCORE_TOKEN: token });
    const server = startCli(project, ['serve', '--root', project.dir, '--port', '0']);
    await waitUntil(() => /http:\/\/\S+:\d+/.test(server.stdout()), 'the server URL', 15_000);
    const url = /(http:\/\/\S+:\d+)/.exec(server.stdout())?.[1];

    const health = await fetch(`${url}/v1/health`, { headers: { authorization: `Bearer ${token}` } });
    expect(health.status).toBe(200);
    expect(await health.json()).toEqual({ ok: true, root: project.dir, exec: true });
    const refused = await fetch(`${url}/v1/health`, { headers: { authorization: 'Bearer wrong-token' } });
    expect(refused.status).toBe(401);

    // The core's RemoteWorkspace drives the real process: files and a shell.
    const remote = await RemoteWorkspace.connect(url as string, token);
    expect(new TextDecoder().decode(await remote.readFile('hello.txt'))).toBe('hi\n');
    await remote.mkdir('out', { recursive: true });
    await remote.writeFile('out/remote.txt', 'from afar');
    expect(await readFile(join(project.dir, 'out/remote.txt'), 'utf8')).toBe('from afar');
    const chunks: string[] = [];
    const ran = await remote.exec?.('echo "$((6 * 7))"; ls out', { onOutput: (chunk) => chunks.push(chunk) });
    expect(ran).toMatchObject({ exitCode: 0, timedOut: false });
    expect(ran?.output).toBe('42\nremote.txt\n');
    expect(chunks.join('')).toBe('42\nremote.txt\n');

    server.child.kill('SIGTERM');
    const result = await server.done;
    expect(result.code).toBe(0);
    expect(result.stdout + result.stderr).not.toContain(token);
  });

  test('refuses to start without a token', async () => {
    const project = tempProject();
    const result = await runCli(project, ['serve', '--root', project.dir]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('serve needs a token: set QCORE_TOKEN');
  });
});
