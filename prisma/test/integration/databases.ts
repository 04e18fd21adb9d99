import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';

/** The shared PostgreSQL server (trust auth in development and CI); tests only create and drop their own databases. */
export const POSTGRES_SERVER_URL = process.env.TEST_POSTGRES_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres';

export interface TestDatabase {
  url: string;
  drop(): Promise<void>;
}

/** A new, empty, uniquely named PostgreSQL database on the shared server. */
export async function createPostgresDatabase(label: string): Promise<TestDatabase> {
  const name = `ich_test_${label}_${randomBytes(5).toString('hex')}`;
  await adminQuery(`CREATE DATABASE "${name}"`);
  const url = new URL(POSTGRES_SERVER_URL);
  url.pathname = `/${name}`;
  return { url: url.toString(), drop: () => adminQuery(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`) };
}

/** A SQLite URL for a file inside a fresh temporary folder (the file itself does not exist yet). */
export async function createSqliteDatabase(label: string): Promise<TestDatabase & { dir: string; filePath: string }> {
  const dir = await mkdtemp(join(tmpdir(), `ich-${label}-`));
  const filePath = join(dir, 'nested', 'ich.db');
  return { dir, filePath, url: `file:${filePath}`, drop: () => rm(dir, { recursive: true, force: true }) };
}

export async function createDatabase(provider: 'sqlite' | 'postgresql', label: string): Promise<TestDatabase> {
  return provider === 'sqlite' ? createSqliteDatabase(label) : createPostgresDatabase(label);
}

/** Runs one statement on a database, outside Prisma: how an operator's manual change would arrive. */
export async function runSql(provider: 'sqlite' | 'postgresql', url: string, sql: string): Promise<void> {
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

async function adminQuery(sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: POSTGRES_SERVER_URL });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}
