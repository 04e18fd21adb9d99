import { execFile } from 'node:child_process';
import { cp, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { createTestDatabase, POSTGRES_SERVER_URL, runSql, type TestDatabase } from '@ich/testkit';
import { afterAll, describe, expect, it } from 'vitest';
import {
  createMigration,
  deployMigrations,
  MIGRATIONS_ROOT,
  migrationStatus,
  SCHEMA_PATH,
  statusError,
} from '../../src/migrate/index.js';
import { PACKAGE_ROOT } from '../../src/paths.js';
import { DATABASE_PROVIDERS } from '../../src/providers.js';

const cleanups: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function freshDatabase(provider: (typeof DATABASE_PROVIDERS)[number], label: string): Promise<TestDatabase> {
  const db = await createTestDatabase(provider, label);
  cleanups.push(db.drop);
  return db;
}

async function committedMigrationNames(provider: string): Promise<string[]> {
  return (await readdir(join(MIGRATIONS_ROOT, provider), { withFileTypes: true }))
    .filter((e) => e.isDirectory())
    .map((e) => e.name)
    .sort();
}

describe.each(DATABASE_PROVIDERS)('migrations on %s', (provider) => {
  it('reports pending, applies the committed history once, and a second deploy is a no-op', async () => {
    const db = await freshDatabase(provider, 'deploy');
    const committed = await committedMigrationNames(provider);
    expect(committed.length).toBeGreaterThan(0);

    const before = await migrationStatus({ databaseUrl: db.url });
    expect(before.pending).toEqual(committed);
    expect(before.applied).toEqual([]);
    expect(before.upToDate).toBe(false);
    expect(statusError(before)?.code).toBe('MIGRATION_PENDING');

    const first = await deployMigrations({ databaseUrl: db.url });
    expect(first.applied).toEqual(committed);
    const second = await deployMigrations({ databaseUrl: db.url });
    expect(second.applied).toEqual([]);

    const after = await migrationStatus({ databaseUrl: db.url });
    expect(after).toMatchObject({
      provider,
      applied: committed,
      pending: [],
      failed: [],
      edited: [],
      notInFolder: [],
      drift: null,
      upToDate: true,
    });
    expect(statusError(after)).toBeNull();
  });

  it('detects drift after a manual ALTER TABLE', async () => {
    const db = await freshDatabase(provider, 'drift');
    await deployMigrations({ databaseUrl: db.url });
    await runSql(provider, db.url, 'ALTER TABLE "Study" ADD COLUMN "addedByHand" TEXT');

    const status = await migrationStatus({ databaseUrl: db.url });
    expect(status.pending).toEqual([]);
    expect(status.drift).toContain('addedByHand');
    expect(status.upToDate).toBe(false);
    expect(statusError(status)?.code).toBe('MIGRATION_DRIFT');
  });

  it('reports an edited migration and stops deploy at a failing one with MIGRATION_FAILED', async () => {
    const work = await mkdtemp(join(tmpdir(), `ich-history-${provider}-`));
    cleanups.push(() => rm(work, { recursive: true, force: true }));
    const migrationsRoot = join(work, 'migrations');
    await cp(MIGRATIONS_ROOT, migrationsRoot, { recursive: true });
    const db = await freshDatabase(provider, 'history');
    await deployMigrations({ databaseUrl: db.url, migrationsRoot });

    const [init] = await committedMigrationNames(provider);
    const initFile = join(migrationsRoot, provider, init ?? '', 'migration.sql');
    await writeFile(initFile, `${await readFile(initFile, 'utf8')}\n-- edited after it was applied\n`);
    const edited = await migrationStatus({ databaseUrl: db.url, migrationsRoot });
    expect(edited.edited).toEqual([init]);
    expect(statusError(edited)?.code).toBe('MIGRATION_DRIFT');

    const broken = '29990101000000_broken';
    await cp(join(MIGRATIONS_ROOT, provider, init ?? ''), join(migrationsRoot, provider, broken), { recursive: true });
    await writeFile(
      join(migrationsRoot, provider, broken, 'migration.sql'),
      'CREATE TABLE "NoSuch" ("id" TEXT);\nALTER TABLE "Missing" ADD COLUMN "x" TEXT;\n',
    );
    await expect(deployMigrations({ databaseUrl: db.url, migrationsRoot })).rejects.toMatchObject({
      code: 'MIGRATION_FAILED',
      message: expect.stringContaining(broken),
    });
    const failed = await migrationStatus({ databaseUrl: db.url, migrationsRoot });
    expect(failed.failed).toEqual([broken]);
    expect(statusError(failed)?.code).toBe('MIGRATION_FAILED');
  });

  it('creates a migration from a schema change that applies on top of the history', async () => {
    const work = await mkdtemp(join(tmpdir(), `ich-create-${provider}-`));
    cleanups.push(() => rm(work, { recursive: true, force: true }));
    const migrationsRoot = join(work, 'migrations');
    await cp(MIGRATIONS_ROOT, migrationsRoot, { recursive: true });
    const schemaPath = join(work, 'schema.prisma');
    const schema = await readFile(SCHEMA_PATH, 'utf8');
    const changed = schema.replace(/(model Study \{\n)/, '$1  site             String?\n');
    expect(changed).not.toBe(schema);
    await writeFile(schemaPath, changed);

    const unchanged = await createMigration({
      name: 'nothing',
      providers: [provider],
      migrationsRoot,
      schemaPath: SCHEMA_PATH,
      postgresUrl: POSTGRES_SERVER_URL,
    });
    expect(unchanged).toEqual([{ provider, migrationName: null, file: null }]);

    const [created] = await createMigration({
      name: 'add_study_site',
      providers: [provider],
      migrationsRoot,
      schemaPath,
      postgresUrl: POSTGRES_SERVER_URL,
    });
    expect(created?.migrationName).toMatch(/^\d{14}_add_study_site$/);
    const sql = await readFile(created?.file ?? '', 'utf8');
    expect(sql).toMatch(/"site"/);

    const db = await freshDatabase(provider, 'create');
    const deployed = await deployMigrations({ databaseUrl: db.url, migrationsRoot });
    expect(deployed.applied.at(-1)).toBe(created?.migrationName);
    const status = await migrationStatus({ databaseUrl: db.url, migrationsRoot });
    expect(status.upToDate).toBe(true);
    // Against the committed folder (without the new migration) the database is ahead: reported, not hidden.
    expect((await migrationStatus({ databaseUrl: db.url })).notInFolder).toEqual([created?.migrationName]);
  });
});

describe('ich-migrate CLI', () => {
  const run = promisify(execFile);
  const tsx = createRequire(import.meta.url).resolve('tsx');
  const cli = (args: string[]) =>
    run(process.execPath, ['--import', tsx, join(PACKAGE_ROOT, 'src', 'cli.ts'), ...args], {
      env: { ...process.env, DATABASE_URL: '' },
    }).then(
      (r) => ({ code: 0, ...r }),
      (e: { code: number; stdout: string; stderr: string }) => ({ code: e.code, stdout: e.stdout, stderr: e.stderr }),
    );

  it('status exits non-zero until deploy has run, then zero', async () => {
    const db = await freshDatabase('sqlite', 'cli');
    const pending = await cli(['status', '--database-url', db.url]);
    expect(pending.code).not.toBe(0);
    expect(pending.stderr).toContain('MIGRATION_PENDING');
    const deploy = await cli(['deploy', '--database-url', db.url]);
    expect(deploy.code).toBe(0);
    const ok = await cli(['status', '--database-url', db.url]);
    expect(ok.code).toBe(0);
    expect(ok.stdout).toContain('up to date');
  });

  it('names DATABASE_URL when it is missing or not a supported URL', async () => {
    const missing = await cli(['deploy']);
    expect(missing.stderr).toMatch(/BAD_CONFIG: DATABASE_URL is not set/);
    const mysql = await cli(['status', '--database-url', 'mysql://root@localhost/ich']);
    expect(mysql.stderr).toMatch(/BAD_CONFIG: DATABASE_URL must start with file:.*"mysql:"/);
    expect(mysql.code).toBe(78);
  });
});
