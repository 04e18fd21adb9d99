export { createDatabaseClient, type DatabaseClient, type DatabaseClientOptions } from './client.js';
export { type PrepareDatabaseOptions, type PreparedDatabase, prepareDatabase } from './prepare.js';
