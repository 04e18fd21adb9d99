/** The Prisma client generated for PostgreSQL, and the pg Pool + adapter it runs on. */
export * from './generated/postgresql/client.js';
export { createPostgresAdapter, type PostgresAdapter, type PostgresAdapterOptions } from './adapters/postgresql.js';
