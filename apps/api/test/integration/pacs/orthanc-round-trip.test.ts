import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { initModel, synthStudy } from '@ich/ml/node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuditLog } from '../../../src/audit/audit-log.js';
import { loadSecretKey } from '../../../src/auth/secret-box.js';
import { SendQueue } from '../../../src/destinations/send-queue.js';
import { ResultSender } from '../../../src/destinations/sender.js';
import { JobQueue } from '../../../src/queue/job-queue.js';
import { pollingWakeup, postgresWakeup, SEND_CHANNEL } from '../../../src/queue/wakeup.js';
import { FINDING_CODES } from '../../../src/results/codes.js';
import { readNatural } from '../../../src/results/dicom-file.js';
import { decimalString } from '../../../src/results/sr.js';
import { ActiveModel } from '../../../src/worker/active-model.js';
import { resolveStored } from '../../../src/worker/analyze-study.js';
import { InferenceWorker } from '../../../src/worker/worker.js';
import { createUser } from '../../factories/index.js';
import { PROVIDERS, startApi, type TestApi } from '../api/harness.js';
import { tokenWith } from '../ingest/helpers.js';
import { FAST_SETTINGS, registerModel, waitFor } from '../worker/worker-harness.js';
import { orthancUnavailable } from './orthanc.js';
import { type RoutedOrthanc, startRoutedOrthanc } from './orthanc-routing.js';

const unavailable = orthancUnavailable();
const SLICES = 8;
const LABELS = ['any', 'epidural', 'intraparenchymal', 'intraventricular', 'subarachnoid', 'subdural'] as const;

interface OrthancSeries {
  ID: string;
  MainDicomTags: { Modality: string; SeriesInstanceUID: string };
  Instances: string[];
}

/** A data set as JSON for comparison: no file meta, pixel data as its hash. */
function comparable(bytes: Uint8Array): string {
  const all = readNatural(bytes, false) as Record<string, unknown>;
  const pixels = all['PixelData'] as ArrayBuffer[] | undefined;
  const { PixelData: _, _meta: __, ...rest } = all;
  const digest = pixels
    ? createHash('sha256')
        .update(new Uint8Array(pixels[0] as ArrayBuffer))
        .digest('hex')
    : null;
  return JSON.stringify({ ...rest, pixels: digest });
}

let modelDir = '';
beforeAll(async () => {
  modelDir = await mkdtemp(path.join(tmpdir(), 'ich-round-trip-model-'));
  if (unavailable === null) await initModel({ out: modelDir, inputSize: 75, seed: 11, onnx: true });
}, 180_000);
afterAll(async () => {
  await rm(modelDir, { recursive: true, force: true });
});

/**
 * The whole loop with a hospital's Orthanc configured by the shipped deploy/orthanc files: a CT study stored into
 * Orthanc is forwarded by its Lua script over STOW-RS (the product's API token as Basic password), ingested,
 * analysed by the worker, and the result objects (SR + summary image) are sent back by the auto-send destination,
 * over STOW-RS to Orthanc's /dicom-web or C-STORE to its DICOM port.
 */
describe.skipIf(unavailable !== null)(
  `Orthanc round trip (shipped routing config)${unavailable ? ` — skipped: ${unavailable}` : ''}`,
  () => {
    describe.each(PROVIDERS)('on %s', (provider) => {
      let t: TestApi;
      let orthanc: RoutedOrthanc;
      let worker: InferenceWorker;
      let sender: ResultSender;
      let admin = '';
      const timings: Record<string, number> = {};

      beforeAll(async () => {
        t = await startApi(provider, { env: { STABLE_SECONDS: '0.5' } });
        await registerModel(t.prisma, provider, modelDir);
        const a = await createUser(t.prisma, { role: 'ADMIN' });
        admin = await t.login(a.user.email, a.password);
        const token = await tokenWith(t, admin, ['write:uploads', 'read:studies']);
        orthanc = await startRoutedOrthanc({ productDicomWebUrl: `${t.url}/dicom-web`, productToken: token });
        const audit = new AuditLog(t.prisma, provider);
        worker = new InferenceWorker({
          prisma: t.prisma,
          queue: new JobQueue(t.prisma, provider, FAST_SETTINGS),
          wakeup: provider === 'postgresql' ? postgresWakeup(t.databaseUrl) : pollingWakeup(),
          model: new ActiveModel(t.prisma, 'onnx'),
          events: t.api.events,
          audit,
          storageDir: t.storageDir,
          settings: FAST_SETTINGS,
          autoSend: { maxAttempts: 3 },
        });
        sender = new ResultSender({
          prisma: t.prisma,
          queue: new SendQueue(t.prisma, provider, { leaseMs: 5_000, retryBackoffMs: 200 }),
          wakeup: provider === 'postgresql' ? postgresWakeup(t.databaseUrl, () => {}, SEND_CHANNEL) : pollingWakeup(),
          audit,
          storageDir: t.storageDir,
          secretKey: loadSecretKey(t.config.destinationKeyFile),
          settings: { concurrency: 2, leaseMs: 5_000, pollMs: 50, timeoutMs: 10_000, disabledRecheckMs: 1_000 },
        });
        worker.start();
        sender.start();
      }, 60_000);
      afterAll(async () => {
        await worker?.stop(2_000);
        await sender?.stop();
        await orthanc?.stop();
        await t?.close();
        console.log(`[round trip ${provider}] Orthanc store → result objects in Orthanc: ${JSON.stringify(timings)}`);
      });

      it.each([
        ['DICOMWEB', 'STOW-RS'],
        ['DIMSE', 'C-STORE'],
      ] as const)(
        'a CT study stored into Orthanc comes back with its SR and summary image (%s, %s)',
        async (kind, _protocol) => {
          const input =
            kind === 'DICOMWEB'
              ? { name: `orthanc-web-${provider}`, kind, url: orthanc.dicomWebUrl, autoSend: true }
              : {
                  name: `orthanc-dimse-${provider}`,
                  kind,
                  host: '127.0.0.1',
                  port: orthanc.dicomPort,
                  calledAet: orthanc.dicomAet,
                  autoSend: true,
                };
          const created = await t.gql<{ createDestination: { id: string } }>(
            'mutation($input: DestinationInput!) { createDestination(input: $input) { id } }',
            { input },
            { token: admin },
          );
          expect(created.errors).toBeUndefined();
          const destinationId = created.data?.createDestination.id as string;

          const study = synthStudy({ seed: `round-trip-${provider}-${kind}`, slices: SLICES, size: 64 });
          const started = performance.now();
          let orthancStudy = '';
          for (const file of study.files) {
            const r = await orthanc.call('POST', '/instances', Buffer.from(file.bytes));
            expect(r.status).toBe(200);
            orthancStudy = (JSON.parse(r.body.toString()) as { ParentStudy: string }).ParentStudy;
          }

          // Orthanc's study gains the product's two series (SR and OT) besides the CT one.
          const series = await waitFor(
            'the SR and the summary image in Orthanc',
            async () => {
              const list = await orthanc.json<OrthancSeries[]>(`/studies/${orthancStudy}/series`);
              const modalities = list.map((s) => s.MainDicomTags.Modality).sort();
              return modalities.join(',') === 'CT,OT,SR' && list;
            },
            45_000,
          );
          const elapsed = Math.round(performance.now() - started);
          timings[kind] = elapsed;
          console.log(`[round trip ${provider} ${kind}] stored into Orthanc → SR + summary image back: ${elapsed} ms`);
          expect(elapsed).toBeLessThan(45_000);

          // The product: one analysis, its result objects, each sent once and audited.
          const row = await t.prisma.study.findUniqueOrThrow({
            where: { studyInstanceUid: study.studyInstanceUid },
            include: { predictions: { include: { slices: true, resultObjects: { include: { instance: true } } } } },
          });
          expect(row.status).toBe('DONE');
          expect(row.predictions).toHaveLength(1);
          const prediction = row.predictions[0] as (typeof row.predictions)[number];
          expect(prediction.resultObjects.map((o) => o.kind).sort()).toEqual(['SC', 'SR']);
          // The destination's answer is recorded right after Orthanc has the instance.
          const sends = await waitFor('both sends recorded', async () => {
            const rows = await t.prisma.sendJob.findMany({ where: { destinationId } });
            return rows.every((r) => r.status === 'DONE') && rows;
          });
          expect(sends.map((s) => [s.sopInstanceUid, s.status, s.attempts, s.trigger])).toEqual(
            expect.arrayContaining(prediction.resultObjects.map((o) => [o.sopInstanceUid, 'DONE', 1, 'AUTO'])),
          );
          expect(sends).toHaveLength(2);

          // What arrived is the product's objects: byte for byte over STOW-RS; over C-STORE the same data set (Orthanc
          // writes its own file meta header and may store the transfer syntax negotiated for the association).
          const sr = prediction.resultObjects.find((o) => o.kind === 'SR');
          const sc = prediction.resultObjects.find((o) => o.kind === 'SC');
          for (const object of [sr, sc]) {
            const arrived = series.find((s) => s.MainDicomTags.SeriesInstanceUID === object?.seriesInstanceUid);
            expect(arrived?.Instances).toHaveLength(1);
            const file = await orthanc.call('GET', `/instances/${arrived?.Instances[0]}/file`);
            const stored = await readFile(resolveStored(t.storageDir, object?.instance.storageKey as string));
            if (kind === 'DICOMWEB')
              expect(createHash('sha256').update(file.body).digest('hex')).toBe(
                createHash('sha256').update(stored).digest('hex'),
              );
            else expect(comparable(new Uint8Array(file.body))).toEqual(comparable(new Uint8Array(stored)));
            if (object?.kind === 'SR') {
              // dcmtk's reading of Orthanc's copy of the SR says what the prediction says.
              const srFile = path.join(t.config.dataDir, `${kind}-sr.dcm`);
              await writeFile(srFile, file.body);
              const text = execFileSync('dsrdump', ['+Pl', '+Pu', srFile], { encoding: 'utf8' });
              for (const label of LABELS) {
                const code = FINDING_CODES[label];
                expect(text).toContain(`(${code.value},SCT,"${code.meaning}")`);
                expect(text).toContain(`"${decimalString(prediction[label])}"`);
              }
              expect(text).toMatch(
                new RegExp(`Flagged for priority review.*\\n?.*${prediction.triage ? 'Yes' : 'No'}`),
              );
              // The key slice (highest 'any') is referenced.
              const key = [...prediction.slices].sort((a, b) => b.any - a.any)[0];
              const keyUid = (await t.prisma.instance.findUniqueOrThrow({ where: { id: key?.instanceId as string } }))
                .sopInstanceUid;
              expect(text).toContain(keyUid);
            }
          }

          // The results' arrival made the study stable again in Orthanc: the Lua script forwards only CT series it
          // has not forwarded, so nothing goes back to the product (no second analysis).
          const ct = series.find((s) => s.MainDicomTags.Modality === 'CT') as OrthancSeries;
          await waitFor('the forwarded mark', async () => {
            const r = await orthanc.call('GET', `/series/${ct.ID}/metadata/IchForwarded`);
            return r.status === 200 && r.body.toString() === String(SLICES);
          });
          await new Promise((r) => setTimeout(r, 2_500));
          expect(await t.prisma.inferenceJob.count({ where: { studyId: row.id } })).toBe(1);
          expect(orthanc.log()).not.toContain(`forwarding study ${orthancStudy} failed`);

          // An admin's manual send of the same results: both already acknowledged, so nothing goes on the wire.
          const wire = { ...orthanc.wire };
          const manual = await t.gql<{ sendStudyResults: Array<{ status: string; sopInstanceUid: string }> }>(
            'mutation($s: ID!, $d: ID!) { sendStudyResults(studyId: $s, destinationId: $d) { status sopInstanceUid } }',
            { s: row.id, d: destinationId },
            { token: admin },
          );
          expect(manual.errors).toBeUndefined();
          expect(manual.data?.sendStudyResults.map((m) => m.status)).toEqual(['SENT', 'SENT']);
          await new Promise((r) => setTimeout(r, 500));
          expect(orthanc.wire).toEqual(wire);
          expect(await t.prisma.auditEvent.count({ where: { action: 'dicom.send', studyId: row.id } })).toBe(2);

          // The next study goes to the next test's destination only.
          await t.gql(
            'mutation($id: ID!) { updateDestination(id: $id, input: { autoSend: false }) { id } }',
            { id: destinationId },
            { token: admin },
          );
        },
        60_000,
      );
    });
  },
);
