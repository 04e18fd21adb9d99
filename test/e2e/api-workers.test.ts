import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningProduct, startProduct } from '../harness/product.js';

describe('API_WORKERS=2: the API as several processes sharing one port', () => {
  let product: RunningProduct;

  beforeAll(async () => {
    product = await startProduct({
      API_WORKERS: '2',
      ICH_ADMIN_EMAIL: 'admin@cluster.test',
      ICH_ADMIN_PASSWORD: 'cluster-admin-password',
    });
  });

  afterAll(async () => {
    await product?.stop();
  });

  it('migrates and bootstraps once, then starts two workers', async () => {
    // Workers log once listening; the product counts as up when the first answers, so give the second a moment.
    for (let i = 0; i < 40 && (product.output().match(/\[api\] worker \d+ on /g) ?? []).length < 2; i += 1)
      await new Promise((r) => setTimeout(r, 250));
    const out = product.output();
    expect(out.match(/\[api\] worker \d+ on /g)).toHaveLength(2);
    expect(out.match(/created first admin/g)).toHaveLength(1);
    expect(out.match(/applied sqlite migration/g)?.length).toBeGreaterThan(0);
  });

  it('serves sessions created by one worker on the other (state lives in the database)', async () => {
    const gql = async (query: string, token?: string) => {
      const res = await fetch(`${product.apiUrl}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
        body: JSON.stringify({ query }),
      });
      return (await res.json()) as { data?: Record<string, { email?: string; token?: string } | null> };
    };
    const login = await gql(
      'mutation { login(email: "admin@cluster.test", password: "cluster-admin-password") { token } }',
    );
    const token = login.data?.login?.token;
    expect(token).toBeTruthy();
    // New connections are spread over the workers; every one of them must accept the session.
    const emails = await Promise.all(
      Array.from({ length: 8 }, async () => (await gql('{ me { email } }', token)).data?.me?.email),
    );
    expect(emails).toEqual(Array(8).fill('admin@cluster.test'));
  });

  it('stops every worker cleanly on SIGTERM', async () => {
    expect(await product.stop()).toBe(0);
    expect(product.output().match(/SIGTERM received, shutting down/g)).toHaveLength(2);
  });
});
