import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningProduct, startProduct } from '../harness/product.js';

const ADMIN = { email: 'admin@address.test', password: 'address-admin-password' };
const LOGIN = 'mutation($e: String!, $p: String!) { login(email: $e, password: $p) { token } }';

interface Answer {
  data?: { login?: { token: string } | null; auditEvents?: { edges: Array<{ node: { ipAddress: string | null } }> } };
  errors?: Array<{ extensions?: { code?: string } }>;
}

/** POST /graphql through the web app, from a chosen loopback address (each one standing for a different machine). */
function viaWeb(
  product: RunningProduct,
  from: string,
  query: string,
  variables: Record<string, unknown>,
  headers: Record<string, string> = {},
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request(
      `${product.webUrl}/graphql`,
      { method: 'POST', localAddress: from, headers: { 'content-type': 'application/json', ...headers } },
      (res) => {
        let text = '';
        res.on('data', (d: Buffer) => (text += d.toString()));
        res.on('end', () => resolve(JSON.parse(text) as Answer));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(JSON.stringify({ query, variables }));
  });
}

// The whole chain as deployed: browser → Next.js proxy (:WEB_PORT) → API, both with the default TRUSTED_PROXIES.
describe('the client address through the web proxy', () => {
  let product: RunningProduct;
  beforeAll(async () => {
    product = await startProduct({ ICH_ADMIN_EMAIL: ADMIN.email, ICH_ADMIN_PASSWORD: ADMIN.password });
  });
  afterAll(async () => {
    await product?.stop();
  });

  it('throttles the machine that sent the failures, whatever X-Forwarded-For it claims', async () => {
    const outcomes: string[] = [];
    // DEFAULT_LOGIN_THROTTLE allows 30 failures per address; every attempt claims a different address, the last
    // ones the victim's.
    for (let i = 0; i < 32; i += 1) {
      const r = await viaWeb(
        product,
        '127.0.0.2',
        LOGIN,
        { e: `nobody${i}@address.test`, p: 'wrong' },
        {
          'x-forwarded-for': i < 28 ? `198.51.100.${i + 1}` : '127.0.0.3',
        },
      );
      outcomes.push(r.errors?.[0]?.extensions?.code ?? 'OK');
    }
    expect(outcomes.slice(0, 30)).toEqual(Array(30).fill('UNAUTHENTICATED'));
    expect(outcomes.slice(30)).toEqual(['RATE_LIMITED', 'RATE_LIMITED']);
    // The victim's machine is not locked out.
    const victim = await viaWeb(product, '127.0.0.3', LOGIN, { e: ADMIN.email, p: ADMIN.password });
    expect(victim.errors).toBeUndefined();
    expect(victim.data?.login?.token).toBeTruthy();
  });

  it('audits the address the proxy saw, never the one the client wrote', async () => {
    const forged = await viaWeb(
      product,
      '127.0.0.4',
      LOGIN,
      { e: ADMIN.email, p: ADMIN.password },
      {
        'x-forwarded-for': '<script>alert(1)</script>',
      },
    );
    const token = forged.data?.login?.token ?? '';
    expect(token).toBeTruthy();
    const events = await viaWeb(
      product,
      '127.0.0.4',
      '{ auditEvents(first: 1, filter: { action: "auth.login" }) { edges { node { ipAddress } } } }',
      {},
      { authorization: `Bearer ${token}` },
    );
    expect(events.errors).toBeUndefined();
    expect(events.data?.auditEvents?.edges.map((e) => e.node.ipAddress)).toEqual(['127.0.0.4']);
  });
});
