import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { removeTempProjects, runCli, tempProject } from './cli-support/run-cli.js';

afterAll(removeTempProjects);

describe.concurrent('qcore --demo', { timeout: 30_000 }, () => {
  test('replays a scripted model with real tools: exit 0, one summary file, and says where', async () => {
    const readme = '# Widget Factory\n\nMakes widgets.\n\n## Usage\n\nRun it.\n';
    const project = tempProject({ 'README.md': readme, 'src/index.ts': 'export {};\n', 'package.json': '{}\n' });
    const before = readdirSync(project.dir).sort();

    const result = await runCli(project, ['--demo']);
    expect(result.code).toBe(0);
    expect(result.stderr).toContain('Demo: replaying a scripted model from a local mock server');
    const summaryPath = join(project.dir, 'qcore-demo-summary.md');
    expect(result.stdout).toBe(`I listed 3 entries, read README.md, and wrote a summary to ${summaryPath}.\n`);
    expect(result.stdout + result.stderr).not.toContain('\x1b');

    expect(readdirSync(project.dir).sort()).toEqual([...before, 'qcore-demo-summary.md'].sort());
    const summary = readFileSync(summaryPath, 'utf8');
    expect(summary).toContain('- README: README.md, 7 lines');
    expect(summary).toContain('- First heading: Widget Factory');
    expect(summary).toContain('- Top-level entries (3): package.json, README.md, src/');
    // No session, no history: the demo leaves nothing behind but its file.
    expect(existsSync(project.home)).toBe(false);
  });

  test('works without a README, and --json streams its events', async () => {
    const project = tempProject({ 'main.py': 'print(1)\n' });
    const result = await runCli(project, ['--demo', '--json']);
    expect(result.code).toBe(0);
    const events = result.stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { type: string; toolName?: string });
    const tools = events.filter((event) => event.type === 'tool_execution_end').map((event) => event.toolName);
    expect(tools).toEqual(['ls', 'write']);
    expect(readFileSync(join(project.dir, 'qcore-demo-summary.md'), 'utf8')).toContain('- README: none found');
  });
});
