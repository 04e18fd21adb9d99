/** Prisma's "unique constraint failed" (P2002), recognised by code so both generated clients' errors match. */
export function isUniqueViolation(error: unknown): boolean {
  return typeof error === 'object' && error !== null && (error as { code?: unknown }).code === 'P2002';
}
