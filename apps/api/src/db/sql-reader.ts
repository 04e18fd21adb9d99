import { createHash } from 'node:crypto';
import type { DatabaseProvider } from '@ich/prisma';
import type BetterSqlite3 from 'better-sqlite3';
import type pg from 'pg';

/**
 * Read-only SQL for hot paths, beside Prisma: the worklist page costs ~8 ms of CPU through Prisma's query engine
 * (query planning in JS, a fresh `prepare` of the same SQL on every call in the better-sqlite3 adapter, row
 * deserialisation into objects). A reader keeps each distinct statement prepared and returns raw row arrays.
 *
 * SQL is written with `?` placeholders; on PostgreSQL they become `$1..$n`. Callers build SQL only from their own
 * fragments (never from input); values always travel as parameters.
 */
export interface SqlReader {
  readonly provider: DatabaseProvider;
  /** Rows as arrays in select-list order. Dates are Date (PostgreSQL) or ISO text (SQLite, as Prisma stores them). */
  rows(sql: string, params: readonly unknown[]): Promise<unknown[][]>;
  close(): Promise<void>;
}

/** Prepared statements kept per connection; the worklist has a few dozen filter shapes, far below this. */
const MAX_STATEMENTS = 256;

/**
 * SQLite: its own read-only better-sqlite3 connection to the same file (WAL, so it reads the latest committed state
 * without blocking the writer), opened on first use, with a cache of prepared statements keyed by SQL text.
 */
export function createSqliteReader(filePath: string, busyTimeoutMs = 5000): SqlReader {
  let db: BetterSqlite3.Database | null = null;
  const statements = new Map<string, BetterSqlite3.Statement>();
  const open = async (): Promise<BetterSqlite3.Database> => {
    if (db) return db;
    const { default: Database } = await import('better-sqlite3');
    db ??= new Database(filePath, { readonly: true, fileMustExist: true, timeout: busyTimeoutMs });
    return db;
  };
  return {
    provider: 'sqlite',
    async rows(sql, params) {
      const connection = db ?? (await open());
      let statement = statements.get(sql);
      if (!statement) {
        if (statements.size >= MAX_STATEMENTS) statements.clear();
        statement = connection.prepare(sql).raw(true);
        statements.set(sql, statement);
      }
      return statement.all(...params) as unknown[][];
    },
    async close() {
      statements.clear();
      db?.close();
      db = null;
    },
  };
}

// timestamp(3) without time zone holds UTC wall-clock time (Prisma writes it so); pg's default parser would read it
// as local time. Read it as UTC, and bigint counts as numbers (a count of studies fits easily).
const TIMESTAMP_OID = 1114;
const INT8_OID = 20;

/**
 * PostgreSQL: queries on the API's pg pool as named prepared statements (parsed and planned once per pooled
 * connection, then only bound and executed), rows in array mode.
 */
export function createPostgresReader(pool: pg.Pool): SqlReader {
  const names = new Map<string, { name: string; text: string }>();
  const types = {
    getTypeParser: ((oid: number, format?: string) => {
      if (oid === TIMESTAMP_OID) return (value: string) => new Date(`${value.replace(' ', 'T')}Z`);
      if (oid === INT8_OID) return (value: string) => Number(value);
      return pgTypes.getTypeParser(oid, format as 'text');
    }) as pg.CustomTypesConfig['getTypeParser'],
  };
  let pgTypes: typeof pg.types;
  const ready = import('pg').then((m) => {
    pgTypes = m.default.types;
  });
  return {
    provider: 'postgresql',
    async rows(sql, params) {
      await ready;
      let prepared = names.get(sql);
      if (!prepared) {
        let n = 0;
        const text = sql.replace(/\?/g, () => `$${++n}`);
        prepared = { name: `ich_${createHash('sha256').update(text).digest('hex').slice(0, 24)}`, text };
        names.set(sql, prepared);
      }
      const result = await pool.query({
        name: prepared.name,
        text: prepared.text,
        values: params as unknown[],
        rowMode: 'array',
        types,
      });
      return result.rows as unknown[][];
    },
    async close() {
      names.clear();
    },
  };
}
