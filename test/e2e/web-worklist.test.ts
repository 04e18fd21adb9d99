import type { PrismaClient } from '@ich/prisma/sqlite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchBrowser } from '../harness/browser.js';
import { type RunningProduct, startProduct } from '../harness/product.js';
import { openProductDatabase, seedStudy } from '../harness/seed.js';
import { apiLogin, firstAdminPassword, gql, screenshot, seriousA11yViolations, signIn } from '../harness/web.js';

const ADMIN = 'worklist.admin@hospital.test';

describe('web: worklist, study page, track and review (seeded predictions)', () => {
  let product: RunningProduct;
  let browser: Awaited<ReturnType<typeof launchBrowser>>;
  let db: PrismaClient;
  const clinician = { email: 'dr.worklist@hospital.test', password: 'clinician password 2' };
  const ids: Record<string, string> = {};

  beforeAll(async () => {
    product = await startProduct({ ICH_ADMIN_EMAIL: ADMIN });
    browser = await launchBrowser();
    const token = await apiLogin(product, ADMIN, firstAdminPassword(product, ADMIN));
    await gql(
      product,
      'mutation($i: CreateUserInput!) { createUser(input: $i) { id } }',
      { i: { email: clinician.email, name: 'Dr Worklist', role: 'CLINICIAN', password: clinician.password } },
      token,
    );
    db = openProductDatabase(product);
    const hour = 3_600_000;
    ids['negative'] = (
      await seedStudy(db, {
        patientName: 'Early^Negative',
        accession: 'NEG001',
        receivedAt: new Date(Date.now() - 3 * hour),
      })
    ).id;
    ids['queued'] = (
      await seedStudy(db, {
        patientName: 'Waiting^Queued',
        accession: 'QUE001',
        predicted: false,
        receivedAt: new Date(Date.now() - 4 * hour),
      })
    ).id;
    ids['bleed'] = (
      await seedStudy(db, {
        patientName: 'Late^Bleed',
        accession: 'BLD001',
        labels: ['subdural', 'subarachnoid'],
        receivedAt: new Date(Date.now() - hour),
      })
    ).id;
  });

  afterAll(async () => {
    await db?.$disconnect();
    await browser?.close();
    await product?.stop();
  });

  const rowIds = async (page: import('playwright-core').Page) =>
    page.locator('table.worklist tbody tr').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-study-id')));

  it('lists suspected bleeds first, with status, flag and top subtypes, and is accessible', async () => {
    const page = await browser.context.newPage();
    await page.setViewportSize({ width: 1280, height: 800 });
    await signIn(page, product, clinician.email, clinician.password);
    await page.locator('table.worklist tbody tr').nth(2).waitFor();
    expect(await rowIds(page)).toEqual([ids['bleed'], ids['negative'], ids['queued']]);
    const first = page.locator('table.worklist tbody tr').first();
    const text = await first.textContent();
    expect(text).toContain('Late, Bleed');
    expect(text).toContain('BLD001');
    expect(text).toContain('Suspected bleed');
    expect(text).toMatch(/subarachnoid 88%, subdural 88%/);
    expect(await page.locator('table.worklist tbody tr').nth(2).textContent()).toContain('queued');
    expect(await seriousA11yViolations(page)).toEqual([]);
    await screenshot(page, 'worklist-1280x800');
    await page.setViewportSize({ width: 2560, height: 1440 });
    await screenshot(page, 'worklist-2560x1440');
    await page.close();
  });

  it('filters by search, subtype and status', async () => {
    const page = await browser.context.newPage();
    await signIn(page, product, clinician.email, clinician.password);
    await page.locator('table.worklist tbody tr').nth(2).waitFor();
    await page.getByLabel('Patient or accession').fill('NEG00');
    await expect.poll(() => rowIds(page)).toEqual([ids['negative']]);
    await page.getByLabel('Patient or accession').fill('');
    await page.getByLabel('Subtype').selectOption('SUBDURAL');
    await expect.poll(() => rowIds(page)).toEqual([ids['bleed']]);
    await page.getByLabel('Subtype').selectOption('');
    await page.getByLabel('Status').selectOption('QUEUED');
    await expect.poll(() => rowIds(page)).toEqual([ids['queued']]);
    await page.getByLabel('Status').selectOption('');
    await page.getByLabel('Subtype').selectOption('EPIDURAL');
    await page.getByText('No studies match these filters.').waitFor();
    await page.close();
  });

  it('opens a study with the keyboard, shows its track, jumps by clicking the track, and J/K step through the list', async () => {
    const page = await browser.context.newPage();
    await page.setViewportSize({ width: 1280, height: 800 });
    await signIn(page, product, clinician.email, clinician.password);
    await page.locator('table.worklist tbody tr').nth(2).waitFor();
    await page.locator('table.worklist tbody tr').first().focus();
    const focused = () => page.evaluate(() => document.activeElement?.getAttribute('data-study-id'));
    await page.keyboard.press('ArrowDown');
    await expect.poll(focused).toBe(ids['negative']);
    await page.keyboard.press('ArrowUp');
    await expect.poll(focused).toBe(ids['bleed']);
    await page.keyboard.press('Enter');
    await page.waitForURL(`${product.webUrl}/studies/${ids['bleed']}`);
    const track = page.getByTestId('slice-track');
    await track.waitFor();
    expect(await track.getAttribute('aria-valuemax')).toBe('24');
    // The card's status is what the page says about the model.
    const note = page.getByRole('note').filter({ hasText: 'Model' }).last();
    expect(await note.textContent()).toMatch(/trained on synthetic phantoms only.*Not for clinical use/);
    const box = (await track.boundingBox())!;
    await page.mouse.click(box.x + box.width / 2, box.y + box.height * 0.75);
    await expect.poll(() => track.getAttribute('aria-valuenow')).not.toBe('1');
    const jumped = Number(await track.getAttribute('aria-valuenow'));
    expect(jumped).toBeGreaterThan(14);
    expect(jumped).toBeLessThan(21);
    expect(await seriousA11yViolations(page)).toEqual([]);
    await screenshot(page, 'viewer-flagged-seeded');
    await page.locator('h1').click();
    expect(await page.evaluate(() => sessionStorage.getItem('ich.worklist.order'))).toContain(ids['negative']);
    await page.keyboard.press('j');
    await page.waitForURL(`${product.webUrl}/studies/${ids['negative']}`);
    // The study page has re-rendered for the new study before the next key.
    await page.getByRole('heading', { name: /Early, Negative/ }).waitFor();
    await page.keyboard.press('k');
    await page.waitForURL(`${product.webUrl}/studies/${ids['bleed']}`);
    await page.close();
  });

  it('records a review, lists it, and the worklist shows the study reviewed', async () => {
    const page = await browser.context.newPage();
    await signIn(page, product, clinician.email, clinician.password, `/studies/${ids['bleed']}`);
    await page.getByLabel('Agree', { exact: true }).check();
    await page.getByLabel('Comment (optional)').fill('Subdural along the left convexity.');
    await page.getByRole('button', { name: 'Submit review' }).click();
    await page.getByText('Review recorded.').waitFor();
    await page.locator('.reviews li').filter({ hasText: 'Subdural along the left convexity.' }).waitFor();
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Worklist' }).click();
    const row = page.locator(`tr[data-study-id="${ids['bleed']}"]`);
    await expect.poll(async () => (await row.locator('td').last().textContent()) ?? '').toBe('reviewed');
    await page.getByLabel('Reviewed').selectOption('no');
    await expect.poll(() => rowIds(page)).toEqual([ids['negative'], ids['queued']]);
    await page.close();
  });
});
