import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchBrowser } from '../harness/browser.js';
import { type RunningProduct, startProduct } from '../harness/product.js';

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
    const lines = product
      .output()
      .split('\n')
      .filter((l) => l.includes('first.admin@hospital.test'));
    expect(lines.length).toBe(1);
    expect(lines[0]).toMatch(/password/i);
  });

  it('renders the web app in Chromium: login first, then the notice taken from the active model card', async () => {
    const page = await browser.context.newPage();
    const response = await page.goto(product.webUrl);
    expect(response?.status()).toBe(200);
    await expect(page.title()).resolves.toBe('ICH triage');
    await page.waitForURL(/\/login$/);
    const password = /created first admin first\.admin@hospital\.test with password (\S+)/.exec(product.output())?.[1];
    await page.getByLabel('Email').fill('first.admin@hospital.test');
    await page.getByLabel('Password').fill(password ?? '');
    await page.getByRole('button', { name: 'Sign in' }).click();
    const note = page.getByRole('note').filter({ hasText: 'Model' });
    await note.waitFor();
    const text = await note.textContent();
    // A fresh installation runs the shipped demo model: its card says what it learned and that it is not for
    // clinical use.
    expect(text).toContain('Not for clinical use');
    expect(text).toMatch(/trained on synthetic phantoms only/);
    expect(text).toMatch(/Training data: synthetic phantoms from ich-ml synth/);
    expect(text).not.toMatch(/untrained/);
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

  it('installs, registers and activates the shipped demo model, which an admin sees through the web origin', async () => {
    const password = /created first admin first\.admin@hospital\.test with password (\S+)/.exec(product.output())?.[1];
    expect(password).toBeTruthy();
    const gql = async (query: string, variables: Record<string, unknown>, token?: string) => {
      const res = await fetch(`${product.webUrl}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
        body: JSON.stringify({ query, variables }),
      });
      return (await res.json()) as { data?: Record<string, unknown> | null; errors?: unknown[] };
    };
    const login = await gql(
      'mutation($e: String!, $p: String!) { login(email: $e, password: $p) { token user { role } } }',
      { e: 'first.admin@hospital.test', p: password },
    );
    const { token, user } = (login.data?.login ?? {}) as { token?: string; user?: { role: string } };
    expect(user?.role).toBe('ADMIN');
    const models = await gql('{ activeModel { name version active card } }', {}, token);
    const active = models.data?.activeModel as { version: string; active: boolean; card: string } | null;
    expect(active?.active).toBe(true);
    expect(active?.version).toMatch(/demo/);
    const card = JSON.parse(active?.card ?? '{}') as Record<string, unknown>;
    expect(card).toMatchObject({ status: 'trained', files: { onnx: 'model.onnx' } });
    expect(card['trainingData']).toMatch(/^synthetic phantoms from ich-ml synth/);
    expect(card['intendedUse']).toMatch(/Not for clinical use/);
    expect(product.output()).toMatch(/installing the shipped ich-inception-v3-demo/);
    expect(product.output()).not.toMatch(/UNTRAINED/);
  });

  it('stops cleanly on SIGTERM', async () => {
    const code = await product.stop();
    expect(code).toBe(0);
  });
});
