import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { decodeCursor, encodeCursor, pageSize } from './cursor.js';

const position = z.strictObject({ o: z.literal('P'), p: z.number().int(), r: z.number().int(), i: z.string().max(64) });

describe('cursors', () => {
  it('round-trips a position', () => {
    const c = encodeCursor({ o: 'P', p: 2, r: 1_700_000_000_000, i: 'abc' });
    expect(c).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(decodeCursor(c, position)).toEqual({ o: 'P', p: 2, r: 1_700_000_000_000, i: 'abc' });
  });

  it.each([
    ['garbage', 'not a cursor!'],
    ['non-JSON base64', Buffer.from('hello').toString('base64url')],
    ['wrong shape', encodeCursor({ o: 'P', p: 'x', r: 1, i: 'a' })],
    ['another ordering', encodeCursor({ o: 'D', r: 1, i: 'a' })],
    ['extra keys', encodeCursor({ o: 'P', p: 1, r: 1, i: 'a', sql: 'drop' })],
    ['too long', 'A'.repeat(600)],
  ])('rejects %s with BAD_USER_INPUT', (_label, cursor) => {
    expect(() => decodeCursor(cursor, position)).toThrow(expect.objectContaining({ code: 'BAD_USER_INPUT' }));
  });

  it('bounds page sizes', () => {
    expect(pageSize(undefined, 25, 100)).toBe(25);
    expect(pageSize(100, 25, 100)).toBe(100);
    expect(() => pageSize(0, 25, 100)).toThrow(expect.objectContaining({ code: 'BAD_USER_INPUT' }));
    expect(() => pageSize(101, 25, 100)).toThrow(expect.objectContaining({ code: 'BAD_USER_INPUT' }));
  });
});
