/** The Prisma client generated for SQLite, and the adapter factory it runs on. */

export { createSqliteAdapter, type SqliteAdapterOptions } from './adapters/sqlite.js';
export * from './generated/sqlite/client.js';
