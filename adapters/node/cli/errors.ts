/**
 * Failures the CLI reports as a message and an exit code, never as a stack
 * trace: the person reading them needs the fix, not our call stack.
 */

/** Exit code 1: the command line was fine, but the run or its setup failed. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: 1 | 2 = 1,
  ) {
    super(message);
    this.name = 'CliError';
  }
}

/** Exit code 2: the command line itself is wrong. */
export class UsageError extends CliError {
  constructor(message: string) {
    super(message, 2);
    this.name = 'UsageError';
  }
}
