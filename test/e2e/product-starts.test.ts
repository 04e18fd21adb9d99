import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchBrowser } from '../harness/browser.js';
import { startProduct, type RunningProduct } from '../harness/product.js';

describe('npm start on a fresh data folder', () => {
  let product: RunningProduct;
  let browser: Awaited<ReturnType<typeof launchBrowser>>;

  beforeAll(async () => {
    product = await startProduct({ ICH_ADMIN_EMAIL: 'first.admin@hospital.test' });
    browser = await launchBrowser();
  });

  afterAll(async () => {
    await browser?.close();
    await product?.stop();
  });

  it('serves the API health and readiness endpoints', async () => {
    const health = await fetch(`${product.apiUrl}/healthz`);
    expect(health.status).toBe(200);
    expect(await health.json()).toMatchObject({ status: 'ok' });
    const ready = await fetch(`${product.apiUrl}/readyz`);
    expect(await ready.json()).toEqual({ status: 'ready', database: 'ok' });
  });

  it('creates the first admin with a generated password printed once', () => {
    const lines = product.output().split('\n').filter((l) => l.includes('first.admin@hospital.test'));
    expect(lines.length).toBe(1);
    expect(lines[0]).toMatch(/password/i);
  });

  it('renders the web app in Chromium with the not-for-clinical-use notice', async () => {
    const page = await browser.context.newPage();
    const response = await page.goto(product.webUrl);
    expect(response?.status()).toBe(200);
    await expect(page.title()).resolves.toBe('ICH triage');
    expect(await page.getByRole('note').textContent()).toContain('Not for clinical use');
    await page.close();
  });

  it('proxies the API through the web origin so cookies stay first-party', async () => {
    const res = await fetch(`${product.webUrl}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: '{ __typename }' }),
    });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ data: { __typename: 'Query' } });
  });

  it('stops cleanly on SIGTERM', async () => {
    const code = await product.stop();
    expect(code).toBe(0);
  });
});
