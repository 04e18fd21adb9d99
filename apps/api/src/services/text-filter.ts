import type { DbProvider } from '../db/records.js';

/**
 * A case-insensitive substring filter on both databases. SQLite's LIKE (which Prisma's `contains` uses) already
 * ignores ASCII case; PostgreSQL needs `mode: 'insensitive'`, which the canonical (SQLite) client types omit, hence
 * the widening here and nowhere else.
 *
 * Prisma passes the text into LIKE/ILIKE unescaped, so `%` and `_` the user types would match anything. On
 * PostgreSQL LIKE's default escape character is `\`, so escaping `\`, `%` and `_` makes the search literal. SQLite's
 * LIKE has no escape character unless the query names one (Prisma's does not): there the wildcards still act as
 * wildcards (issue 13, open).
 */
export function containsText(provider: DbProvider, text: string): { contains: string } {
  return provider === 'postgresql'
    ? ({ contains: text.replace(/[\\%_]/g, '\\$&'), mode: 'insensitive' } as { contains: string })
    : { contains: text };
}
