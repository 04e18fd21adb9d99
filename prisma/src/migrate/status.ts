import { AppError, isAppError } from '@ich/errors';
import type { DiagnoseMigrationHistoryOutput } from '@prisma/schema-engine-wasm';
import { parseDatabaseUrl } from '../database-url.js';
import { migrationsDirFor } from '../paths.js';
import type { DatabaseProvider } from '../providers.js';
import { openEngine } from './engine.js';
import { onlyMigrations, readMigrationsFolder } from './migrations-folder.js';
import { datasourceOnlySchema, migrationAdapterFor, NO_FILTER } from './targets.js';

export interface StatusOptions {
  databaseUrl: string;
  variable?: string;
  migrationsRoot?: string;
}

export interface MigrationStatus {
  provider: DatabaseProvider;
  /** Every migration in the folder, in order. */
  migrations: string[];
  applied: string[];
  pending: string[];
  /** Started but not finished (the database may be half-migrated; fix by hand, then mark it rolled back). */
  failed: string[];
  /** Applied, but migration.sql changed since (checksum differs). */
  edited: string[];
  /** Recorded in the database but missing from the folder (the database is ahead of this code). */
  notInFolder: string[];
  /** Human-readable summary of how the database differs from what its applied migrations produce; null if none. */
  drift: string | null;
  upToDate: boolean;
}

/**
 * Compares a database with its provider's migration history, like `prisma migrate status`, plus a drift check:
 * the applied migrations are replayed on a scratch database (in memory for SQLite, a temporary database on the same
 * server for PostgreSQL) and the result is diffed against the live schema, so a manual `ALTER TABLE` shows up.
 */
export async function migrationStatus(options: StatusOptions): Promise<MigrationStatus> {
  const target = parseDatabaseUrl(options.databaseUrl, options.variable);
  const folder = await readMigrationsFolder(target.provider, migrationsDirFor(target.provider, options.migrationsRoot));
  const engine = await openEngine(await migrationAdapterFor(target));
  try {
    const diagnosis = await engine
      .run('diagnoseMigrationHistory', (e) =>
        e.diagnoseMigrationHistory({ migrationsList: folder.list, optInToShadowDatabase: false, filters: NO_FILTER }),
      )
      .catch((error: unknown): DiagnoseMigrationHistoryOutput => {
        // SQLite reports a database without `_prisma_migrations` as an error (P1014) where PostgreSQL reports
        // hasMigrationsTable: false; both mean "nothing applied yet".
        if (isAppError(error) && error.details?.engineCode === 'P1014') {
          return {
            hasMigrationsTable: false,
            editedMigrationNames: [],
            failedMigrationNames: [],
            history: folder.names.length
              ? { diagnostic: 'databaseIsBehind', unappliedMigrationNames: folder.names }
              : null,
          };
        }
        throw error;
      });
    const history = diagnosis.history;
    const pending =
      history && history.diagnostic !== 'migrationsDirectoryIsBehind' ? history.unappliedMigrationNames : [];
    const notInFolder = history && history.diagnostic !== 'databaseIsBehind' ? history.unpersistedMigrationNames : [];
    const failed = diagnosis.failedMigrationNames;
    const unapplied = new Set([...pending, ...failed]);
    const applied = folder.names.filter((name) => !unapplied.has(name));

    let drift: string | null = null;
    if (failed.length === 0) {
      const diff = await engine.run('diff', (e) =>
        e.diff({
          from: { tag: 'migrations', ...onlyMigrations(folder, new Set(applied)) },
          to: { tag: 'schemaDatasource', ...datasourceOnlySchema(target.provider) },
          script: false,
          exitCode: true,
          filters: NO_FILTER,
        }),
      );
      if (diff.exitCode !== 0) drift = (diff.stdout ?? '').trim() || 'the database schema differs from its migrations';
    }
    const edited = diagnosis.editedMigrationNames;
    const upToDate =
      pending.length === 0 && failed.length === 0 && edited.length === 0 && notInFolder.length === 0 && drift === null;
    return {
      provider: target.provider,
      migrations: folder.names,
      applied,
      pending,
      failed,
      edited,
      notInFolder,
      drift,
      upToDate,
    };
  } finally {
    await engine.close();
  }
}

/** A report for people, one fact per line. */
export function describeStatus(status: MigrationStatus): string {
  const lines = [`${status.provider}: ${status.applied.length} of ${status.migrations.length} migrations applied`];
  for (const name of status.pending) lines.push(`  pending      ${name}`);
  for (const name of status.failed) lines.push(`  failed       ${name}`);
  for (const name of status.edited) lines.push(`  edited       ${name} (migration.sql changed after it was applied)`);
  for (const name of status.notInFolder) lines.push(`  not in folder ${name} (applied to the database, missing here)`);
  if (status.drift !== null)
    lines.push(
      '  drift: the database schema differs from what its applied migrations produce:',
      ...status.drift.split('\n').map((l) => `    ${l}`),
    );
  lines.push(status.upToDate ? '  database schema is up to date' : '  database schema is NOT up to date');
  return lines.join('\n');
}

/** The coded error for a status that is not up to date (null when it is): drift first, as the most serious. */
export function statusError(status: MigrationStatus): AppError | null {
  if (status.drift !== null)
    return new AppError(
      'MIGRATION_DRIFT',
      `${status.provider} database schema differs from what its applied migrations produce`,
      { provider: status.provider },
    );
  if (status.failed.length)
    return new AppError('MIGRATION_FAILED', `failed migrations need attention: ${status.failed.join(', ')}`, {
      failed: status.failed,
    });
  if (status.edited.length || status.notInFolder.length) {
    return new AppError(
      'MIGRATION_DRIFT',
      `migration history differs: ${[...status.edited.map((n) => `${n} edited`), ...status.notInFolder.map((n) => `${n} not in folder`)].join(', ')}`,
    );
  }
  if (status.pending.length)
    return new AppError(
      'MIGRATION_PENDING',
      `${status.pending.length} pending migration(s): ${status.pending.join(', ')}`,
      { pending: status.pending },
    );
  return null;
}
