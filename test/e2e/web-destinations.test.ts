import { createServer } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchBrowser } from '../harness/browser.js';
import { type RunningProduct, startProduct } from '../harness/product.js';
import { storeSyntheticStudy } from '../harness/seed.js';
import { apiLogin, gql, screenshot, seriousA11yViolations, signIn } from '../harness/web.js';

const ADMIN = 'pacs.admin@hospital.test';
const PASSWORD = 'e2e-destinations-password';

/** A 127.0.0.1 port nothing listens on: the PACS that is down. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/**
 * The admin Destinations page against `npm start`'s processes: an admin adds an auto-send destination, its
 * connection test reports the PACS unreachable, the worker's automatic send of a new analysis' results fails for
 * good (one attempt configured), and the page lists the failure with its error.
 */
describe('web: admin destinations', () => {
  let product: RunningProduct;
  let browser: Awaited<ReturnType<typeof launchBrowser>>;

  beforeAll(async () => {
    product = await startProduct({
      ICH_ADMIN_EMAIL: ADMIN,
      ICH_ADMIN_PASSWORD: PASSWORD,
      SEND_MAX_ATTEMPTS: '1',
      SEND_RETRY_BACKOFF_SECONDS: '0',
    });
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close();
    await product?.stop();
  });

  it('adds a destination, tests it, edits it, and shows a send that failed after its last attempt', async () => {
    const page = await browser.context.newPage();
    page.on('dialog', (d) => void d.accept());
    await page.setViewportSize({ width: 1280, height: 900 });
    await signIn(page, product, ADMIN, PASSWORD, '/admin/destinations');
    await page.getByRole('heading', { name: 'Destinations', level: 1 }).waitFor();

    const port = await closedPort();
    await page.getByLabel('Name', { exact: true }).fill('radiology-pacs');
    await page.getByLabel('Protocol').selectOption('DIMSE');
    await page.getByLabel('Host').fill('127.0.0.1');
    await page.getByLabel('Port').fill(String(port));
    await page.getByLabel('Called AE title').fill('PACS');
    await page.getByLabel('Send results automatically').check();
    await page.getByRole('button', { name: 'Add destination' }).click();
    const row = page.locator('tr[data-destination-name="radiology-pacs"]');
    await row.waitFor();
    expect(await row.textContent()).toContain(`PACS@127.0.0.1:${port}`);

    await row.getByRole('button', { name: 'Test connection' }).click();
    const message = page.getByTestId('message');
    await message.filter({ hasText: 'radiology-pacs:' }).waitFor();
    expect(await message.getAttribute('role')).toBe('alert');
    expect(await message.textContent()).toMatch(/ECONNREFUSED|refused/i);

    // A new analysis: its SR and summary image are queued to the destination and fail (the PACS is down).
    const token = await apiLogin(product, ADMIN, PASSWORD);
    const studyId = await storeSyntheticStudy(product, 'e2e-destinations');
    const reprocess = await gql(
      product,
      'mutation($id: ID!) { reprocessStudy(id: $id) { status } }',
      { id: studyId },
      token,
    );
    expect(reprocess.errors).toBeUndefined();
    const deadline = Date.now() + 90_000;
    for (;;) {
      const r = await gql<{ failedSends: Array<{ id: string }> }>(product, '{ failedSends { id } }', {}, token);
      if ((r.data?.failedSends.length ?? 0) >= 2) break;
      if (Date.now() > deadline) throw new Error(`no failed sends:\n${product.output().slice(-3000)}`);
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
    await page.reload();
    const failures = page.getByTestId('failed-sends');
    await failures.waitFor();
    expect(await failures.locator('tbody tr').count()).toBe(2);
    expect(await failures.textContent()).toContain('DESTINATION_UNREACHABLE');
    expect(await row.textContent()).toContain('0 / 0 / 0 / 2');
    expect(await seriousA11yViolations(page)).toEqual([]);
    await screenshot(page, 'admin-destinations');

    await row.getByRole('button', { name: 'Edit' }).click();
    await page.getByRole('heading', { name: 'Edit radiology-pacs' }).waitFor();
    await page.getByLabel('Name', { exact: true }).fill('radiology-pacs-2');
    await page.getByRole('button', { name: 'Save' }).click();
    await message.filter({ hasText: /radiology-pacs-2|error|:/ }).waitFor();
    expect(await message.textContent()).toBe('Saved radiology-pacs-2.');
    await page.locator('tr[data-destination-name="radiology-pacs-2"]').waitFor();
  }, 180_000);
});
