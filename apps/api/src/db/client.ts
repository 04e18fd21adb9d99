import { type DatabaseProvider, type PrismaClient, parseDatabaseUrl } from '@ich/prisma';
import { createPostgresReader, createSqliteReader, type SqlReader } from './sql-reader.js';

export interface DatabaseClient {
  prisma: PrismaClient;
  provider: DatabaseProvider;
  /** Prepared read-only SQL beside Prisma, for hot read paths (the worklist page); same database, same pool. */
  reader: SqlReader;
  /** Resolves when the database answers a trivial query (readiness checks); rejects otherwise. */
  ping(): Promise<void>;
  /** Disconnects Prisma and ends the connection pool; call once at shutdown. */
  close(): Promise<void>;
}

async function ping(prisma: PrismaClient): Promise<void> {
  await prisma.$queryRaw`SELECT 1`;
}

export interface DatabaseClientOptions {
  /** The variable the URL came from, named in configuration errors (default DATABASE_URL). */
  variable?: string;
  /** SQLite: how long to wait for another process's write lock. */
  busyTimeoutMs?: number;
  /** PostgreSQL: most pooled connections for this process. */
  maxConnections?: number;
  /** PostgreSQL: an idle pooled connection failed (server restart); the pool replaces it. */
  onPoolError?: (error: Error) => void;
}

/**
 * The one way the API and the worker get a database client. The URL picks the driver: `file:` → SQLite through
 * better-sqlite3 (WAL, busy timeout, foreign keys on every connection), `postgres://` / `postgresql://` → PostgreSQL
 * through a pg Pool. Anything else is BAD_CONFIG naming DATABASE_URL. Nothing connects until the first query.
 *
 * Only the chosen provider's generated client is loaded. Both are returned as the canonical `PrismaClient` type
 * (the SQLite client's types, the subset both providers support; see @ich/prisma), so the PostgreSQL client's cast
 * hides only PostgreSQL-only extras.
 */
export async function createDatabaseClient(
  databaseUrl: string,
  options: DatabaseClientOptions = {},
): Promise<DatabaseClient> {
  const target = parseDatabaseUrl(databaseUrl, options.variable);
  if (target.provider === 'sqlite') {
    const { PrismaClient: SqlitePrismaClient, createSqliteAdapter } = await import('@ich/prisma/sqlite');
    const busyTimeoutMs = options.busyTimeoutMs;
    const prisma: PrismaClient = new SqlitePrismaClient({
      adapter: createSqliteAdapter(target.filePath, busyTimeoutMs === undefined ? {} : { busyTimeoutMs }),
    });
    const reader = createSqliteReader(target.filePath, busyTimeoutMs);
    return {
      prisma,
      provider: 'sqlite',
      reader,
      ping: () => ping(prisma),
      async close() {
        await reader.close();
        await prisma.$disconnect();
      },
    };
  }
  const { PrismaClient: PostgresPrismaClient, createPostgresAdapter } = await import('@ich/prisma/postgresql');
  const { adapter, pool } = createPostgresAdapter(target.url, {
    maxConnections: options.maxConnections,
    onPoolError: options.onPoolError,
  });
  const prisma = new PostgresPrismaClient({ adapter }) as PrismaClient;
  const reader = createPostgresReader(pool);
  let closed = false;
  return {
    prisma,
    provider: 'postgresql',
    reader,
    ping: () => ping(prisma),
    async close() {
      if (closed) return;
      closed = true;
      await reader.close();
      await prisma.$disconnect();
      await pool.end();
    },
  };
}
