import { createClient } from 'graphql-ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { type RunningProduct, startProduct } from '../harness/product.js';
import { storeSyntheticStudy } from '../harness/seed.js';

/**
 * The default `npm start` tree (API, worker, web server) on SQLite: a stored study queued through GraphQL at the
 * web origin is analyzed by the worker process, and a graphql-ws client connected to the *web* origin with the
 * session cookie hears its status changes and result (worker → API over the SQLite event log, API → browser through
 * the web server's WebSocket proxy).
 */
describe('live updates through the web origin', () => {
  let product: RunningProduct;
  const password = 'e2e-admin-password-123';

  beforeAll(async () => {
    product = await startProduct({ ICH_ADMIN_PASSWORD: password });
  });
  afterAll(async () => {
    await product?.stop();
  });

  it('delivers studyUpdated from the worker to a cookie-authenticated WebSocket on the web origin', async () => {
    // A study as ingest stores it: files by content hash under STORAGE_DIR, rows pointing at them.
    const studyId = await storeSyntheticStudy(product, 'e2e-live');

    const gql = async (query: string, variables: Record<string, unknown>, cookie?: string) => {
      const res = await fetch(`${product.webUrl}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(cookie ? { cookie } : {}) },
        body: JSON.stringify({ query, variables }),
      });
      return { res, body: (await res.json()) as { data?: Record<string, unknown>; errors?: unknown[] } };
    };
    const login = await gql('mutation($e: String!, $p: String!) { login(email: $e, password: $p) { token } }', {
      e: 'admin@ich.local',
      p: password,
    });
    const cookie = (login.res.headers.get('set-cookie') ?? '').split(';')[0]!;
    expect(cookie).toMatch(/^ich_session=/);

    const statuses: string[] = [];
    const done = new Promise<void>((resolve, reject) => {
      class CookieSocket extends WebSocket {
        constructor(address: string, protocols?: string | string[]) {
          super(address, protocols, { headers: { cookie, origin: product.webUrl } });
        }
      }
      const client = createClient({
        url: `${product.webUrl.replace(/^http/, 'ws')}/graphql`,
        webSocketImpl: CookieSocket,
        lazy: false,
        retryAttempts: 0,
      });
      client.subscribe<{ studyUpdated: { status: string; prediction: { id: string } | null } }>(
        {
          query: 'subscription($id: ID!) { studyUpdated(id: $id) { status prediction { id } } }',
          variables: { id: studyId },
        },
        {
          next: (v) => {
            const s = v.data?.studyUpdated;
            if (!s) return reject(new Error(JSON.stringify(v.errors)));
            statuses.push(s.status);
            if (s.status === 'DONE' && s.prediction) {
              void client.dispose();
              resolve();
            }
          },
          error: (e) => reject(new Error(`subscription ended: ${String(e)}\n${product.output()}`)),
          complete: () => undefined,
        },
      );
    });
    await new Promise((r) => setTimeout(r, 500));
    const reprocess = await gql('mutation($id: ID!) { reprocessStudy(id: $id) { status } }', { id: studyId }, cookie);
    expect(reprocess.body.errors).toBeUndefined();
    await done;
    // Each event carries the study as the API reads it when the event arrives. The demo model analyzes 4 slices so
    // fast that the worker may be done before its PROCESSING event is read, so that state can be skipped; the
    // states seen never go backwards, and the last is DONE with the worker's prediction.
    const lifecycle = ['QUEUED', 'PROCESSING', 'DONE'];
    const steps = statuses.map((s) => lifecycle.indexOf(s));
    expect(statuses[0]).toBe('QUEUED');
    expect(statuses.at(-1)).toBe('DONE');
    expect(steps).toEqual([...steps].sort((a, b) => a - b));
  });
});
