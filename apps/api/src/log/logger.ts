/** LOG_LEVEL's choices, least severe first: a process prints the lines at its level and above. */
export const LOG_LEVELS = ['debug', 'info', 'warn', 'error'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];
/** LOG_LEVEL's default (config/env.ts), and the level before a process configures its log. */
export const DEFAULT_LOG_LEVEL: LogLevel = 'info';

/** A line-oriented logger; `details` (an Error, say) are printed after the line as console.error would print them. */
export interface Logger {
  debug(message: string, ...details: unknown[]): void;
  info(message: string, ...details: unknown[]): void;
  warn(message: string, ...details: unknown[]): void;
  error(message: string, ...details: unknown[]): void;
}

let threshold = LOG_LEVELS.indexOf(DEFAULT_LOG_LEVEL);
let prefix = '[api]';

/**
 * Called once at start-up by each process (src/main.ts, src/worker/main.ts) with LOG_LEVEL and its name, which
 * prefixes every line (`[api] ...`, `[worker] ...`). Until then, as in tests that build the API in-process, lines
 * from the default level up are printed as `[api]`.
 */
export function configureLogging(options: { level: LogLevel; tag: string }): void {
  threshold = LOG_LEVELS.indexOf(options.level);
  prefix = `[${options.tag}]`;
}

function write(level: LogLevel, message: string, details: unknown[]): void {
  if (LOG_LEVELS.indexOf(level) < threshold) return;
  // '%s' keeps a `%` in the message (a file name, a database error) from being read as a format directive.
  if (level === 'warn' || level === 'error') console.error('%s', `${prefix} ${message}`, ...details);
  else console.log('%s', `${prefix} ${message}`, ...details);
}

/**
 * The API's and the worker's log: debug and info on stdout, warn and error on stderr, each filtered by LOG_LEVEL.
 * The CLIs (src/cli) print their output to stdout and stderr themselves: what a command prints is not logging.
 */
export const log: Logger & { always(message: string): void } = {
  debug: (message, ...details) => write('debug', message, details),
  info: (message, ...details) => write('info', message, details),
  warn: (message, ...details) => write('warn', message, details),
  error: (message, ...details) => write('error', message, details),
  /**
   * Printed on stdout at every LOG_LEVEL, for the one line that must not be filtered: the first admin's generated
   * password is shown once and stored nowhere in clear, so hiding it (LOG_LEVEL=error) would leave nobody able to
   * sign in as admin.
   */
  always: (message) => console.log('%s', `${prefix} ${message}`),
};

/** For a component given no logger (tests that run one in-process): prints nothing. */
export const silent: Logger = { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} };
