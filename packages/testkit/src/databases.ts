import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';

/**
 * Throw-away databases for integration tests. Every tier that needs a real database (prisma's migration tests, the
 * API's integration tests, the e2e product runs) gets them here, so "a fresh SQLite file" and "a uniquely named
 * PostgreSQL database dropped afterwards" mean the same thing everywhere.
 */

export type Provider = 'sqlite' | 'postgresql';
export const PROVIDERS: readonly Provider[] = ['sqlite', 'postgresql'];

/** The shared PostgreSQL server (trust auth in development and CI); tests only create and drop their own databases. */
export const POSTGRES_SERVER_URL = process.env['TEST_POSTGRES_URL'] ?? 'postgresql://postgres@127.0.0.1:5432/postgres';

export interface TestDatabase {
  provider: Provider;
  url: string;
  drop(): Promise<void>;
}

export interface SqliteTestDatabase extends TestDatabase {
  provider: 'sqlite';
  /** The temporary folder holding the database (and anything else the test puts there); removed by drop(). */
  dir: string;
  filePath: string;
}

/** A new, empty, uniquely named PostgreSQL database on the shared server. */
export async function createPostgresDatabase(label: string): Promise<TestDatabase> {
  const name = `ich_test_${safeLabel(label)}_${randomBytes(5).toString('hex')}`;
  await adminQuery(`CREATE DATABASE "${name}"`);
  const url = new URL(POSTGRES_SERVER_URL);
  url.pathname = `/${name}`;
  return {
    provider: 'postgresql',
    url: url.toString(),
    drop: () => adminQuery(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`),
  };
}

/** A SQLite URL for a file inside a fresh temporary folder (the file itself does not exist yet). */
export async function createSqliteDatabase(label: string): Promise<SqliteTestDatabase> {
  const dir = await mkdtemp(join(tmpdir(), `ich-${safeLabel(label)}-`));
  const filePath = join(dir, 'data', 'ich.db');
  return {
    provider: 'sqlite',
    dir,
    filePath,
    url: `file:${filePath}`,
    drop: () => rm(dir, { recursive: true, force: true }),
  };
}

/** An empty database of either provider; migrations are the caller's business. */
export async function createTestDatabase(provider: Provider, label: string): Promise<TestDatabase> {
  return provider === 'sqlite' ? createSqliteDatabase(label) : createPostgresDatabase(label);
}

/** Runs one statement on a database, outside Prisma: how an operator's manual change (or an attacker's) arrives. */
export async function runSql(provider: Provider, url: string, sql: string): Promise<void> {
  if (provider === 'postgresql') {
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      await client.query(sql);
    } finally {
      await client.end();
    }
    return;
  }
  const { default: Database } = await import('better-sqlite3');
  const db = new Database(url.slice('file:'.length));
  try {
    db.exec(sql);
  } finally {
    db.close();
  }
}

/** Database and folder names from test labels: lower-case letters, digits and underscores only. */
function safeLabel(label: string): string {
  return label
    .toLowerCase()
    .replace(/[^a-z0-9_]+/g, '_')
    .slice(0, 24);
}

async function adminQuery(sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: POSTGRES_SERVER_URL });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}
