export { deployMigrations, type DeployOptions, type DeployResult } from './deploy.js';
export { migrationStatus, describeStatus, statusError, type MigrationStatus, type StatusOptions } from './status.js';
export { createMigration, DEFAULT_SCRATCH_POSTGRES_URL, SCRATCH_POSTGRES_VARIABLE, type CreateMigrationOptions, type CreatedMigration } from './create.js';
export { parseDatabaseUrl, providerOf, type DatabaseTarget } from '../database-url.js';
export { DATABASE_PROVIDERS, type DatabaseProvider } from '../providers.js';
export { MIGRATIONS_ROOT, SCHEMA_PATH, migrationsDirFor } from '../paths.js';
