export { type DatabaseTarget, parseDatabaseUrl, providerOf } from '../database-url.js';
export { MIGRATIONS_ROOT, migrationsDirFor, SCHEMA_PATH } from '../paths.js';
export { DATABASE_PROVIDERS, type DatabaseProvider } from '../providers.js';
export {
  type CreatedMigration,
  type CreateMigrationOptions,
  createMigration,
  DEFAULT_SCRATCH_POSTGRES_URL,
  SCRATCH_POSTGRES_VARIABLE,
} from './create.js';
export { type DeployOptions, type DeployResult, deployMigrations } from './deploy.js';
export { describeStatus, type MigrationStatus, migrationStatus, type StatusOptions, statusError } from './status.js';
