export { ERROR_CODES, type ErrorCode, isErrorCode, httpStatusFor, exitStatusFor } from './codes.js';
export { AppError, isAppError, toAppError, type Result, ok, err, formatCliError } from './app-error.js';
