import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchBrowser } from '../harness/browser.js';
import { type RunningProduct, startProduct } from '../harness/product.js';
import { synthStudyFiles } from '../harness/synth.js';
import {
  apiLogin,
  canvasStats,
  createUser,
  firstAdminPassword,
  screenshot,
  scrollFrameTimes,
  seriousA11yViolations,
  signIn,
} from '../harness/web.js';

const ADMIN = 'upload.admin@hospital.test';
const SLICES = 40;

/** Waits for cornerstone to draw the given slice (1-based) after `act`, and returns how long that took. */
async function timedRender(page: Page, act: () => Promise<void>, slice: number): Promise<number> {
  const started = Date.now();
  await act();
  await page.waitForFunction(
    (n) => document.querySelector<HTMLElement>('[data-testid="viewport"]')?.dataset['renderedIndex'] === String(n - 1),
    slice,
  );
  return Date.now() - started;
}

describe('web: a synthetic study uploaded through the UI, analyzed live, read in the viewer', () => {
  let product: RunningProduct;
  let browser: Awaited<ReturnType<typeof launchBrowser>>;
  let studyDir: string;
  let files: string[];
  const clinician = { email: 'dr.upload@hospital.test', password: 'clinician password 3' };

  beforeAll(async () => {
    const synthDir = mkdtempSync(path.join(os.tmpdir(), 'ich-e2e-synth-'));
    ({ studyDir, files } = await synthStudyFiles(synthDir, {
      slices: SLICES,
      size: 512,
      seed: '7',
      bleed: 'subdural',
    }));
    writeFileSync(path.join(synthDir, 'notes.txt'), 'not a DICOM file');
    // A header that reads fine here but whose pixel data stops short: the server refuses it as TRUNCATED.
    const whole = readFileSync(files[0]!);
    writeFileSync(path.join(synthDir, 'truncated.dcm'), whole.subarray(0, whole.length - 1000));
    files.push(path.join(synthDir, 'truncated.dcm'));
    files.push(path.join(synthDir, 'notes.txt'));
    product = await startProduct({ ICH_ADMIN_EMAIL: ADMIN });
    browser = await launchBrowser();
    const token = await apiLogin(product, ADMIN, firstAdminPassword(product, ADMIN));
    await createUser(product, token, { email: clinician.email, name: 'Dr Upload', password: clinician.password });
  }, 240_000);

  afterAll(async () => {
    await browser?.close();
    await product?.stop();
    if (studyDir) rmSync(path.dirname(studyDir), { recursive: true, force: true });
  });

  it('uploads, shows the study live on an open worklist, and the viewer scrolls, windows and follows the track', async () => {
    const worklist = await browser.context.newPage();
    await worklist.setViewportSize({ width: 1280, height: 800 });
    await signIn(worklist, product, clinician.email, clinician.password);
    await worklist.getByText('No studies match these filters.').waitFor();
    await worklist.evaluate(() => {
      (window as unknown as { __noReload: boolean }).__noReload = true;
    });

    const upload = await browser.context.newPage();
    await upload.setViewportSize({ width: 1280, height: 800 });
    await signIn(upload, product, clinician.email, clinician.password, '/upload');
    expect(await seriousA11yViolations(upload)).toEqual([]);
    await upload.getByTestId('pick-files').setInputFiles(files);
    await upload.getByText('notes.txt: skipped, not a DICOM Part 10 file').waitFor();
    await upload.getByText(`${SLICES} accepted`).waitFor({ timeout: 60_000 });
    const rows = upload.getByTestId('upload-file-row');
    expect(await rows.count()).toBe(SLICES + 1);
    expect(await upload.locator('[data-testid="upload-file-row"][data-status="ACCEPTED"]').count()).toBe(SLICES);
    const broken = upload.locator('[data-testid="upload-file-row"][data-status="REJECTED"]');
    expect(await broken.count()).toBe(1);
    expect(await broken.textContent()).toMatch(/truncated\.dcm.*REJECTED TRUNCATED/);
    const link = upload.getByRole('link', { name: 'Open study' });
    const href = (await link.getAttribute('href'))!;
    const studyId = href.split('/').pop()!;
    await upload.getByTestId(`upload-status-${studyId}`).getByText('done').waitFor({ timeout: 120_000 });
    expect(await seriousA11yViolations(upload)).toEqual([]);
    await screenshot(upload, 'upload');

    // The open worklist got the study without a reload.
    const row = worklist.locator(`tr[data-study-id="${studyId}"]`);
    await row.getByText('done').waitFor({ timeout: 30_000 });
    expect(await worklist.evaluate(() => (window as unknown as { __noReload?: boolean }).__noReload)).toBe(true);
    // The synthetic subdural bleed (seed 7) is flagged; a new suspected bleed is announced and highlighted.
    await row.getByText('Suspected bleed').waitFor({ timeout: 30_000 });
    expect(await row.getAttribute('class')).toMatch(/row-new/);
    await worklist.getByRole('status').filter({ hasText: 'New suspected bleed' }).waitFor();
    expect(await seriousA11yViolations(worklist)).toEqual([]);
    await screenshot(worklist, 'worklist-live-arrival');

    await upload.close();
    // A page in a background tab gets one animation frame a second; the reader's tab is in front.
    await worklist.bringToFront();
    // Open it from the worklist and time the first image.
    await worklist.evaluate(() => performance.clearResourceTimings());
    const opened = Date.now();
    await row.click();
    await worklist.waitForFunction(
      () => document.querySelector<HTMLElement>('[data-testid="viewport"]')?.dataset['renderedIndex'] === '0',
      undefined,
      { timeout: 30_000 },
    );
    const firstImageMs = Date.now() - opened;
    const resources = await worklist.evaluate(() =>
      performance
        .getEntriesByType('resource')
        .map(
          (e) =>
            `${e.name.replace(location.origin, '').slice(0, 60)} ${Math.round(e.startTime)}+${Math.round(e.duration)}ms`,
        ),
    );
    console.log(`[e2e] first image after ${firstImageMs} ms; requests:\n${resources.join('\n')}`);
    const counter = worklist.getByTestId('slice-counter');
    expect(await counter.textContent()).toMatch(new RegExp(`^Slice 1 / ${SLICES}`));
    await worklist.waitForTimeout(100);
    const first = await canvasStats(worklist);
    await screenshot(worklist, 'viewer-first-image');
    console.log(`[e2e] first canvas ${JSON.stringify(first)}`);
    expect(first.width).toBeGreaterThan(0);

    // Scrolling changes the picture.
    const viewport = worklist.getByTestId('viewport');
    await viewport.focus();
    await worklist.waitForFunction(
      () => !document.querySelector('[data-testid="slice-counter"]')?.textContent?.includes('loading'),
      undefined,
      { timeout: 60_000 },
    );
    for (let i = 0; i < SLICES / 2 - 1; i++) await worklist.keyboard.press('ArrowDown');
    await worklist.waitForFunction(
      (n) => document.querySelector<HTMLElement>('[data-testid="viewport"]')?.dataset['renderedIndex'] === String(n),
      SLICES / 2 - 1,
    );
    await worklist.waitForTimeout(100);
    const middle = await canvasStats(worklist);
    expect(middle.hash).not.toBe(first.hash);
    expect(await counter.textContent()).toMatch(new RegExp(`^Slice ${SLICES / 2} / ${SLICES}`));

    // A window preset changes the pixels of the same slice.
    await worklist.getByRole('button', { name: /^Bone/ }).click();
    await worklist.waitForTimeout(200);
    const bone = await canvasStats(worklist);
    expect(bone.hash).not.toBe(middle.hash);
    expect(Math.abs(bone.mean - middle.mean)).toBeGreaterThan(1);
    await worklist.getByRole('button', { name: /^Brain/ }).click();

    // Clicking the track near the top jumps there: the counter and the image follow.
    const track = worklist.getByTestId('slice-track');
    const box = (await track.boundingBox())!;
    await worklist.mouse.click(box.x + box.width / 2, box.y + 8);
    await worklist.waitForFunction(
      () => document.querySelector<HTMLElement>('[data-testid="viewport"]')?.dataset['renderedIndex'] === '0',
    );
    await worklist.waitForTimeout(100);
    expect(await counter.textContent()).toMatch(/^Slice 1 \//);
    expect((await canvasStats(worklist)).hash).not.toBe(bone.hash);
    expect(await seriousA11yViolations(worklist)).toEqual([]);

    // Frame time while scrolling 40 slices (all prefetched), measured to cornerstone's draw.
    await viewport.focus();
    const frameTimes: number[] = [];
    for (let s = 2; s <= SLICES; s++)
      frameTimes.push(await timedRender(worklist, () => worklist.keyboard.press('ArrowDown'), s));
    const inPage = await scrollFrameTimes(worklist, SLICES - 1, 'ArrowUp');
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
    const result = {
      firstImageMs,
      scrollKeyViaCdpMsMedian: median(frameTimes),
      scrollInPageMsMedian: median(inPage),
      scrollInPageFps: 1000 / median(inPage),
    };
    console.log(`[e2e] viewer timings ${JSON.stringify(result)}`);
    await worklist.getByRole('button', { name: /^Subdural/ }).click();
    await screenshot(worklist, 'viewer-uploaded-study');
    expect(firstImageMs).toBeLessThan(5_000);
    await worklist.close();
  });
});
