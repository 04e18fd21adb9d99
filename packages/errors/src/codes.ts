/**
 * Every expected failure in the product carries one of these codes. The same code is shown in GraphQL
 * `extensions.code`, mapped to an HTTP status, and to a CLI exit status, so a clinician's screen, an integration's
 * log and a shell script all name the same problem the same way. Codes are API: never rename one.
 */
export const ERROR_CODES = {
  // Input files
  NOT_DICOM: { http: 422, exit: 2, summary: 'The file is not DICOM Part 10.' },
  TRUNCATED: { http: 422, exit: 2, summary: 'The file or its pixel data ends early.' },
  NO_PIXEL_DATA: { http: 422, exit: 2, summary: 'The DICOM object has no pixel data.' },
  UNSUPPORTED_TRANSFER_SYNTAX: { http: 415, exit: 2, summary: 'The transfer syntax cannot be decoded faithfully.' },
  UNSUPPORTED_PHOTOMETRIC: { http: 415, exit: 2, summary: 'Only MONOCHROME1/MONOCHROME2 images are supported.' },
  UNSUPPORTED_PIXEL_FORMAT: { http: 415, exit: 2, summary: 'The bit depth or sample layout is not supported.' },
  DECODE_FAILED: { http: 422, exit: 2, summary: 'The compressed pixel data could not be decoded.' },
  DECODE_TIMEOUT: { http: 422, exit: 2, summary: 'Decoding took longer than allowed.' },
  NOT_CT: { http: 422, exit: 2, summary: 'The image is not a CT image.' },
  BAD_DICOM: { http: 422, exit: 2, summary: 'The DICOM object is malformed.' },
  BAD_SERIES: { http: 422, exit: 2, summary: 'The slices do not form a usable series.' },
  FILE_TOO_LARGE: {
    http: 413,
    exit: 2,
    summary: 'The file, its inflated data set or its decoded image is over the size limit.',
  },
  // Models and engines
  MODEL_NOT_FOUND: { http: 503, exit: 3, summary: 'No model directory was found.' },
  BAD_MODEL: { http: 500, exit: 3, summary: 'The model directory is invalid.' },
  ENGINE_UNAVAILABLE: { http: 503, exit: 3, summary: 'The requested inference engine is not installed.' },
  // Requests
  BAD_USER_INPUT: { http: 400, exit: 2, summary: 'The request is invalid.' },
  BAD_CONFIG: { http: 500, exit: 78, summary: 'The configuration is invalid.' },
  UNAUTHENTICATED: { http: 401, exit: 4, summary: 'Sign in first.' },
  FORBIDDEN: { http: 403, exit: 4, summary: 'You are not allowed to do this.' },
  NOT_FOUND: { http: 404, exit: 5, summary: 'Not found.' },
  CONFLICT: { http: 409, exit: 6, summary: 'The request conflicts with the current state.' },
  RATE_LIMITED: { http: 429, exit: 7, summary: 'Too many attempts; try again later.' },
  PAYLOAD_TOO_LARGE: { http: 413, exit: 2, summary: 'The request is too large.' },
  QUERY_TOO_COMPLEX: { http: 400, exit: 2, summary: 'The query is too deep or too costly.' },
  STORAGE_FULL: { http: 507, exit: 8, summary: 'The server has no space left to store the files.' },
  DATABASE_ERROR: { http: 503, exit: 8, summary: 'The database is unavailable or rejected the operation.' },
  MIGRATION_FAILED: { http: 500, exit: 8, summary: 'A database migration failed.' },
  MIGRATION_PENDING: { http: 503, exit: 9, summary: 'The database has migrations that are not applied yet.' },
  MIGRATION_DRIFT: { http: 500, exit: 9, summary: 'The database schema differs from what its migrations produce.' },
  API_UNREACHABLE: { http: 502, exit: 8, summary: 'The API is not reachable.' },
  // Sending result objects to a PACS: unreachable (network, timeout, 5xx) or refusing them (4xx, a failure status).
  DESTINATION_UNREACHABLE: { http: 502, exit: 8, summary: 'The destination could not be reached.' },
  DESTINATION_REJECTED: { http: 502, exit: 8, summary: 'The destination refused the objects.' },
  AUDIT_CHAIN_BROKEN: {
    http: 500,
    exit: 10,
    summary: 'The audit log does not verify: events were altered, removed or added.',
  },
  INTERNAL: { http: 500, exit: 1, summary: 'Unexpected internal error.' },
} as const satisfies Record<string, { http: number; exit: number; summary: string }>;

export type ErrorCode = keyof typeof ERROR_CODES;

export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === 'string' && Object.hasOwn(ERROR_CODES, value);
}

export function httpStatusFor(code: ErrorCode): number {
  return ERROR_CODES[code].http;
}

export function exitStatusFor(code: ErrorCode): number {
  return ERROR_CODES[code].exit;
}
