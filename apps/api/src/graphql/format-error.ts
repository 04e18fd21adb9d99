import { unwrapResolverError } from '@apollo/server/errors';
import { ERROR_CODES, isAppError, isErrorCode } from '@ich/errors';
import type { GraphQLFormattedError } from 'graphql';
import { log } from '../log/logger.js';

// Apollo's own request-level codes (parse, validation, variable coercion...): client mistakes, safe to pass on.
const APOLLO_CLIENT_CODES = new Set([
  'GRAPHQL_PARSE_FAILED',
  'GRAPHQL_VALIDATION_FAILED',
  'BAD_USER_INPUT',
  'BAD_REQUEST',
  'OPERATION_RESOLUTION_FAILURE',
  'PERSISTED_QUERY_NOT_FOUND',
  'PERSISTED_QUERY_NOT_SUPPORTED',
  'INTROSPECTION_DISABLED',
  'MAX_RECURSIVE_SELECTIONS_EXCEEDED',
]);

// graphql-js aborts parsing a document over `maxTokens`; that is a size limit, not a syntax mistake. (graphql 16
// spells it "more that"; accept the corrected spelling too.)
const TOKEN_LIMIT = /Document contains more th(?:at|an) \d+ tokens/;

/**
 * Every GraphQL error leaves with a stable `extensions.code` and nothing else from the server: expected failures
 * (AppError) keep their code and message; GraphQL's own client errors keep theirs; anything else is INTERNAL with a
 * generic message, and is logged here with its stack.
 */
export function formatError(formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError {
  const original = unwrapResolverError(error);
  const where = {
    ...(formatted.locations ? { locations: formatted.locations } : {}),
    ...(formatted.path ? { path: formatted.path } : {}),
  };
  if (isAppError(original)) {
    return { message: formatted.message, ...where, extensions: { code: original.code } };
  }
  const code = formatted.extensions?.['code'];
  if (code === 'GRAPHQL_PARSE_FAILED' && TOKEN_LIMIT.test(formatted.message)) {
    return { message: 'The query is too large.', extensions: { code: 'QUERY_TOO_COMPLEX' } };
  }
  if (typeof code === 'string' && (APOLLO_CLIENT_CODES.has(code) || (isErrorCode(code) && code !== 'INTERNAL'))) {
    return { message: formatted.message, ...where, extensions: { code } };
  }
  log.error('internal GraphQL error', original);
  return { message: ERROR_CODES.INTERNAL.summary, ...where, extensions: { code: 'INTERNAL' } };
}
