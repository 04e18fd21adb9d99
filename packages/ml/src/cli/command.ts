import { type ParseArgsConfig, parseArgs } from 'node:util';
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

type CommandOptions = NonNullable<ParseArgsConfig['options']>;
type StrictConfig<O extends CommandOptions> = { args: string[]; options: O; allowPositionals: true; strict: true };

/**
 * Every `ich-ml` command's flags are parsed the same way: strict (an unknown flag is an error), positionals allowed,
 * and a parse failure reported as BAD_USER_INPUT with the command's usage.
 */
export function parseCommandLine<const O extends CommandOptions>(
  argv: string[],
  usage: string,
  options: O,
): ReturnType<typeof parseArgs<StrictConfig<O>>> {
  return withUsage(usage, () =>
    parseArgs<StrictConfig<O>>({ args: argv, options, allowPositionals: true, strict: true }),
  );
}
