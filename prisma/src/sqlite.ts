/** The Prisma client generated for SQLite, and the adapter factory it runs on. */
export * from './generated/sqlite/client.js';
export { createSqliteAdapter, type SqliteAdapterOptions } from './adapters/sqlite.js';
