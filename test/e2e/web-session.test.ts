import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchBrowser } from '../harness/browser.js';
import { type RunningProduct, startProduct } from '../harness/product.js';
import { openProductDatabase, seedStudy } from '../harness/seed.js';
import {
  apiLogin,
  createUser,
  firstAdminPassword,
  gql,
  screenshot,
  seriousA11yViolations,
  signIn,
} from '../harness/web.js';

const ADMIN = 'session.admin@hospital.test';

describe('web: sign-in, sessions, roles and headers', () => {
  let product: RunningProduct;
  let browser: Awaited<ReturnType<typeof launchBrowser>>;
  let adminPassword: string;
  let clinician: { email: string; password: string };
  let studyId: string;

  beforeAll(async () => {
    product = await startProduct({ ICH_ADMIN_EMAIL: ADMIN });
    browser = await launchBrowser();
    adminPassword = firstAdminPassword(product, ADMIN);
    const token = await apiLogin(product, ADMIN, adminPassword);
    clinician = { email: 'dr.session@hospital.test', password: 'clinician password 1' };
    await createUser(product, token, { email: clinician.email, name: 'Dr Session', password: clinician.password });
    const db = openProductDatabase(product);
    studyId = (await seedStudy(db, { patientName: 'Session^Pat', accession: 'SESS1', labels: ['subdural'] })).id;
    await db.$disconnect();
  });

  afterAll(async () => {
    await browser?.close();
    await product?.stop();
  });

  it('sends a visitor to the login page, then back where they were going', async () => {
    const page = await browser.context.newPage();
    await page.goto(`${product.webUrl}/studies/${studyId}`);
    await page.waitForURL(/\/login\?next=/);
    await page.getByLabel('Email').waitFor();
    expect(await seriousA11yViolations(page)).toEqual([]);
    await screenshot(page, 'login');
    await page.getByLabel('Email').fill(clinician.email);
    await page.getByLabel('Password').fill('wrong password here');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('alert').filter({ hasText: 'Wrong email or password' }).waitFor();
    await page.getByLabel('Password').fill(clinician.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(`${product.webUrl}/studies/${studyId}`);
    await page.getByRole('heading', { name: /Session, Pat/ }).waitFor();
    await page.close();
  });

  it('refuses an open redirect after login', async () => {
    const page = await browser.context.newPage();
    await page.goto(`${product.webUrl}/login?next=${encodeURIComponent('//evil.example/x')}`);
    await page.getByLabel('Email').fill(clinician.email);
    await page.getByLabel('Password').fill(clinician.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(`${product.webUrl}/`);
    await page.close();
  });

  it('returns to login when the session ends, and to the same page after signing in again', async () => {
    const context = (await launchBrowser()).context;
    try {
      const page = await context.newPage();
      await signIn(page, product, ADMIN, adminPassword, '/admin/users');
      // The session is revoked elsewhere (as when it expires): the next request fails UNAUTHENTICATED.
      const cookie = (await context.cookies()).find((c) => c.name === 'ich_session');
      expect(cookie?.httpOnly).toBe(true);
      await gql(product, 'mutation { logout }', {}, cookie?.value);
      await page.getByRole('link', { name: 'API tokens' }).click();
      await page.waitForURL(/\/login\?next=%2Fadmin%2Ftokens/);
      await page.getByLabel('Email').fill(ADMIN);
      await page.getByLabel('Password').fill(adminPassword);
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.waitForURL(`${product.webUrl}/admin/tokens`);
      await page.getByRole('heading', { name: 'API tokens', level: 1 }).waitFor();
    } finally {
      await context.close();
    }
  });

  it('shows a clinician only clinical navigation, refuses admin pages, and the API refuses admin operations', async () => {
    const context = (await launchBrowser()).context;
    try {
      const page = await context.newPage();
      await signIn(page, product, clinician.email, clinician.password);
      const nav = page.getByRole('navigation', { name: 'Main' });
      expect(await nav.getByRole('link').allTextContents()).toEqual(['Worklist', 'Upload']);
      await page.goto(`${product.webUrl}/admin/users`);
      await page.getByRole('alert').filter({ hasText: 'for admins only' }).waitFor();
      expect(await page.getByRole('table').count()).toBe(0);
      const cookie = (await context.cookies()).find((c) => c.name === 'ich_session');
      const users = await gql(product, '{ users { id } }', {}, cookie?.value);
      expect(users.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
      const tokens = await gql(
        product,
        'mutation { createApiToken(input: { name: "x", scopes: ["admin"] }) { token } }',
        {},
        cookie?.value,
      );
      expect(tokens.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    } finally {
      await context.close();
    }
  });

  it('asks the first admin to replace the generated password, and stops asking once they have', async () => {
    const context = (await launchBrowser()).context;
    try {
      const page = await context.newPage();
      await signIn(page, product, ADMIN, adminPassword);
      await page.getByText('Your password was set by someone else').waitFor();
      await page.getByRole('link', { name: 'Choose your own password' }).click();
      await page.waitForURL(`${product.webUrl}/account`);
      expect(await seriousA11yViolations(page)).toEqual([]);
      const next = 'the admin own passphrase';
      await page.getByLabel('Current password').fill(adminPassword);
      await page.getByLabel('New password (at least 12 characters)').fill(next);
      await page.getByLabel('New password again').fill(next);
      await page.getByRole('button', { name: 'Change password' }).click();
      await page.getByText('Password changed').waitFor();
      await page.goto(`${product.webUrl}/`);
      await page.getByRole('heading', { name: 'Worklist' }).waitFor();
      expect(await page.getByText('Your password was set by someone else').count()).toBe(0);
      adminPassword = next;
      await apiLogin(product, ADMIN, next);
    } finally {
      await context.close();
    }
  });

  it('sends security headers on every page and loads nothing from other origins', async () => {
    for (const pathname of ['/login', '/', '/admin/users', `/studies/${studyId}`, '/upload']) {
      const res = await fetch(`${product.webUrl}${pathname}`);
      expect(res.status, pathname).toBe(200);
      const csp = res.headers.get('content-security-policy') ?? '';
      expect(csp, pathname).toMatch(/default-src 'self'/);
      expect(csp, pathname).toMatch(/frame-ancestors 'none'/);
      expect(csp, pathname).toMatch(/script-src 'self' 'nonce-[^']+'/);
      expect(csp, pathname).not.toMatch(/unsafe-eval/);
      expect(res.headers.get('x-content-type-options')).toBe('nosniff');
      expect(res.headers.get('referrer-policy')).toBe('no-referrer');
      const html = await res.text();
      expect(html).not.toMatch(/(src|href)="https?:\/\//);
    }
    const page = await browser.context.newPage();
    const foreign: string[] = [];
    const violations: string[] = [];
    page.on('request', (r) => {
      if (!r.url().startsWith(product.webUrl) && !r.url().startsWith('data:')) foreign.push(r.url());
    });
    page.on('console', (m) => {
      if (/Content Security Policy/i.test(m.text())) violations.push(m.text());
    });
    await signIn(page, product, clinician.email, clinician.password);
    await page.goto(`${product.webUrl}/studies/${studyId}`);
    await page.getByRole('heading', { name: /Session, Pat/ }).waitFor();
    expect(foreign).toEqual([]);
    expect(violations).toEqual([]);
    await page.close();
  });
});
