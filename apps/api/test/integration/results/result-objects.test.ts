import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { LABELS, loadSlice } from '@ich/ml/node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createStudyEvents } from '../../../src/events/create-study-events.js';
import type { ClosableStudyEvents } from '../../../src/events/postgres-study-events.js';
import { enqueueStudyAnalysis } from '../../../src/queue/enqueue.js';
import { FINDING_CODES } from '../../../src/results/codes.js';
import { readNatural } from '../../../src/results/dicom-file.js';
import { generateResultObjects, sweepResultObjects } from '../../../src/results/generate.js';
import { listResultObjects } from '../../../src/results/list.js';
import { COMPREHENSIVE_SR, decimalString } from '../../../src/results/sr.js';
import { KEY_SLICE_BOX, keySliceGray, SECONDARY_CAPTURE, SUMMARY_WIDTH } from '../../../src/results/summary-image.js';
import { resultUid } from '../../../src/results/uids.js';
import { ContentStore } from '../../../src/storage/content-store.js';
import { resolveStored } from '../../../src/worker/analyze-study.js';
import type { InferenceWorker } from '../../../src/worker/worker.js';
import { createUser } from '../../factories/index.js';
import { storeSynthStudy } from '../../factories/stored-study.js';
import { PROVIDERS, startApi, type TestApi } from '../api/harness.js';
import { splitMultipart, tokenWith } from '../ingest/helpers.js';
import { buildTestModels, registerModel, startWorker, waitFor } from '../worker/worker-harness.js';

type Json = Record<string, { vr: string; Value?: unknown[] }>;

let models: Awaited<ReturnType<typeof buildTestModels>>;
let scratch: string;
beforeAll(async () => {
  models = await buildTestModels();
  scratch = await mkdtemp(path.join(tmpdir(), 'ich-results-int-'));
}, 180_000);
afterAll(async () => {
  await models?.cleanup();
  await rm(scratch, { recursive: true, force: true });
});

/**
 * The worker's real path: a stored synthetic study is analyzed, and right after the prediction commits the worker
 * writes its SR and summary image into the same study. They validate (dciodvfy), read as the prediction says
 * (dsrdump, dcmjs, pixels), are listed and served by the product's own QIDO-RS/WADO-RS, and regenerating them (a
 * retry, or the sweep after a crash between prediction and objects) creates nothing twice.
 */
describe.each(PROVIDERS)('result objects on %s', (provider) => {
  let t: TestApi;
  let events: ClosableStudyEvents;
  let worker: InferenceWorker;
  let reader = '';
  let store: ContentStore;

  beforeAll(async () => {
    t = await startApi(provider, {
      events: (db) => {
        events = createStudyEvents(db, { databaseUrl: db.url, pollMs: 50 });
        return events;
      },
    });
    await registerModel(t.prisma, provider, models.a);
    const admin = await createUser(t.prisma, { role: 'ADMIN' });
    reader = await tokenWith(t, await t.login(admin.user.email, admin.password), ['read:studies']);
    store = new ContentStore(t.storageDir);
    worker = startWorker(t.prisma, provider, t.databaseUrl, t.storageDir, events);
  }, 60_000);
  afterAll(async () => {
    await worker?.stop(2_000);
    await events?.close();
    await t?.close();
  });

  const queue = (studyId: string) => t.prisma.$transaction((tx) => enqueueStudyAnalysis(tx, studyId));
  const dicomweb = async (url: string, accept?: string) => {
    const r = await fetch(`${t.url}/dicom-web${url}`, {
      headers: { authorization: `Bearer ${reader}`, ...(accept ? { accept } : {}) },
    });
    return { status: r.status, type: r.headers.get('content-type') ?? '', body: Buffer.from(await r.arrayBuffer()) };
  };

  it('writes an SR and a summary image for a new prediction, valid and matching it, served over DICOMweb', async () => {
    const stored = await storeSynthStudy(t.prisma, t.storageDir, { slices: 8, size: 64, bleed: 'subdural' });
    await queue(stored.study.id);
    const prediction = await waitFor('the prediction', () =>
      t.prisma.studyPrediction.findFirst({
        where: { studyId: stored.study.id },
        include: { slices: { orderBy: { sliceIndex: 'asc' }, include: { instance: true } } },
      }),
    );
    await waitFor('both result objects', async () =>
      (await t.prisma.resultObject.count({ where: { studyPredictionId: prediction.id } })) === 2 ? true : null,
    );
    const objects = await listResultObjects(t.prisma, prediction.id);
    expect(objects.map((o) => o.kind)).toEqual(['SR', 'SC']);
    const [srRow, scRow] = objects as [(typeof objects)[number], (typeof objects)[number]];
    expect(srRow).toMatchObject({
      studyId: stored.study.id,
      sopInstanceUid: resultUid(prediction.id, 'SR', 'instance'),
      seriesInstanceUid: resultUid(prediction.id, 'SR', 'series'),
      instance: { sopClassUid: COMPREHENSIVE_SR },
    });
    expect(scRow).toMatchObject({
      sopInstanceUid: resultUid(prediction.id, 'SC', 'instance'),
      instance: { sopClassUid: SECONDARY_CAPTURE },
    });
    const series = await t.prisma.series.findMany({ where: { studyId: stored.study.id } });
    expect(series.map((s) => s.modality).sort()).toEqual(['CT', 'OT', 'SR']);

    const srBytes = await store.read(srRow.instance.storageKey);
    const scBytes = await store.read(scRow.instance.storageKey);
    const srFile = path.join(scratch, `${provider}-sr.dcm`);
    const scFile = path.join(scratch, `${provider}-sc.dcm`);
    await writeFile(srFile, srBytes);
    await writeFile(scFile, scBytes);
    for (const file of [srFile, scFile]) {
      const run = spawnSync('dciodvfy', [file], { encoding: 'utf8' });
      const out = `${run.stdout}${run.stderr}`;
      expect(
        out.split('\n').filter((l) => l.startsWith('Error')),
        out,
      ).toEqual([]);
    }

    // dsrdump's reading matches the stored prediction: every probability, the triage flag, the key slice.
    const text = execFileSync('dsrdump', ['+Pl', '+Pu', srFile], { encoding: 'utf8' });
    for (const label of LABELS) {
      expect(text).toContain(`(${FINDING_CODES[label].value},SCT,"${FINDING_CODES[label].meaning}")`);
      expect(text).toContain(`"Model probability")="${decimalString(prediction[label])}"`);
    }
    expect(text).toContain(
      `"Flagged for priority review")=(${prediction.triage ? '373066001,SCT,"Yes"' : '373067005,SCT,"No"'})`,
    );
    expect(text).toContain('NOT FOR CLINICAL USE');
    const maxAny = Math.max(...prediction.slices.map((s) => s.any));
    const key = prediction.slices.find((s) => s.any === maxAny)!;
    expect(text).toContain(key.instance.sopInstanceUid);

    // The summary image shows the key slice in the brain window.
    const loaded = await loadSlice(resolveStored(t.storageDir, key.instance.storageKey));
    if (!loaded.ok) throw new Error(loaded.error.message);
    const sc = readNatural(scBytes, false) as { PixelData: [ArrayBuffer]; StudyInstanceUID: string };
    expect(sc.StudyInstanceUID).toBe(stored.study.studyInstanceUid);
    const pixels = new Uint8Array(sc.PixelData[0]);
    let brain = 0;
    for (let y = 3; y < KEY_SLICE_BOX.size; y += 11)
      for (let x = 5; x < KEY_SLICE_BOX.size; x += 11) {
        const o = ((KEY_SLICE_BOX.y + y) * SUMMARY_WIDTH + KEY_SLICE_BOX.x + x) * 3;
        const want = keySliceGray(loaded.value, x, y);
        expect([pixels[o], pixels[o + 1], pixels[o + 2]]).toEqual([want, want, want]);
        if (want > 0) brain += 1;
      }
    expect(brain).toBeGreaterThan(100);

    // The product's own QIDO-RS lists the new series and instances; WADO-RS serves the stored bytes.
    const uid = stored.study.studyInstanceUid;
    const qido = JSON.parse((await dicomweb(`/studies/${uid}/series`)).body.toString()) as Json[];
    expect(qido.map((s) => s['0020000E']?.Value?.[0])).toEqual(
      expect.arrayContaining([srRow.seriesInstanceUid, scRow.seriesInstanceUid]),
    );
    expect(qido.find((s) => s['0020000E']?.Value?.[0] === srRow.seriesInstanceUid)?.['00080060']?.Value).toEqual([
      'SR',
    ]);
    for (const [row, bytes, sopClass] of [
      [srRow, srBytes, COMPREHENSIVE_SR],
      [scRow, scBytes, SECONDARY_CAPTURE],
    ] as const) {
      const base = `/studies/${uid}/series/${row.seriesInstanceUid}`;
      const listed = JSON.parse((await dicomweb(`${base}/instances`)).body.toString()) as Json[];
      expect(listed.map((i) => [i['00080018']?.Value?.[0], i['00080016']?.Value?.[0]])).toEqual([
        [row.sopInstanceUid, sopClass],
      ]);
      const wado = await dicomweb(
        `${base}/instances/${row.sopInstanceUid}`,
        'multipart/related; type="application/dicom"; transfer-syntax=*',
      );
      expect(wado.status).toBe(200);
      const parts = splitMultipart(wado.body, wado.type);
      expect(parts).toHaveLength(1);
      expect(parts[0]?.headers).toMatch(/application\/dicom/);
      expect(Buffer.compare(parts[0]?.data as Buffer, bytes)).toBe(0);
      // What a viewer asks next: the instance metadata (DICOM JSON).
      const metadata = await dicomweb(`${base}/instances/${row.sopInstanceUid}/metadata`, 'application/dicom+json');
      expect(metadata.status).toBe(200);
      const json = JSON.parse(metadata.body.toString()) as Json[];
      expect(json[0]?.['00080016']?.Value).toEqual([sopClass]);
    }
    // ... and the summary image's frame, decoded: the same RGB bytes as its pixel data.
    const frame = await dicomweb(
      `/studies/${uid}/series/${scRow.seriesInstanceUid}/instances/${scRow.sopInstanceUid}/frames/1`,
      'multipart/related; type="application/octet-stream"',
    );
    expect(frame.status).toBe(200);
    const frameParts = splitMultipart(frame.body, frame.type);
    expect(Buffer.compare(frameParts[0]?.data as Buffer, Buffer.from(pixels))).toBe(0);

    // Regenerating is a no-op: same rows, nothing new.
    const again = await generateResultObjects({ prisma: t.prisma, store, storageDir: t.storageDir }, prediction.id);
    expect(again.map((o) => o.id).sort()).toEqual(objects.map((o) => o.id).sort());
    expect(await t.prisma.instance.count({ where: { series: { studyId: stored.study.id } } })).toBe(8 + 2);
  });

  it('a prediction left without objects (worker died in between) is completed by the sweep, same UIDs, no duplicates', async () => {
    const stored = await storeSynthStudy(t.prisma, t.storageDir, { slices: 6, size: 64, bleed: 'none' });
    await queue(stored.study.id);
    const prediction = await waitFor('the prediction', () =>
      t.prisma.studyPrediction.findFirst({ where: { studyId: stored.study.id } }),
    );
    await waitFor('both result objects', async () =>
      (await t.prisma.resultObject.count({ where: { studyPredictionId: prediction.id } })) === 2 ? true : null,
    );
    const before = await listResultObjects(t.prisma, prediction.id);
    // The state a crash right after the prediction's commit leaves: no objects, no rows.
    await t.prisma.series.deleteMany({
      where: { seriesInstanceUid: { in: before.map((o) => o.seriesInstanceUid) } },
    });
    expect(await t.prisma.resultObject.count({ where: { studyPredictionId: prediction.id } })).toBe(0);
    const deps = { prisma: t.prisma, store, storageDir: t.storageDir };
    // Two sweeps at once (two workers after a restart): each object is recorded once.
    await Promise.all([sweepResultObjects(deps), sweepResultObjects(deps)]);
    const after = await listResultObjects(t.prisma, prediction.id);
    expect(after.map((o) => [o.kind, o.sopInstanceUid, o.seriesInstanceUid])).toEqual(
      before.map((o) => [o.kind, o.sopInstanceUid, o.seriesInstanceUid]),
    );
    expect(after.map((o) => o.instance.storageKey)).toEqual(before.map((o) => o.instance.storageKey));
    expect(await t.prisma.series.count({ where: { studyId: stored.study.id } })).toBe(3);

    // Analyzing the study again reads only its CT slices (not the SR and the image) and adds a second pair.
    await queue(stored.study.id);
    await waitFor('a second prediction with its objects', async () =>
      (await t.prisma.resultObject.count({ where: { studyId: stored.study.id } })) === 4 ? true : null,
    );
    const predictions = await t.prisma.studyPrediction.findMany({
      where: { studyId: stored.study.id },
      include: { _count: { select: { slices: true } } },
    });
    expect(predictions.map((p) => p._count.slices)).toEqual([6, 6]);
    expect(await t.prisma.series.count({ where: { studyId: stored.study.id } })).toBe(5);
  });
});
