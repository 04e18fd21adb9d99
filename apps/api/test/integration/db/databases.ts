import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createDatabaseClient } from '../../../src/db/index.js';

/** The shared PostgreSQL server; each test file creates its own uniquely named databases and drops them. */
const SERVER_URL = process.env.TEST_POSTGRES_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres';

export type Provider = 'sqlite' | 'postgresql';
export const PROVIDERS: readonly Provider[] = ['sqlite', 'postgresql'];

export interface TestDatabase {
  url: string;
  drop(): Promise<void>;
}

/** An empty database: a file URL in a fresh temporary folder (not created yet) or a new PostgreSQL database. */
export async function createTestDatabase(provider: Provider, label: string): Promise<TestDatabase> {
  if (provider === 'sqlite') {
    const dir = await mkdtemp(join(tmpdir(), `ich-api-${label}-`));
    return { url: `file:${join(dir, 'data', 'ich.db')}`, drop: () => rm(dir, { recursive: true, force: true }) };
  }
  const name = `ich_test_api_${label}_${randomBytes(5).toString('hex')}`;
  await admin(`CREATE DATABASE "${name}"`);
  const url = new URL(SERVER_URL);
  url.pathname = `/${name}`;
  return { url: url.toString(), drop: () => admin(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`) };
}

// Through the project's own client: apps/api reaches PostgreSQL only via @ich/prisma.
async function admin(sql: string): Promise<void> {
  const server = await createDatabaseClient(SERVER_URL, { variable: 'TEST_POSTGRES_URL', maxConnections: 1 });
  try {
    await server.prisma.$executeRawUnsafe(sql);
  } finally {
    await server.close();
  }
}
