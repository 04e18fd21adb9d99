import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchBrowser } from '../harness/browser.js';
import { type RunningProduct, startProduct } from '../harness/product.js';
import { openProductDatabase, seedManyStudies } from '../harness/seed.js';
import { synthStudyFiles } from '../harness/synth.js';
import { ARTIFACTS, apiLogin, firstAdminPassword, gql, scrollFrameTimes, signIn } from '../harness/web.js';

const ADMIN = 'scale.admin@hospital.test';
const STUDIES = 10_000;
const SLICES = 40;
const RUNS = 5;

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function rendered(page: Page, index: number) {
  await page.waitForFunction(
    (n) => document.querySelector<HTMLElement>('[data-testid="viewport"]')?.dataset['renderedIndex'] === String(n),
    index,
    { timeout: 30_000 },
  );
}

/**
 * Measurements, not pass/fail benchmarks: with 10,000 studies in the database, how long the worklist takes to show its
 * first rows, how long the viewer takes to show a 40-slice 512² study's first image, and the time from a key press to
 * cornerstone's draw while scrolling all 40 slices. Medians of several runs; written to test/artifacts/web-scale.json.
 */
describe('web at 10,000 studies', () => {
  let product: RunningProduct;
  let browser: Awaited<ReturnType<typeof launchBrowser>>;
  let studyId: string;
  let synthDir: string;
  const results: Record<string, unknown> = { studies: STUDIES, slices: SLICES, runs: RUNS };

  beforeAll(async () => {
    product = await startProduct({ ICH_ADMIN_EMAIL: ADMIN });
    browser = await launchBrowser();
    const db = openProductDatabase(product);
    const t0 = Date.now();
    await seedManyStudies(db, STUDIES);
    results['seedMs'] = Date.now() - t0;
    await db.$disconnect();
    synthDir = mkdtempSync(path.join(os.tmpdir(), 'ich-e2e-scale-'));
    const { files: synthFiles } = await synthStudyFiles(synthDir, { slices: SLICES, size: 512, bleed: 'subdural' });
    const token = await apiLogin(product, ADMIN, firstAdminPassword(product, ADMIN));
    const form = new FormData();
    for (const f of synthFiles) form.append('files', new Blob([readFileSync(f)]), path.basename(f));
    const res = await fetch(`${product.webUrl}/api/uploads`, {
      method: 'POST',
      body: form,
      headers: { authorization: `Bearer ${token}` },
    });
    studyId = ((await res.json()) as { studies: { id: string }[] }).studies[0]!.id;
    for (let i = 0; i < 120; i++) {
      const r = await gql<{ study: { status: string } }>(
        product,
        'query($id: ID!) { study(id: $id) { status } }',
        { id: studyId },
        token,
      );
      if (r.data?.study.status === 'DONE') break;
      await new Promise((resolve) => setTimeout(resolve, 1000));
    }
  }, 600_000);

  afterAll(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    writeFileSync(path.join(ARTIFACTS, 'web-scale.json'), `${JSON.stringify(results, null, 2)}\n`);
    console.log(`[e2e] web at ${STUDIES} studies: ${JSON.stringify(results)}`);
    await browser?.close();
    await product?.stop();
    if (synthDir) rmSync(synthDir, { recursive: true, force: true });
  });

  it('measures the worklist first render', async () => {
    const page = await browser.context.newPage();
    await signIn(page, product, ADMIN, firstAdminPassword(product, ADMIN));
    const times: number[] = [];
    for (let run = 0; run < RUNS; run++) {
      const t0 = Date.now();
      await page.goto(`${product.webUrl}/`);
      await page.locator('table.worklist tbody tr').nth(49).waitFor();
      times.push(Date.now() - t0);
    }
    expect(await page.getByText(`${STUDIES + 1} studies`).count()).toBe(1);
    results['worklistFirstRenderMs'] = { median: median(times), all: times };
    await page.close();
  });

  it('measures the viewer first image and the frame time scrolling 40 slices', async () => {
    const page = await browser.context.newPage();
    await page.setViewportSize({ width: 1280, height: 800 });
    await signIn(page, product, ADMIN, firstAdminPassword(product, ADMIN));
    const first: number[] = [];
    const frames: number[] = [];
    for (let run = 0; run < RUNS; run++) {
      // A full page load each run: nothing cached in the page (the browser's HTTP cache is not used for frames).
      const t0 = Date.now();
      await page.goto(`${product.webUrl}/studies/${studyId}`);
      await rendered(page, 0);
      first.push(Date.now() - t0);
      await page.waitForFunction(
        () => !document.querySelector('[data-testid="slice-counter"]')?.textContent?.includes('loading'),
        undefined,
        { timeout: 60_000 },
      );
      const times = await scrollFrameTimes(page, SLICES - 1, 'ArrowDown');
      frames.push(...times);
    }
    results['viewerFirstImageMs'] = { median: median(first), all: first };
    results['scrollFrameMs'] = {
      median: median(frames),
      p95: [...frames].sort((a, b) => a - b)[Math.floor(frames.length * 0.95)],
    };
    results['scrollFps'] = 1000 / median(frames);
    await page.close();
  });
});
