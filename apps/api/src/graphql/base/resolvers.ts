import { AppError } from '@ich/errors';
import { GraphQLScalarType, Kind } from 'graphql';
import type { Resolvers } from '../generated/resolvers.js';

// ISO 8601 with an explicit zone: a zone-less time would be read in the server's zone and silently shift filters.
const ISO_INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/;

function parseInstant(value: unknown): Date {
  if (typeof value !== 'string' || !ISO_INSTANT.test(value)) {
    throw new AppError(
      'BAD_USER_INPUT',
      'DateTime: expected an ISO 8601 instant with a time zone, e.g. 2026-01-31T08:15:00Z',
    );
  }
  const date = new Date(value);
  if (Number.isNaN(date.getTime())) throw new AppError('BAD_USER_INPUT', `DateTime: "${value}" is not a real instant`);
  return date;
}

export const DateTime = new GraphQLScalarType<Date, string>({
  name: 'DateTime',
  serialize(value) {
    if (value instanceof Date) return value.toISOString();
    if (typeof value === 'string') return new Date(value).toISOString();
    throw new TypeError('DateTime cannot represent a non-date value');
  },
  parseValue: parseInstant,
  parseLiteral(ast) {
    if (ast.kind !== Kind.STRING) throw new AppError('BAD_USER_INPUT', 'DateTime: expected a string');
    return parseInstant(ast.value);
  },
});

export const baseResolvers: Resolvers = { DateTime };
