import { randomUUID } from 'node:crypto';
import { PrismaPg } from '@prisma/adapter-pg';
import type { SqlDriverAdapter, SqlMigrationAwareDriverAdapterFactory } from '@prisma/driver-adapter-utils';
import pg from 'pg';

export interface PostgresAdapterOptions {
  /** Most connections this process opens (pg Pool `max`). */
  maxConnections?: number;
  /** Called when an idle pooled connection fails (e.g. the server restarted); the pool replaces it. */
  onPoolError?: (error: Error) => void;
}

export interface PostgresAdapter {
  adapter: SqlMigrationAwareDriverAdapterFactory;
  /** The pool behind the adapter; `end()` it after `$disconnect()`. */
  pool: pg.Pool;
}

/** A pg Pool and the Prisma adapter over it. The caller owns the pool so that shutdown is explicit. */
export function createPostgresAdapter(url: string, options: PostgresAdapterOptions = {}): PostgresAdapter {
  const pool = new pg.Pool({ connectionString: url, max: options.maxConnections ?? 10 });
  pool.on('error', (error) => options.onPoolError?.(error));
  return { adapter: new PrismaPg(pool), pool };
}

/**
 * The adapter the schema engine needs, with two repairs over plain adapter-pg 7.10:
 * - introspection selects catalog columns of PostgreSQL's one-byte `"char"` type (relkind, contype, ...), which the
 *   adapter refuses ("Column type 'char' could not be deserialized"); pg already decodes them as strings, so they
 *   are relabelled as text;
 * - its shadow database ignores the requested database name when given a connection string (the connection string
 *   wins in pg), so it would replay migrations onto the real database. Here the shadow database is created under
 *   a unique name on the same server and dropped when the engine lets go of it. This needs the CREATEDB privilege.
 */
export function createMigrationPostgresAdapter(url: string): SqlMigrationAwareDriverAdapterFactory {
  return {
    provider: 'postgres',
    adapterName: '@prisma/adapter-pg',
    connect: () => connectCharTolerant(url),
    async connectToShadowDb(): Promise<SqlDriverAdapter> {
      const name = `ich_shadow_${randomUUID().replaceAll('-', '')}`;
      const admin = new pg.Client({ connectionString: url });
      await admin.connect();
      try {
        await admin.query(`CREATE DATABASE "${name}"`);
      } catch (error) {
        await admin.end();
        throw error;
      }
      const shadowUrl = new URL(url);
      shadowUrl.pathname = `/${name}`;
      const adapter = await connectCharTolerant(shadowUrl.toString());
      const dispose = adapter.dispose.bind(adapter);
      return new Proxy(adapter, {
        get(target, property, receiver) {
          if (property === 'dispose') {
            return async () => {
              try {
                await dispose();
                await admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
              } finally {
                await admin.end();
              }
            };
          }
          const value: unknown = Reflect.get(target, property, receiver);
          return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
        },
      });
    },
  };
}

const PG_CHAR_OID = 18;
const PG_TEXT_OID = 25;

async function connectCharTolerant(url: string): Promise<SqlDriverAdapter> {
  const pool = new pg.Pool({ connectionString: url, max: 2 });
  pool.on('error', () => undefined);
  pool.on('connect', (client) => relabelCharColumns(client));
  return new PrismaPg(pool, { disposeExternalPool: true }).connect();
}

function relabelCharColumns(client: pg.PoolClient): void {
  const original = client.query.bind(client) as (...args: unknown[]) => unknown;
  const fix = (result: unknown): void => {
    for (const one of Array.isArray(result) ? result : [result]) {
      for (const field of (one as { fields?: { dataTypeID: number }[] } | undefined)?.fields ?? []) {
        if (field.dataTypeID === PG_CHAR_OID) field.dataTypeID = PG_TEXT_OID;
      }
    }
  };
  const patched = (...args: unknown[]): unknown => {
    const last = args.length - 1;
    const callback = args[last];
    if (typeof callback === 'function') {
      args[last] = (error: unknown, result: unknown) => {
        if (result) fix(result);
        (callback as (e: unknown, r: unknown) => void)(error, result);
      };
      return original(...args);
    }
    const out = original(...args);
    if (out instanceof Promise)
      return out.then((result: unknown) => {
        fix(result);
        return result;
      });
    return out;
  };
  client.query = patched as typeof client.query;
}
