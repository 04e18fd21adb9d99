import { AppError } from '@ich/errors';
import { GraphQLError } from 'graphql';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { formatError } from './format-error.js';

describe('formatError', () => {
  afterEach(() => vi.restoreAllMocks());

  it('keeps the code and message of expected failures, and drops everything else', () => {
    const thrown = new GraphQLError('No such study.', {
      path: ['study'],
      originalError: new AppError('NOT_FOUND', 'No such study.'),
    });
    expect(
      formatError(
        {
          message: 'No such study.',
          path: ['study'],
          extensions: { code: 'INTERNAL_SERVER_ERROR', stacktrace: ['at x'] },
        },
        thrown,
      ),
    ).toEqual({
      message: 'No such study.',
      path: ['study'],
      extensions: { code: 'NOT_FOUND' },
    });
  });

  it('passes GraphQL request errors through without stack traces', () => {
    const out = formatError(
      { message: 'Cannot query field "x".', extensions: { code: 'GRAPHQL_VALIDATION_FAILED', stacktrace: ['at y'] } },
      new GraphQLError('Cannot query field "x".'),
    );
    expect(out).toEqual({ message: 'Cannot query field "x".', extensions: { code: 'GRAPHQL_VALIDATION_FAILED' } });
  });

  it('reports the token limit as QUERY_TOO_COMPLEX', () => {
    const message = 'Syntax Error: Document contains more that 5000 tokens. Parsing aborted.';
    expect(formatError({ message, extensions: { code: 'GRAPHQL_PARSE_FAILED' } }, new GraphQLError(message))).toEqual({
      message: 'The query is too large.',
      extensions: { code: 'QUERY_TOO_COMPLEX' },
    });
  });

  it('turns anything unexpected into INTERNAL with a generic message, and logs it', () => {
    const log = vi.spyOn(console, 'error').mockImplementation(() => {});
    const secret = new Error('SQLITE_ERROR: no such table: Review at /srv/app.js:12');
    const out = formatError(
      { message: secret.message, path: ['study', 'reviews'], extensions: { code: 'INTERNAL_SERVER_ERROR' } },
      new GraphQLError(secret.message, { originalError: secret }),
    );
    expect(out).toEqual({
      message: 'Unexpected internal error.',
      path: ['study', 'reviews'],
      extensions: { code: 'INTERNAL' },
    });
    expect(log).toHaveBeenCalled();
  });
});
