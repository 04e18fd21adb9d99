import { AppError } from '@ich/errors';
import { parseDatabaseUrl } from '../database-url.js';
import { migrationsDirFor } from '../paths.js';
import type { DatabaseProvider } from '../providers.js';
import { openEngine } from './engine.js';
import { readMigrationsFolder } from './migrations-folder.js';
import { migrationAdapterFor, NO_FILTER } from './targets.js';

export interface DeployOptions {
  databaseUrl: string;
  /** The variable the URL came from, named in configuration errors. */
  variable?: string;
  /** Folder holding `sqlite/` and `postgresql/` migration histories (default: this package's migrations/). */
  migrationsRoot?: string;
  log?: (line: string) => void;
}

export interface DeployResult {
  provider: DatabaseProvider;
  /** Migrations applied by this call, in order; empty when the database was already up to date. */
  applied: string[];
  /** Migrations in the folder. */
  total: number;
}

/**
 * Applies the pending migrations of the URL's provider, like `prisma migrate deploy`: each one in order, recorded
 * in `_prisma_migrations`; applied ones are skipped, so a second call is a no-op. It never resets or drops data.
 * Concurrent callers are serialised by the engine (an advisory lock on PostgreSQL, the file lock on SQLite).
 */
export async function deployMigrations(options: DeployOptions): Promise<DeployResult> {
  const target = parseDatabaseUrl(options.databaseUrl, options.variable);
  const folder = await readMigrationsFolder(target.provider, migrationsDirFor(target.provider, options.migrationsRoot));
  const engine = await openEngine(await migrationAdapterFor(target));
  try {
    const { appliedMigrationNames } = await engine
      .run('applyMigrations', (e) => e.applyMigrations({ migrationsList: folder.list, filters: NO_FILTER }))
      .catch(async (error: AppError) => {
        // The engine names the failing statement's error, not the migration; the history knows which one.
        const failed = await engine
          .run('diagnoseMigrationHistory', (e) =>
            e.diagnoseMigrationHistory({
              migrationsList: folder.list,
              optInToShadowDatabase: false,
              filters: NO_FILTER,
            }),
          )
          .then(
            (d) => d.failedMigrationNames,
            () => [],
          );
        if (failed.length === 0) throw error;
        throw new AppError(
          'MIGRATION_FAILED',
          `${target.provider} migration ${failed.join(', ')} failed: ${error.message}`,
          { ...error.details, failed },
          { cause: error },
        );
      });
    for (const name of appliedMigrationNames) options.log?.(`applied ${target.provider} migration ${name}`);
    return { provider: target.provider, applied: appliedMigrationNames, total: folder.names.length };
  } finally {
    await engine.close();
  }
}
