import { AppError } from '@ich/errors';
import type { z } from 'zod';

/**
 * Relay cursors: base64url of a small JSON keyset position. Opaque to clients, and validated on the way back in
 * (shape, types, and that it belongs to the same ordering) so a forged or stale cursor is BAD_USER_INPUT, never a 500
 * or a query on attacker-chosen columns.
 */
export function encodeCursor(position: object): string {
  return Buffer.from(JSON.stringify(position), 'utf8').toString('base64url');
}

const MAX_CURSOR_LENGTH = 512;

export function decodeCursor<T>(cursor: string, schema: z.ZodType<T>, argument = 'after'): T {
  const bad = () => new AppError('BAD_USER_INPUT', `${argument}: not a cursor returned by this query`, { argument });
  if (cursor.length > MAX_CURSOR_LENGTH || !/^[A-Za-z0-9_-]+$/.test(cursor)) throw bad();
  let json: unknown;
  try {
    json = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw bad();
  }
  // Positions are ids, ranks, sequence numbers and epoch milliseconds: a number outside what a Date or a database
  // integer holds is forged, and would otherwise reach the query as an invalid date or an overflowing bigint.
  if (!numbersInRange(json)) throw bad();
  const parsed = schema.safeParse(json);
  if (!parsed.success) throw bad();
  return parsed.data;
}

const MAX_POSITION = 8.64e15; // The largest epoch millisecond a Date holds; far above any seq or rank.

function numbersInRange(value: unknown): boolean {
  if (typeof value === 'number') return Number.isSafeInteger(value) && Math.abs(value) <= MAX_POSITION;
  if (Array.isArray(value)) return value.every(numbersInRange);
  if (value && typeof value === 'object') return Object.values(value).every(numbersInRange);
  return true;
}

/** `first` within [1, max]; a bigger page is refused rather than silently truncated so clients notice. */
export function pageSize(first: number | null | undefined, fallback: number, max: number): number {
  const n = first ?? fallback;
  if (!Number.isInteger(n) || n < 1 || n > max) {
    throw new AppError('BAD_USER_INPUT', `first: must be between 1 and ${max} (got ${n})`, { argument: 'first' });
  }
  return n;
}
