/**
 * A unique constraint failed: Prisma's P2002 from a model query, or a raw statement's (P2010) driver error, which the
 * driver adapters name UniqueConstraintViolation (PostgreSQL 23505, SQLite SQLITE_CONSTRAINT_UNIQUE). Recognised by
 * code, so both generated clients' errors match.
 */
export function isUniqueViolation(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const { code, meta } = error as { code?: unknown; meta?: { driverAdapterError?: { cause?: { kind?: unknown } } } };
  if (code === 'P2002') return true;
  return code === 'P2010' && meta?.driverAdapterError?.cause?.kind === 'UniqueConstraintViolation';
}
