import { deployMigrations } from '@ich/prisma/migrate';
import { createDatabaseClient, type DatabaseClient, type DatabaseClientOptions } from './client.js';

export interface PrepareDatabaseOptions extends DatabaseClientOptions {
  /** One line per applied migration (start-up logs). */
  log?: (line: string) => void;
}

export interface PreparedDatabase extends DatabaseClient {
  /** Migrations this start-up applied (empty when the database was current). */
  appliedMigrations: string[];
}

/**
 * Start-up: bring the database to the schema this build expects, then hand out the client. Pending migrations for
 * the URL's provider are applied in order (a SQLite file and its folder are created on first start); applied ones
 * are skipped, so every start runs this. A failing migration stops start-up with MIGRATION_FAILED rather than
 * serving a half-migrated database.
 */
export async function prepareDatabase(
  databaseUrl: string,
  options: PrepareDatabaseOptions = {},
): Promise<PreparedDatabase> {
  const { applied } = await deployMigrations({ databaseUrl, variable: options.variable, log: options.log });
  const client = await createDatabaseClient(databaseUrl, options);
  return { ...client, appliedMigrations: applied };
}
