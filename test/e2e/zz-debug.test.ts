import { it } from 'vitest';
import { launchBrowser } from '../harness/browser.js';
import { startProduct } from '../harness/product.js';
import { firstAdminPassword, screenshot } from '../harness/web.js';

it('debug', async () => {
  const product = await startProduct({ ICH_ADMIN_EMAIL: 'a@hospital.test' });
  const browser = await launchBrowser();
  try {
    const page = await browser.context.newPage();
    page.on('console', (m) => console.log('CONSOLE', m.type(), m.text()));
    page.on('pageerror', (e) => console.log('PAGEERROR', e.message));
    page.on('response', (r) => console.log('RESP', r.status(), r.url()));
    await page.goto(`${product.webUrl}/`);
    await page.waitForTimeout(3000);
    console.log('URL', page.url());
    await screenshot(page, 'debug1');
    await page.getByLabel('Email').fill('a@hospital.test');
    await page.getByLabel('Password').fill(firstAdminPassword(product, 'a@hospital.test'));
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForTimeout(5000);
    console.log('URL', page.url());
    console.log((await page.content()).slice(0, 3000));
    await screenshot(page, 'debug2');
  } finally {
    await browser.close();
    await product.stop();
  }
}, 120000);
