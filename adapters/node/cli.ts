#!/usr/bin/env node
/**
 * The `qcore` command: parses the command line, dispatches, and turns every
 * outcome into an exit code: 0 success, 1 failure, 2 usage error, 130
 * interrupted. Failures are one message on stderr, never a stack trace.
 */
import { parseCliArgs } from './cli/args.js';
import { CliError } from './cli/errors.js';
import { HELP, MCP_HELP, SERVE_HELP, version } from './cli/help.js';

async function main(argv: readonly string[]): Promise<number> {
  const args = parseCliArgs(argv, process.env);
  switch (args.kind) {
    case 'help':
      process.stdout.write(`${args.topic === 'serve' ? SERVE_HELP : args.topic === 'mcp' ? MCP_HELP : HELP}\n`);
      return 0;
    case 'version':
      process.stdout.write(`${version()}\n`);
      return 0;
    case 'serve': {
      // Loaded on demand: serving needs hono, which the agent does not.
      const { runServe } = await import('./cli/serve.js');
      return runServe(args, process.stdout);
    }
    case 'mcp': {
      const { runMcpServer } = await import('./cli/mcp-serve.js');
      return runMcpServer(args, { stdin: process.stdin, stdout: process.stdout, stderr: process.stderr });
    }
    case 'run': {
      const { runAgentCommand } = await import('./cli/run.js');
      return runAgentCommand(args, {
        stdin: process.stdin,
        stdout: process.stdout,
        stderr: process.stderr,
        env: process.env,
      });
    }
  }
}

function report(error: unknown): number {
  if (error instanceof CliError) {
    const hint = error.exitCode === 2 ? ' (see qcore --help)' : '';
    process.stderr.write(`qcore: ${error.message}${hint}\n`);
    return error.exitCode;
  }
  // A bug of ours: say what happened; the trace only on request.
  const message = error instanceof Error ? error.message : String(error);
  process.stderr.write(`qcore: unexpected error: ${message}\n`);
  if (process.env.QCORE_DEBUG && error instanceof Error && error.stack) process.stderr.write(`${error.stack}\n`);
  return 1;
}

/** Exits once stdout and stderr have taken everything written, so piped output is never cut short. */
function exit(code: number): void {
  let pending = 2;
  const done = () => {
    if (--pending === 0) process.exit(code);
  };
  process.stdout.write('', done);
  process.stderr.write('', done);
}

// A reader that goes away (`qcore -p … | head -1`) is not an error of ours.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code === 'EPIPE') process.exit(0);
});

main(process.argv.slice(2)).then(exit, (error: unknown) => exit(report(error)));
