/**
 * QCore's own examples, each a scripted session through the real CLI with
 * the real tools on a temporary directory, checked by what they did on disk
 * and by what the model was shown.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { type MockServer, startMockServer } from '../../testing/mock-server.js';
import type { MockRequest } from '../../testing/script.js';
import { removeTempProjects, runCli, tempProject } from './cli-support/run-cli.js';
import { conversationText, textReply, toolReply, toolResults } from './cli-support/wire.js';

let mock: MockServer;
beforeAll(async () => {
  mock = await startMockServer();
});
afterAll(async () => {
  await mock.close();
  removeTempProjects();
});

const MAIN_RS = `use std::fs;

fn load(path: &str) -> Result<String, Box<dyn std::error::Error>> {
    // TODO: report which file was missing
    let text = fs::read_to_string(path)?;
    Ok(text)
}

fn main() {
    match load("config.toml") {
        Ok(text) => println!("{}", text),
        Err(e) => eprintln!("error: {}", e),
    }
}
`;

const CARGO_TOML = `[package]
name = "demo-app"
version = "0.1.0"
edition = "2021"

[dependencies]
`;

const LIB_RS = `// TODO: add a cache
pub fn parse(input: &str) -> usize {
    input.len() // TODO handle unicode width
}
`;

function rustProject() {
  return tempProject(
    {
      'Cargo.toml': CARGO_TOML,
      'src/main.rs': MAIN_RS,
      'src/lib.rs': LIB_RS,
      'src/util/mod.rs': 'pub mod strings;\n',
      'README.md': '# demo-app\n\nLoads a config file and prints it.\n',
    },
    { ANTHROPIC_API_KEY: 'k' },
  );
}

const lastResult = (request: MockRequest, name: string) => {
  const result = toolResults(request).findLast((r) => r.name === name);
  if (!result) throw new Error(`no ${name} result in the request`);
  return result;
};

describe.concurrent("QCore's examples", { timeout: 30_000 }, () => {
  test('"Read the src/main.rs file and explain what it does." then "Now refactor the error handling to use thiserror."', async () => {
    const project = rustProject();
    const session = mock.session({
      turns: [
        toolReply({ name: 'read', arguments: { path: 'src/main.rs' } }),
        (request) => {
          const read = lastResult(request, 'read');
          const explains = read.text.includes('fn load') && read.text.includes('Box<dyn std::error::Error>');
          return textReply(
            explains
              ? 'main.rs reads config.toml with load() and prints it, or prints the error.'
              : 'I could not read it.',
          );
        },
        // The refactor, in the next run.
        toolReply(
          {
            name: 'edit',
            arguments: {
              path: 'src/main.rs',
              oldText: 'fn load(path: &str) -> Result<String, Box<dyn std::error::Error>> {',
              newText:
                '#[derive(Debug, thiserror::Error)]\nenum LoadError {\n    #[error("cannot read {0}")]\n    Io(#[from] std::io::Error),\n}\n\nfn load(path: &str) -> Result<String, LoadError> {',
            },
          },
          {
            name: 'edit',
            arguments: {
              path: 'Cargo.toml',
              oldText: '[dependencies]\n',
              newText: '[dependencies]\nthiserror = "2"\n',
            },
          },
        ),
        textReply('Error handling now uses a thiserror enum, LoadError; I added thiserror to Cargo.toml.'),
      ],
    });
    const flags = ['--base-url', session.baseUrl, '--thinking', 'off', '--approval', 'yolo'];

    const explain = await runCli(project, [...flags, '-p', 'Read the src/main.rs file and explain what it does.']);
    expect(explain.stderr).toBe('');
    expect(explain.code).toBe(0);
    expect(explain.stdout).toBe('main.rs reads config.toml with load() and prints it, or prints the error.\n');
    const read = lastResult(session.requests[1] as MockRequest, 'read');
    expect(read.isError).toBe(false);
    for (const line of MAIN_RS.trimEnd().split('\n')) expect(read.text).toContain(line);

    const refactor = await runCli(project, [
      ...flags,
      '--continue',
      '-p',
      'Now refactor the error handling to use thiserror.',
    ]);
    expect(refactor.code).toBe(0);
    expect(refactor.stdout).toContain('LoadError');
    // The follow-up saw the earlier conversation, file text included.
    expect(conversationText(session.requests[2])).toContain('Box<dyn std::error::Error>');
    const main = readFileSync(join(project.dir, 'src/main.rs'), 'utf8');
    expect(main).toContain('#[derive(Debug, thiserror::Error)]\nenum LoadError {');
    expect(main).toContain('fn load(path: &str) -> Result<String, LoadError> {');
    expect(main).not.toContain('Box<dyn std::error::Error>');
    expect(readFileSync(join(project.dir, 'Cargo.toml'), 'utf8')).toBe(
      CARGO_TOML.replace('[dependencies]\n', '[dependencies]\nthiserror = "2"\n'),
    );
    const edits = toolResults(session.requests[3]).filter((r) => r.name === 'edit');
    expect(edits.map((r) => r.isError)).toEqual([false, false]);
  });

  test('"Analyze this codebase and give me a summary."', async () => {
    const project = rustProject();
    const session = mock.session({
      turns: [
        toolReply({ name: 'ls', arguments: { path: '.' } }, { name: 'find', arguments: { pattern: '*.rs' } }),
        toolReply(
          { name: 'read', arguments: { path: 'Cargo.toml' } },
          { name: 'bash', arguments: { command: 'cat src/*.rs | wc -l' } },
        ),
        (request) => {
          const files = lastResult(request, 'find')
            .text.split('\n')
            .filter((line) => line.endsWith('.rs'));
          const name = /name = "([^"]+)"/.exec(lastResult(request, 'read').text)?.[1];
          const lines = lastResult(request, 'bash').text.trim();
          const top = lastResult(request, 'ls').text.split('\n').join(', ');
          return textReply(
            `Crate ${name}: ${files.length} Rust files (${files.join(', ')}), ${lines} lines. Top level: ${top}.`,
          );
        },
      ],
    });
    const result = await runCli(project, [
      '--base-url',
      session.baseUrl,
      '--approval',
      'yolo',
      '-p',
      'Analyze this codebase and give me a summary.',
    ]);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const totalLines = (MAIN_RS + LIB_RS).split('\n').length - 1; // src/*.rs: main.rs and lib.rs
    expect(result.stdout).toBe(
      `Crate demo-app: 3 Rust files (src/lib.rs, src/main.rs, src/util/mod.rs), ${totalLines} lines. Top level: Cargo.toml, README.md, src/.\n`,
    );
  });

  test('"Find all TODO comments in the codebase and create a task list."', async () => {
    const project = rustProject();
    const session = mock.session({
      turns: [
        toolReply({ name: 'grep', arguments: { pattern: 'TODO' } }),
        (request) => {
          const matches = lastResult(request, 'grep')
            .text.split('\n')
            .filter((line) => /^[^:]+:\d+: /.test(line));
          const tasks = matches.map((line) => {
            const [, path, number, text] = /^([^:]+):(\d+): (.*)$/.exec(line) ?? [];
            return `- [ ] ${text?.replace(/^.*TODO:?\s*/, '')} (${path}:${number})`;
          });
          return toolReply({
            name: 'write',
            arguments: { path: 'TODO.md', content: `# Tasks\n\n${tasks.join('\n')}\n` },
          });
        },
        textReply('I found 3 TODO comments and wrote them to TODO.md.'),
      ],
    });
    const result = await runCli(project, [
      '--base-url',
      session.baseUrl,
      '--approval',
      'yolo',
      '-p',
      'Find all TODO comments in the codebase and create a task list.',
    ]);
    expect(result.code).toBe(0);
    expect(result.stdout).toBe('I found 3 TODO comments and wrote them to TODO.md.\n');
    const grep = lastResult(session.requests[1] as MockRequest, 'grep');
    expect(grep.text).toContain('src/lib.rs:1: // TODO: add a cache');
    expect(grep.text).toContain('src/lib.rs:3:     input.len() // TODO handle unicode width');
    expect(grep.text).toContain('src/main.rs:4:     // TODO: report which file was missing');
    expect(readFileSync(join(project.dir, 'TODO.md'), 'utf8')).toBe(
      [
        '# Tasks',
        '',
        '- [ ] add a cache (src/lib.rs:1)',
        '- [ ] handle unicode width (src/lib.rs:3)',
        '- [ ] report which file was missing (src/main.rs:4)',
        '',
      ].join('\n'),
    );
  });
});
