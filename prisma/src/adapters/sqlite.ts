import { PrismaBetterSqlite3 } from '@prisma/adapter-better-sqlite3';
import type { SqlDriverAdapter, SqlMigrationAwareDriverAdapterFactory } from '@prisma/driver-adapter-utils';

export interface SqliteAdapterOptions {
  /** How long a writer waits for another process's lock before SQLITE_BUSY (API and worker share the file). */
  busyTimeoutMs?: number;
}

/**
 * A better-sqlite3 adapter factory whose every connection runs with WAL (readers never block the single writer,
 * so the worklist stays responsive while the worker stores predictions), a busy timeout (API and worker processes
 * share one file) and enforced foreign keys (the schema's ON DELETE CASCADE relies on them).
 */
export function createSqliteAdapter(
  filePath: string,
  options: SqliteAdapterOptions = {},
): SqlMigrationAwareDriverAdapterFactory {
  const busyTimeoutMs = options.busyTimeoutMs ?? 5000;
  const inner = new PrismaBetterSqlite3({ url: `file:${filePath}`, timeout: busyTimeoutMs });
  const pragmas = `PRAGMA journal_mode = WAL; PRAGMA busy_timeout = ${Math.max(0, Math.trunc(busyTimeoutMs))}; PRAGMA foreign_keys = ON;`;
  return {
    provider: inner.provider,
    adapterName: inner.adapterName,
    async connect(): Promise<SqlDriverAdapter> {
      const adapter = await inner.connect();
      await adapter.executeScript(pragmas);
      return adapter;
    },
    async connectToShadowDb(): Promise<SqlDriverAdapter> {
      // An in-memory database: the schema engine replays the migrations there to learn the schema they produce.
      return acceptMultiStatementScripts(await inner.connectToShadowDb());
    },
  };
}

/**
 * The schema engine replays each migration.sql on the shadow database with `executeRaw`, which better-sqlite3
 * refuses for more than one statement ("The supplied SQL string contains more than one statement"). A parameterless
 * multi-statement call is a script, so it is run as one; everything else passes through untouched.
 */
export function acceptMultiStatementScripts(adapter: SqlDriverAdapter): SqlDriverAdapter {
  return new Proxy(adapter, {
    get(target, property, receiver) {
      if (property === 'executeRaw') {
        return async (query: Parameters<SqlDriverAdapter['executeRaw']>[0]): Promise<number> => {
          try {
            return await target.executeRaw(query);
          } catch (error) {
            if (query.args.length === 0 && /more than one statement/.test(describe(error))) {
              await target.executeScript(query.sql);
              return 0;
            }
            throw error;
          }
        };
      }
      const value: unknown = Reflect.get(target, property, receiver);
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  });
}

function describe(error: unknown): string {
  if (error instanceof Error) return `${error.message} ${describe(error.cause)}`;
  if (typeof error === 'object' && error !== null) return JSON.stringify(error);
  return String(error ?? '');
}
