export { createDatabaseClient, type DatabaseClient } from './client.js';
export { type PreparedDatabase, prepareDatabase } from './prepare.js';
