import { AppError, httpStatusFor, toAppError } from '@ich/errors';
import type { ErrorRequestHandler } from 'express';
import { log } from '../log/logger.js';

/**
 * Express and its body parsers signal client mistakes with `status` + `type` (e.g. `entity.too.large`); those are
 * the client's fault and get their own codes rather than a misleading 500.
 */
export function fromHttpLayerError(thrown: unknown): AppError {
  const e = thrown as { status?: unknown; type?: unknown } | null;
  if (e && typeof e.status === 'number' && e.status >= 400 && e.status < 500) {
    if (e.status === 413 || e.type === 'entity.too.large') return new AppError('PAYLOAD_TOO_LARGE');
    return new AppError(
      'BAD_USER_INPUT',
      e.type === 'entity.parse.failed' ? 'The request body is not valid JSON.' : undefined,
    );
  }
  return toAppError(thrown);
}

/** Last-resort handler: coded errors keep their code; anything else is INTERNAL with no stack for the client. */
export const errorHandler: ErrorRequestHandler = (thrown, _req, res, _next) => {
  const error = fromHttpLayerError(thrown);
  if (error.code === 'INTERNAL') log.error('unhandled error', thrown);
  if (res.headersSent) return;
  res.status(httpStatusFor(error.code)).json({ error: { code: error.code, message: error.message } });
};
