import { readFile } from 'node:fs/promises';
import { AppError } from '@ich/errors';
import { createMigrationPostgresAdapter } from '../adapters/postgresql.js';
import { createSqliteAdapter } from '../adapters/sqlite.js';
import { migrationsDirFor, SCHEMA_PATH } from '../paths.js';
import { DATABASE_PROVIDERS, type DatabaseProvider } from '../providers.js';
import { schemaForProvider } from '../schema-variants.js';
import { openEngine } from './engine.js';
import { readMigrationsFolder, writeMigration } from './migrations-folder.js';
import { NO_FILTER } from './targets.js';

/** Where `create` replays the PostgreSQL history when no URL is given: the local development server. */
export const DEFAULT_SCRATCH_POSTGRES_URL = 'postgresql://postgres@127.0.0.1:5432/postgres';
export const SCRATCH_POSTGRES_VARIABLE = 'ICH_MIGRATE_POSTGRES_URL';

export interface CreateMigrationOptions {
  /** Letters, digits and underscores, e.g. `add_study_site`. */
  name: string;
  providers?: readonly DatabaseProvider[];
  schemaPath?: string;
  migrationsRoot?: string;
  /**
   * A PostgreSQL server to replay the PostgreSQL history on (a temporary database is created and dropped there;
   * nothing else is touched). Default: $ICH_MIGRATE_POSTGRES_URL, else the local development server.
   */
  postgresUrl?: string;
  now?: Date;
  log?: (line: string) => void;
}

export interface CreatedMigration {
  provider: DatabaseProvider;
  /** `<timestamp>_<name>`, or null when the schema already matches the history (nothing written). */
  migrationName: string | null;
  file: string | null;
}

/**
 * Writes the next migration for each provider: the provider's history is replayed on a scratch database and
 * diffed against schema.prisma, as `prisma migrate dev --create-only` does, but without touching any real
 * database. Both providers get the same `<timestamp>_<name>` so their histories line up.
 */
export async function createMigration(options: CreateMigrationOptions): Promise<CreatedMigration[]> {
  if (!/^[A-Za-z0-9_]{1,100}$/.test(options.name)) {
    throw new AppError(
      'BAD_USER_INPUT',
      `migration name "${options.name}" must be 1-100 letters, digits or underscores`,
    );
  }
  const providers = options.providers ?? DATABASE_PROVIDERS;
  const schemaPath = options.schemaPath ?? SCHEMA_PATH;
  const schema = await readFile(schemaPath, 'utf8').catch((error: Error) => {
    throw new AppError('BAD_USER_INPUT', `cannot read the schema ${schemaPath}: ${error.message}`);
  });
  const folders = await Promise.all(
    providers.map((p) => readMigrationsFolder(p, migrationsDirFor(p, options.migrationsRoot))),
  );
  const latest = folders
    .flatMap((f) => f.names)
    .sort()
    .at(-1);
  const migrationName = `${nextTimestamp(options.now ?? new Date(), latest)}_${options.name}`;

  const created: CreatedMigration[] = [];
  for (const folder of folders) {
    const factory =
      folder.provider === 'sqlite'
        ? createSqliteAdapter(':memory:')
        : createMigrationPostgresAdapter(scratchPostgresUrl(options.postgresUrl));
    options.log?.(`${folder.provider}: replaying ${folder.names.length} migration(s) on a scratch database`);
    const engine = await openEngine(factory);
    try {
      const diff = await engine.run(`diff (${folder.provider})`, (e) =>
        e.diff({
          from: { tag: 'migrations', ...folder.list },
          to: {
            tag: 'schemaDatamodel',
            files: [{ path: schemaPath, content: schemaForProvider(schema, folder.provider) }],
          },
          script: true,
          exitCode: true,
          filters: NO_FILTER,
        }),
      );
      if (diff.exitCode === 0 || !diff.stdout) {
        options.log?.(`${folder.provider}: schema matches the migrations; nothing to create`);
        created.push({ provider: folder.provider, migrationName: null, file: null });
        continue;
      }
      const file = await writeMigration(folder.dir, folder.provider, migrationName, diff.stdout);
      options.log?.(`${folder.provider}: wrote ${file}`);
      created.push({ provider: folder.provider, migrationName, file });
    } finally {
      await engine.close();
    }
  }
  return created;
}

function scratchPostgresUrl(explicit: string | undefined): string {
  return explicit ?? process.env[SCRATCH_POSTGRES_VARIABLE] ?? DEFAULT_SCRATCH_POSTGRES_URL;
}

/** Prisma's `YYYYMMDDHHMMSS`, moved past the latest existing migration so the new one always sorts last. */
function nextTimestamp(now: Date, latest: string | undefined): string {
  let t = now.getTime();
  const stamp = (ms: number) => new Date(ms).toISOString().replace(/\D/g, '').slice(0, 14);
  const latestStamp = latest?.slice(0, 14);
  while (latestStamp !== undefined && stamp(t) <= latestStamp) t += 1000;
  return stamp(t);
}
