import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createTestDatabase, PROVIDERS } from '@ich/testkit';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config/env.js';
import { createDatabaseClient, type DatabaseClient, prepareDatabase } from '../../../src/db/index.js';
import { createServer } from '../../../src/server.js';

const cleanups: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function serve(db: DatabaseClient): Promise<string> {
  const app = await createServer({ config: loadConfig({}), version: '9.9.9', pingDatabase: () => db.ping() });
  const server: Server = await new Promise((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  cleanups.push(() => new Promise((resolve) => server.close(() => resolve())));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

describe.each(PROVIDERS)('health endpoints on %s', (provider) => {
  it('answers liveness and readiness when the database is up', async () => {
    const target = await createTestDatabase(provider, 'health');
    cleanups.push(target.drop);
    const db = await prepareDatabase(target.url);
    cleanups.push(() => db.close());
    const base = await serve(db);

    const health = await fetch(`${base}/healthz`);
    expect(health.status).toBe(200);
    expect(await health.json()).toMatchObject({ status: 'ok', version: '9.9.9', uptimeSeconds: expect.any(Number) });
    const ready = await fetch(`${base}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ status: 'ready', database: 'ok' });
    const missing = await fetch(`${base}/no-such-thing`);
    expect(missing.status).toBe(404);
    expect(await missing.json()).toEqual({ error: { code: 'NOT_FOUND', message: 'No such endpoint.' } });
  });
});

describe('readiness when the database is unreachable', () => {
  it('stays live but reports 503 not ready', async () => {
    // A real PostgreSQL server, but a database that does not exist: every connection attempt is refused.
    const server = new URL(process.env.TEST_POSTGRES_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres');
    server.pathname = '/ich_database_that_does_not_exist';
    const db = await createDatabaseClient(server.toString(), { maxConnections: 1 });
    cleanups.push(() => db.close());
    const base = await serve(db);

    expect((await fetch(`${base}/healthz`)).status).toBe(200);
    const ready = await fetch(`${base}/readyz`);
    expect(ready.status).toBe(503);
    expect(await ready.json()).toEqual({ status: 'unavailable', database: 'unreachable', code: 'DATABASE_ERROR' });
  });
});
