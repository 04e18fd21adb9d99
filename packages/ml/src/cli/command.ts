import { AppError } from '@ich/errors';

/** One `ich-ml` subcommand. `run` returns the process exit status; expected failures are thrown as AppError. */
export interface Command {
  readonly name: string;
  readonly summary: string;
  readonly usage: string;
  run(argv: string[]): Promise<number>;
}

/**
 * Wraps `parseArgs(...)` (called strict) so that an unknown or malformed flag becomes a BAD_USER_INPUT error
 * naming the flag and showing the usage, instead of a stack trace:
 *   const { values, positionals } = withUsage(usage, () => parseArgs({ args: argv, options, allowPositionals: true, strict: true }));
 */
export function withUsage<T>(usage: string, parse: () => T): T {
  try {
    return parse();
  } catch (cause) {
    const reason = cause instanceof Error ? cause.message : String(cause);
    throw new AppError('BAD_USER_INPUT', `${reason} (usage: ${usage})`);
  }
}
