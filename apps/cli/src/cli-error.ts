/**
 * An error whose message is meant for the person at the terminal. `code` is what `--json` prints
 * (`{"error": {"code", "message"}}`): the server's tRPC code, or one of the CLI's own below.
 */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode = 1,
    readonly code = 'FAILED',
  ) {
    super(message);
    this.name = 'CliError';
  }
}

export class UsageError extends CliError {
  constructor(message: string) {
    super(message, 2, 'BAD_USAGE');
    this.name = 'UsageError';
  }
}
