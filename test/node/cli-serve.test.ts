import { afterAll, describe, expect, test } from 'vitest';
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
