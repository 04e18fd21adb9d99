export { createDatabaseClient, type DatabaseClient, type DatabaseClientOptions } from './client.js';
export { prepareDatabase, type PrepareDatabaseOptions, type PreparedDatabase } from './prepare.js';
