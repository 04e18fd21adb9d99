import { describe, expect, it } from 'vitest';
import {
  AppError,
  ERROR_CODES,
  exitStatusFor,
  formatCliError,
  httpStatusFor,
  isAppError,
  toAppError,
} from './index.js';

describe('AppError', () => {
  it('keeps a stable code and a one-line message', () => {
    const e = new AppError('NOT_DICOM', 'file.dcm:\n no DICM preamble');
    expect(e.code).toBe('NOT_DICOM');
    expect(e.message).toBe('file.dcm: no DICM preamble');
    expect(formatCliError(e)).toBe('error: NOT_DICOM: file.dcm: no DICM preamble');
  });

  it('maps codes to HTTP and exit statuses', () => {
    expect(httpStatusFor('UNAUTHENTICATED')).toBe(401);
    expect(httpStatusFor('FORBIDDEN')).toBe(403);
    expect(exitStatusFor('NOT_DICOM')).toBe(2);
    for (const [code, spec] of Object.entries(ERROR_CODES)) {
      expect(spec.http, code).toBeGreaterThanOrEqual(400);
      expect(spec.exit, code).toBeGreaterThan(0);
    }
  });

  it('wraps unknown errors as INTERNAL without their message', () => {
    const wrapped = toAppError(new Error('secret stack detail'));
    expect(wrapped.code).toBe('INTERNAL');
    expect(wrapped.message).not.toContain('secret');
    expect(isAppError(wrapped)).toBe(true);
    expect(isAppError(new Error('x'))).toBe(false);
  });
});
