import { setTimeout as sleep } from 'node:timers/promises';
import { AppError, toAppError } from '@ich/errors';
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
  const { applied } = await deployWhenUnlocked(databaseUrl, options);
  const client = await createDatabaseClient(databaseUrl, options);
  return { ...client, appliedMigrations: applied };
}

/** How long start-up waits for another process's migration to release a SQLite file. */
const LOCK_WAIT_MS = 60_000;

/**
 * Two instances starting together on one fresh SQLite file race to migrate it; the loser's schema engine reports the
 * file's lock as an unknown `SocketTimeout` connector error. That is "locked, try again": the retry finds the
 * winner's migrations applied (or applies what is left), so both start. After LOCK_WAIT_MS it gives up with a
 * DATABASE_ERROR that says so instead of a WASM trace.
 */
async function deployWhenUnlocked(databaseUrl: string, options: PrepareDatabaseOptions) {
  const deadline = Date.now() + LOCK_WAIT_MS;
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await deployMigrations({ databaseUrl, variable: options.variable, log: options.log });
    } catch (thrown) {
      if (!isLocked(thrown)) throw thrown;
      if (Date.now() >= deadline)
        throw new AppError(
          'DATABASE_ERROR',
          `${options.variable ?? 'DATABASE_URL'}: the database is locked by another process (another instance starting?); gave up after ${LOCK_WAIT_MS / 1000} s`,
        );
      if (attempt === 1) options.log?.('database is locked by another process; waiting for it');
      await sleep(100 + Math.floor(Math.random() * 400));
    }
  }
}

function isLocked(thrown: unknown): boolean {
  const message = toAppError(thrown).message + String((thrown as Error)?.message ?? '');
  return /SocketTimeout|database is locked|SQLITE_BUSY/i.test(message);
}
