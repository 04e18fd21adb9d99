import { ERROR_CODES, type ErrorCode, isErrorCode } from './codes.js';

/**
 * An expected failure: a stable code, a one-line message that names what was wrong, and optional details
 * (e.g. the offending variable or file). Anything that is not an AppError is a bug and is reported as INTERNAL
 * without its message or stack leaking to clients.
 */
export class AppError extends Error {
  readonly code: ErrorCode;
  readonly details: Readonly<Record<string, unknown>> | undefined;

  constructor(code: ErrorCode, message?: string, details?: Record<string, unknown>, options?: { cause?: unknown }) {
    super(oneLine(message ?? ERROR_CODES[code].summary), options);
    this.name = 'AppError';
    this.code = code;
    this.details = details;
  }

  toJSON(): { code: ErrorCode; message: string; details?: Readonly<Record<string, unknown>> } {
    return this.details
      ? { code: this.code, message: this.message, details: this.details }
      : { code: this.code, message: this.message };
  }
}

export function isAppError(value: unknown): value is AppError {
  return (
    value instanceof AppError ||
    (typeof value === 'object' &&
      value !== null &&
      (value as { name?: unknown }).name === 'AppError' &&
      isErrorCode((value as { code?: unknown }).code))
  );
}

/** Turns anything thrown into an AppError; unknown errors become INTERNAL with a generic message. */
export function toAppError(value: unknown): AppError {
  if (isAppError(value)) return value;
  return new AppError('INTERNAL', undefined, undefined, { cause: value });
}

/** Expected failures as values: `Result<T>` lets batch code keep the good items when one item fails. */
export type Result<T> = { ok: true; value: T } | { ok: false; error: AppError };

export const ok = <T>(value: T): Result<T> => ({ ok: true, value });
export const err = <T = never>(error: AppError): Result<T> => ({ ok: false, error });

/** The CLI's single line for a failure: `error: CODE: message`. */
export function formatCliError(error: AppError): string {
  return `error: ${error.code}: ${error.message}`;
}

function oneLine(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}
