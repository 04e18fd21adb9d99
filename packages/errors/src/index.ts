export { AppError, err, formatCliError, isAppError, ok, type Result, toAppError } from './app-error.js';
export { ERROR_CODES, type ErrorCode, exitStatusFor, httpStatusFor, isErrorCode } from './codes.js';
