/** The Prisma client generated for PostgreSQL, and the pg Pool + adapter it runs on. */

export { createPostgresAdapter, type PostgresAdapter, type PostgresAdapterOptions } from './adapters/postgresql.js';
export * from './generated/postgresql/client.js';
