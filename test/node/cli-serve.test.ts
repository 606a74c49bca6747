import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { RemoteWorkspace } from '../../src/tools/remote-workspace.js';
import { getWithHost } from './cli-support/http.js';
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

  test('refuses a token shorter than 16 characters', async () => {
    const project = tempProject({}, { QCORE_TOKEN: 'short-token' });
    const result = await runCli(project, ['serve', '--root', project.dir]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('the token must be at least 16 characters');
    expect(result.stderr).not.toContain('short-token');
  });

  test('answers only loopback names and --allow-host ones in Host; warns when not on loopback', async () => {
    const token = 'serve-token-0123456789';
    const project = tempProject({}, { QCORE_TOKEN: token });
    const server = startCli(project, [
      'serve',
      '--root',
      project.dir,
      '--allow-host',
      'ws.example',
      '--host',
      '0.0.0.0',
    ]);
    await waitUntil(() => /http:\/\/\S+:\d+/.test(server.stdout()), 'the server URL', 15_000);
    const url = (/(http:\/\/\S+:\d+)/.exec(server.stdout())?.[1] ?? '').replace('0.0.0.0', '127.0.0.1');
    const port = new URL(url).port;
    expect((await getWithHost(url, '/v1/health', `ws.example:${port}`, token)).status).toBe(200);
    expect((await getWithHost(url, '/v1/health', `localhost:${port}`, token)).status).toBe(200);
    const rebound = await getWithHost(url, '/v1/health', `attacker.example:${port}`, token);
    expect(rebound.status).toBe(403);
    expect(JSON.parse(rebound.body)).toMatchObject({ error: { code: 'EHOST' } });
    server.child.kill('SIGTERM');
    const result = await server.done;
    expect(result.code).toBe(0);
    expect(result.stderr).toMatch(/warning: .*listening on 0\.0\.0\.0, which is not loopback/);
  });

  test('refuses to start without a token', async () => {
    const project = tempProject();
    const result = await runCli(project, ['serve', '--root', project.dir]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('serve needs a token: set QCORE_TOKEN');
  });
});
