import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { inheritedEnvironment } from '../../adapters/node/node-exec.js';
import { NodeWorkspace } from '../../adapters/node/node-workspace.js';
import { createBashTool } from '../../src/tools/bash-tool.js';
import { runTool, textOf } from '../tools/run-tool.js';
import { makeTempDir, removeDir } from './exec-helpers.js';

/** Variables a command must not see, set in this process for the test. */
const SECRETS: Record<string, string> = {
  ANTHROPIC_API_KEY: 'sk-ant-test-secret',
  AWS_SECRET_ACCESS_KEY: 'aws-secret',
  AWS_SESSION_TOKEN: 'aws-session',
  GITHUB_TOKEN: 'ghp-test',
  npm_config__authToken: 'npm-token',
  DB_PASSWORD: 'hunter2',
  Google_Application_Credentials: '/path/creds.json',
  QCORE_TOKEN: 'exec-server-token',
  mykey: 'lowercase',
};

let dir: string;
const saved: Record<string, string | undefined> = {};

beforeEach(async () => {
  dir = await makeTempDir('exec-env');
  for (const [name, value] of Object.entries({ ...SECRETS, QCORE_TEST_ORDINARY: 'kept' })) {
    saved[name] = process.env[name];
    process.env[name] = value;
  }
});

afterEach(async () => {
  for (const [name, value] of Object.entries(saved)) {
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
  }
  await removeDir(dir);
});

/** NAME=value lines of `env` output as a record. */
function parseEnv(output: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const line of output.split('\n')) {
    const at = line.indexOf('=');
    if (at > 0) env[line.slice(0, at)] = line.slice(at + 1);
  }
  return env;
}

describe('commands inherit no secrets', () => {
  test('NodeWorkspace.exec: env shows ordinary variables and none of the secrets', async () => {
    const result = await new NodeWorkspace(dir).exec('env');
    const env = parseEnv(result.output);
    for (const name of Object.keys(SECRETS)) expect(env).not.toHaveProperty(name);
    for (const value of Object.values(SECRETS)) expect(result.output).not.toContain(value);
    expect(env.QCORE_TEST_ORDINARY).toBe('kept');
    expect(env.PATH).toBe(process.env.PATH);
    if (process.env.HOME !== undefined) expect(env.HOME).toBe(process.env.HOME);
  });

  test('the bash tool over a NodeWorkspace: no secret in what the model sees', async () => {
    const result = await runTool(createBashTool(new NodeWorkspace(dir)), { command: 'env' });
    const text = textOf(result);
    for (const value of Object.values(SECRETS)) expect(text).not.toContain(value);
    expect(text).toContain('QCORE_TEST_ORDINARY=kept');
  });

  test('NodeWorkspaceOptions.env adds variables back after the filter', async () => {
    const ws = new NodeWorkspace(dir, { env: { ANTHROPIC_API_KEY: 'given-on-purpose', EXTRA: 'x' } });
    const env = parseEnv((await ws.exec('env')).output);
    expect(env.ANTHROPIC_API_KEY).toBe('given-on-purpose');
    expect(env.EXTRA).toBe('x');
    expect(env).not.toHaveProperty('GITHUB_TOKEN');
  });

  test('inheritedEnvironment() filters by name, in any case', () => {
    const env = inheritedEnvironment({
      PATH: '/bin',
      HOME: '/home/u',
      LANG: 'C.UTF-8',
      SSH_AUTH_SOCK: '/tmp/agent.sock',
      OPENAI_API_KEY: 'x',
      openai_api_key: 'x',
      ClientSecret: 'x',
      MY_Password: 'x',
      AZURE_CREDENTIALS: 'x',
      QCORE_TOKEN: 'x',
      EMPTY: undefined,
    });
    expect(env).toEqual({ PATH: '/bin', HOME: '/home/u', LANG: 'C.UTF-8', SSH_AUTH_SOCK: '/tmp/agent.sock' });
  });
});
