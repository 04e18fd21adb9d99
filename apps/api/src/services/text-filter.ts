import { AppError } from '@ich/errors';
import { Prisma } from '@ich/prisma';
import type { Db, DbProvider } from '../db/records.js';

/**
 * A case-insensitive substring filter on both databases. SQLite's LIKE (which Prisma's `contains` uses) already
 * ignores ASCII case; PostgreSQL needs `mode: 'insensitive'`, which the canonical (SQLite) client types omit, hence
 * the widening here and nowhere else.
 *
 * Prisma passes the text into LIKE/ILIKE unescaped, so `%` and `_` the user types would match anything. On
 * PostgreSQL LIKE's default escape character is `\`, so escaping `\`, `%` and `_` makes the search literal. SQLite's
 * LIKE has no escape character unless the query names one, and Prisma's does not: there a search containing `%` or
 * `_` is answered by `literalMatches` instead.
 */
export function containsText(provider: DbProvider, text: string): { contains: string } {
  return provider === 'postgresql'
    ? ({ contains: text.replace(/[\\%_]/g, '\\$&'), mode: 'insensitive' } as { contains: string })
    : { contains: text };
}

/** Whether `containsText` cannot express this search literally (SQLite with a LIKE wildcard in the text). */
export function needsLiteralMatch(provider: DbProvider, text: string): boolean {
  return provider === 'sqlite' && /[%_]/.test(text);
}

/** The most rows a literal SQLite search may match (their ids are bound as parameters of the page query). */
export const LITERAL_MATCH_MAX = 10_000;

/**
 * SQLite: the ids of rows whose columns contain `text` literally, ASCII case ignored like LIKE's:
 * `instr(lower(column), lower(text)) > 0` has no wildcards. `from` is the FROM clause (joins included) and `id` the
 * id column; both are fixed SQL from the caller, never user input.
 */
export async function literalMatches(
  db: Db,
  from: Prisma.Sql,
  id: Prisma.Sql,
  columns: readonly Prisma.Sql[],
  text: string,
): Promise<string[]> {
  const anyColumn = Prisma.join(
    columns.map((column) => Prisma.sql`instr(lower(${column}), lower(${text})) > 0`),
    ' OR ',
  );
  const rows = await db.$queryRaw<Array<{ id: string }>>`SELECT ${id} AS "id" FROM ${from} WHERE ${anyColumn} LIMIT ${
    LITERAL_MATCH_MAX + 1
  }`;
  if (rows.length > LITERAL_MATCH_MAX)
    throw new AppError('BAD_USER_INPUT', `search: matches more than ${LITERAL_MATCH_MAX} rows; narrow it`, {
      field: 'search',
    });
  return rows.map((r) => r.id);
}
