/**
 * The two databases the product runs on. The names are Prisma's own (`provider = "..."` in a schema and in
 * `migration_lock.toml`), so the migrations folders and lock files line up with what `prisma migrate` expects.
 */
export const DATABASE_PROVIDERS = ['sqlite', 'postgresql'] as const;

export type DatabaseProvider = (typeof DATABASE_PROVIDERS)[number];

export function isDatabaseProvider(value: unknown): value is DatabaseProvider {
  return typeof value === 'string' && (DATABASE_PROVIDERS as readonly string[]).includes(value);
}
