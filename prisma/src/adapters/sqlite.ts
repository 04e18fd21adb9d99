import { PrismaBetterSqlite3 } from '@prisma/adapter-better-sqlite3';
import type {
  IsolationLevel,
  SqlDriverAdapter,
  SqlMigrationAwareDriverAdapterFactory,
  SqlQuery,
  Transaction,
} from '@prisma/driver-adapter-utils';

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
      return isolateTransactions(adapter);
    },
    async connectToShadowDb(): Promise<SqlDriverAdapter> {
      // An in-memory database: the schema engine replays the migrations there to learn the schema they produce.
      return acceptMultiStatementScripts(await inner.connectToShadowDb());
    },
  };
}

/** A FIFO lock: one holder at a time, waiters served in arrival order. */
class Lock {
  private tail: Promise<void> = Promise.resolve();

  acquire(): Promise<() => void> {
    let release!: () => void;
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    const ready = this.tail.then(() => release);
    this.tail = this.tail.then(() => held);
    return ready;
  }
}

/**
 * better-sqlite3 gives a process one connection, and Prisma's adapter runs statements made outside a transaction on
 * it even while a transaction is open there: they became part of that transaction (a rollback undid another
 * request's committed-looking write) and saw its uncommitted rows. Here every statement outside a transaction waits
 * while one is open, so an interactive transaction is isolated within the process as it is across processes. The
 * price is that a transaction holds up the process's other queries until it ends: keep transactions short and never
 * await anything but their own statements inside them.
 *
 * Transactions begin IMMEDIATE (take the write lock at once, waiting up to the busy timeout for another process):
 * a deferred one that read first could not later upgrade to a write once another process had written, and would
 * fail with SQLITE_BUSY instead of waiting.
 */
export function isolateTransactions(adapter: SqlDriverAdapter): SqlDriverAdapter {
  const lock = new Lock();
  const outside = async <T>(work: () => Promise<T>): Promise<T> => {
    const release = await lock.acquire();
    try {
      return await work();
    } finally {
      release();
    }
  };
  const startTransaction = async (isolationLevel?: IsolationLevel): Promise<Transaction> => {
    if (isolationLevel && isolationLevel !== 'SERIALIZABLE')
      throw new Error(`SQLite transactions are SERIALIZABLE; ${isolationLevel} was asked for`);
    const release = await lock.acquire();
    try {
      await adapter.executeScript('BEGIN IMMEDIATE');
    } catch (error) {
      release();
      throw error;
    }
    let open = true;
    const end = (): Promise<void> => {
      if (open) release();
      open = false;
      return Promise.resolve();
    };
    // Statements inside the transaction run on the same connection, directly: the lock is already held for them.
    const inside = (query: SqlQuery) => {
      if (!open) throw new Error('SQLite transaction already ended');
      return query;
    };
    return {
      provider: adapter.provider,
      adapterName: adapter.adapterName,
      options: { usePhantomQuery: false },
      queryRaw: async (query) => adapter.queryRaw(inside(query)),
      executeRaw: async (query) => adapter.executeRaw(inside(query)),
      // Prisma sends COMMIT / ROLLBACK itself (usePhantomQuery false); these only end the hold on the connection.
      commit: end,
      rollback: end,
      createSavepoint: async (name) => {
        await adapter.executeRaw({ sql: `SAVEPOINT ${name}`, args: [], argTypes: [] });
      },
      rollbackToSavepoint: async (name) => {
        await adapter.executeRaw({ sql: `ROLLBACK TO ${name}`, args: [], argTypes: [] });
      },
      releaseSavepoint: async (name) => {
        await adapter.executeRaw({ sql: `RELEASE SAVEPOINT ${name}`, args: [], argTypes: [] });
      },
    };
  };
  return {
    provider: adapter.provider,
    adapterName: adapter.adapterName,
    queryRaw: (query) => outside(() => adapter.queryRaw(query)),
    executeRaw: (query) => outside(() => adapter.executeRaw(query)),
    executeScript: (script) => outside(() => adapter.executeScript(script)),
    startTransaction,
    ...(adapter.getConnectionInfo ? { getConnectionInfo: adapter.getConnectionInfo.bind(adapter) } : {}),
    dispose: () => adapter.dispose(),
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
