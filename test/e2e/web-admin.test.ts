import { readFileSync } from 'node:fs';
import type { PrismaClient } from '@ich/prisma/sqlite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchBrowser } from '../harness/browser.js';
import { type RunningProduct, startProduct } from '../harness/product.js';
import { openProductDatabase, seedStudy } from '../harness/seed.js';
import { firstAdminPassword, gql, screenshot, seriousA11yViolations, signIn } from '../harness/web.js';

const ADMIN = 'console.admin@hospital.test';

describe('web: the admin console', () => {
  let product: RunningProduct;
  let browser: Awaited<ReturnType<typeof launchBrowser>>;
  let db: PrismaClient;
  let adminPassword: string;
  let studyId: string;

  beforeAll(async () => {
    product = await startProduct({ ICH_ADMIN_EMAIL: ADMIN });
    browser = await launchBrowser();
    adminPassword = firstAdminPassword(product, ADMIN);
    db = openProductDatabase(product);
    studyId = (await seedStudy(db, { patientName: 'Audit^Target', accession: 'AUD001', labels: ['intraventricular'] }))
      .id;
  });

  afterAll(async () => {
    await db?.$disconnect();
    await browser?.close();
    await product?.stop();
  });

  it('creates a clinician, issues and revokes a token, and the audit log shows the clinician reading the study, chain verified', async () => {
    const page = await browser.context.newPage();
    page.on('dialog', (d) => void d.accept());
    await page.setViewportSize({ width: 1280, height: 800 });
    await signIn(page, product, ADMIN, adminPassword, '/admin/users');
    await page.getByLabel('Email', { exact: true }).fill('dr.new@hospital.test');
    await page.getByLabel('Name', { exact: true }).fill('Dr New');
    await page.getByLabel('Role', { exact: true }).selectOption('CLINICIAN');
    await page.getByLabel('Temporary password').fill('temporary password 1');
    await page.getByRole('button', { name: 'Create user' }).click();
    await page.getByRole('cell', { name: 'dr.new@hospital.test', exact: true }).waitFor();
    expect(await seriousA11yViolations(page)).toEqual([]);
    await screenshot(page, 'admin-users');

    // The clinician signs in elsewhere and opens the study.
    const other = await launchBrowser();
    try {
      const clinicianPage = await other.context.newPage();
      await signIn(clinicianPage, product, 'dr.new@hospital.test', 'temporary password 1', `/studies/${studyId}`);
      await clinicianPage.getByRole('heading', { name: /Audit, Target/ }).waitFor();
    } finally {
      await other.close();
    }

    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'API tokens' }).click();
    // Client-side navigation: wait for the new page before filling its form (the users page also has a "Name").
    await page.getByRole('heading', { name: 'API tokens', level: 1 }).waitFor();
    await page.getByLabel('Name', { exact: true }).fill('pacs-router');
    await page.getByLabel('write:uploads').check();
    await page.getByRole('button', { name: 'Create token' }).click();
    await page.locator('[data-testid="new-token"], p[role="alert"]').first().waitFor();
    expect(await page.locator('p[role="alert"]').allTextContents()).toEqual([]);
    const secret = await page.getByTestId('new-token').inputValue();
    expect(secret).toMatch(/^icht_/);
    // The token works for a script until it is revoked.
    expect((await gql(product, '{ studies(first: 1) { totalCount } }', {}, secret)).data).toEqual({
      studies: { totalCount: 1 },
    });
    expect(await seriousA11yViolations(page)).toEqual([]);
    await screenshot(page, 'admin-tokens');
    await page.getByRole('button', { name: 'Done' }).click();
    const row = page.locator('tr[data-token-name="pacs-router"]');
    await row.getByRole('button', { name: 'Revoke' }).click();
    await row.getByText(/^revoked/).waitFor();
    const after = await gql(product, '{ studies(first: 1) { totalCount } }', {}, secret);
    expect(after.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');

    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Audit log' }).click();
    await page.getByRole('heading', { name: 'Audit log', level: 1 }).waitFor();
    await page.getByTestId('chain-status').filter({ hasText: 'Chain verified' }).waitFor();
    await page.getByLabel('Study id').fill(studyId);
    await page.getByLabel('Action').fill('study.read');
    await page.getByRole('button', { name: 'Apply' }).click();
    const read = page.locator('tr[data-action="study.read"]').filter({ hasText: 'dr.new@hospital.test' });
    await read.first().waitFor();
    expect(await seriousA11yViolations(page)).toEqual([]);
    await screenshot(page, 'admin-audit');
    // The export follows the filter: the CSV button's request carries the study id.
    const [exportRequest] = await Promise.all([
      page.waitForRequest((r) => r.url().includes('/api/audit/export')),
      page.getByRole('button', { name: 'CSV', exact: true }).click(),
    ]);
    expect(exportRequest.url()).toContain(`studyId=${studyId}`);
    await page.close();
  });

  it('shows the model card, its status and metrics, and activates only after confirmation', async () => {
    const page = await browser.context.newPage();
    await signIn(page, product, ADMIN, adminPassword, '/admin/models');
    const card = page.locator('article.model').first();
    await card.waitFor();
    expect(await card.textContent()).toMatch(/trained on synthetic phantoms only.*Not for clinical use/);
    expect(await card.textContent()).toContain('Thresholds');
    expect(await seriousA11yViolations(page)).toEqual([]);
    await screenshot(page, 'admin-models');
    await page.close();
  });

  it('exports the audit log as CSV and FHIR through the web origin for the admin session', async () => {
    const context = (await launchBrowser()).context;
    try {
      const page = await context.newPage();
      await signIn(page, product, ADMIN, adminPassword, '/admin/audit');
      // The page's buttons download through fetch with the preflight header and save the blob.
      const saved = async (name: string): Promise<string> => {
        const [download] = await Promise.all([
          page.waitForEvent('download'),
          page.getByRole('button', { name, exact: true }).click(),
        ]);
        const path = await download.path();
        return readFileSync(path, 'utf8');
      };
      expect(await saved('CSV')).toMatch(/auth\.login/);
      expect(await saved('FHIR AuditEvent bundle')).toMatch(/AuditEvent/);
      // The same link followed with the cookie alone (what a cross-site page could make a browser do) is refused.
      const cookie = (await context.cookies()).find((c) => c.name === 'ich_session')!;
      const bare = await fetch(`${product.webUrl}/api/audit/export?format=csv`, {
        headers: { cookie: `ich_session=${cookie.value}` },
      });
      expect(bare.status).toBe(403);
    } finally {
      await context.close();
    }
  });
});
