import type { DbProvider } from '../db/records.js';

/**
 * A case-insensitive substring filter on both databases. SQLite's LIKE (which Prisma's `contains` uses) already
 * ignores ASCII case; PostgreSQL needs `mode: 'insensitive'`, which the canonical (SQLite) client types omit, hence
 * the widening here and nowhere else.
 */
export function containsText(provider: DbProvider, text: string): { contains: string } {
  return provider === 'postgresql'
    ? ({ contains: text, mode: 'insensitive' } as { contains: string })
    : { contains: text };
}
