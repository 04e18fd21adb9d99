import type { PrismaClient } from '@ich/prisma/sqlite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchBrowser } from '../harness/browser.js';
import { type RunningProduct, startProduct } from '../harness/product.js';
import { openProductDatabase, seedReview, seedStudy } from '../harness/seed.js';
import { firstAdminPassword, screenshot, seriousA11yViolations, signIn } from '../harness/web.js';

const ADMIN = 'monitor.admin@hospital.test';

/**
 * Reference intervals from Debian's python3-statsmodels, proportion_confint(x, n, method='wilson'):
 * 24 of 35 → (0.5202023638793081, 0.8144915532573418); 4 of 5 → (0.3755346297625252, 0.9637758913675698);
 * 24 of 25 → (0.8045593626380626, 0.9929037664980128).
 */
describe('web: accuracy in use on the admin model page', () => {
  let product: RunningProduct;
  let browser: Awaited<ReturnType<typeof launchBrowser>>;
  let db: PrismaClient;
  let adminPassword: string;

  beforeAll(async () => {
    product = await startProduct({ ICH_ADMIN_EMAIL: ADMIN });
    browser = await launchBrowser();
    adminPassword = firstAdminPassword(product, ADMIN);
    db = openProductDatabase(product);
    const admin = await db.user.findUniqueOrThrow({ where: { email: ADMIN } });
    // The demo card declares no targets; give the active version some, as a card written for a deployment would.
    const model = await db.modelVersion.findFirstOrThrow({ where: { active: true } });
    const card = JSON.parse(model.card) as Record<string, unknown>;
    await db.modelVersion.update({
      where: { id: model.id },
      data: { card: JSON.stringify({ ...card, targets: { sensitivity: 0.9, specificity: 0.8 } }) },
    });
    // Flagged: 24 agreed (TP), 1 disagreed (FP). Not flagged: 11 disagreed (FN), 4 agreed (TN). 2 not reviewed.
    const plan: Array<[boolean, 'AGREE' | 'DISAGREE' | null, number]> = [
      [true, 'AGREE', 24],
      [true, 'DISAGREE', 1],
      [false, 'DISAGREE', 11],
      [false, 'AGREE', 4],
      [true, null, 1],
      [false, null, 1],
    ];
    let n = 0;
    for (const [flagged, verdict, count] of plan) {
      for (let i = 0; i < count; i += 1) {
        n += 1;
        const study = await seedStudy(db, {
          patientName: `Monitor^Case${n}`,
          accession: `MON${String(n).padStart(3, '0')}`,
          labels: flagged ? ['subdural'] : [],
          slices: 1,
        });
        if (verdict) await seedReview(db, { studyId: study.id, reviewerId: admin.id, verdict });
      }
    }
  }, 180_000);

  afterAll(async () => {
    await db?.$disconnect();
    await browser?.close();
    await product?.stop();
  });

  it('shows the computed figures with intervals, the unreviewed count and the alert, audited once', async () => {
    const page = await browser.context.newPage();
    await page.setViewportSize({ width: 1280, height: 900 });
    await signIn(page, product, ADMIN, adminPassword, '/admin/models');
    const section = page.getByTestId('model-performance').first();
    await section.getByTestId('reviewed-count').waitFor();
    expect(await section.getByTestId('reviewed-count').textContent()).toBe('40');
    expect(await section.getByTestId('unreviewed-count').textContent()).toBe('2');

    const row = (metric: string) => section.locator(`tr[data-metric="${metric}"]`);
    expect(await row('Sensitivity').locator('td').first().textContent()).toBe('24 of 35');
    expect(await row('Sensitivity').getByTestId('estimate').textContent()).toBe('68.6%');
    expect(await row('Sensitivity').getByTestId('interval').textContent()).toBe('52.0% – 81.4%');
    expect(await row('Specificity').locator('td').first().textContent()).toBe('4 of 5');
    expect(await row('Specificity').getByTestId('interval').textContent()).toBe('37.6% – 96.4%');
    expect(await row('PPV').locator('td').first().textContent()).toBe('24 of 25');
    expect(await row('PPV').getByTestId('interval').textContent()).toBe('80.5% – 99.3%');

    // The drawn interval spans the computed bounds on the 0–100 % track (220 px wide, 6 px padding).
    const rect = row('Sensitivity').getByTestId('interval-rect');
    const x = Number(await rect.getAttribute('x'));
    const width = Number(await rect.getAttribute('width'));
    expect(x).toBeCloseTo(6 + 0.5202023638793081 * 208, 3);
    expect(x + width).toBeCloseTo(6 + 0.8144915532573418 * 208, 3);
    expect(Number(await row('Sensitivity').getByTestId('target-mark').getAttribute('x1'))).toBeCloseTo(
      6 + 0.9 * 208,
      3,
    );

    // 35 positives reached the 35 reviews a 0.9 target needs; 52.0 % < 90 %: the alert fires. Specificity's 5 are fewer than the 16 a 0.8 target needs.
    const alert = section.getByTestId('accuracy-alert');
    expect(await alert.count()).toBe(1);
    expect(await alert.textContent()).toMatch(/Sensitivity below target.*52\.0%.*90\.0%.*24 of 35/);
    expect(await section.textContent()).toContain('Specificity: alert not armed yet: 5 of the 16 reviews needed');
    expect(await seriousA11yViolations(page)).toEqual([]);
    await screenshot(page, 'admin-model-performance');

    // A narrower window: the last 30 days hold the same seeded studies.
    const alertWindow = await section.getByTestId('window-span').textContent();
    await section.getByLabel('Window').selectOption('30');
    await expect
      .poll(() => section.getByTestId('window-span').textContent(), { timeout: 15_000 })
      .not.toBe(alertWindow);
    expect(await section.getByTestId('reviewed-count').textContent()).toBe('40');
    expect(await row('Sensitivity').getByTestId('interval').textContent()).toBe('52.0% – 81.4%');

    // Opening the page again does not audit the start a second time.
    await page.reload();
    await page.getByTestId('model-performance').first().getByTestId('reviewed-count').waitFor();
    const starts = await db.auditEvent.findMany({ where: { action: 'model.alert.start' } });
    expect(starts).toHaveLength(1);
    expect(JSON.parse(starts[0]!.details)).toMatchObject({ metric: 'sensitivity', successes: 24, total: 35 });
    await page.close();
  });
});
