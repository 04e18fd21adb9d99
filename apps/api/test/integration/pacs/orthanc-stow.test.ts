import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { synthStudy } from '@ich/ml/node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createUser } from '../../factories/index.js';
import { PROVIDERS, startApi, type TestApi } from '../api/harness.js';
import { tokenWith } from '../ingest/helpers.js';
import { type Orthanc, orthancUnavailable, startOrthanc } from './orthanc.js';

const JPEG_LS_LOSSLESS = '1.2.840.10008.1.2.4.80';
const SLICES = 6;
const unavailable = orthancUnavailable();

/** Transcodes Part 10 files to JPEG-LS lossless with dcmtk's dcmcjpls. */
function toJpegLs(files: readonly Uint8Array[]): Buffer[] {
  const dir = mkdtempSync(path.join(tmpdir(), 'ich-jls-'));
  try {
    return files.map((bytes, i) => {
      const input = path.join(dir, `${i}.dcm`);
      const output = path.join(dir, `${i}.jls.dcm`);
      writeFileSync(input, bytes);
      execFileSync('dcmcjpls', [input, output]);
      return readFileSync(output);
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe.skipIf(unavailable !== null)(
  `a real PACS (Orthanc) pushing over STOW-RS${unavailable ? ` — skipped: ${unavailable}` : ''}`,
  () => {
    describe.each(PROVIDERS)('on %s', (provider) => {
      let t: TestApi;
      let orthanc: Orthanc;
      let token = '';

      beforeAll(async () => {
        t = await startApi(provider, { env: { STABLE_SECONDS: '0.5' } });
        const admin = await createUser(t.prisma, { role: 'ADMIN' });
        token = await tokenWith(t, await t.login(admin.user.email, admin.password), ['write:uploads', 'read:studies']);
        orthanc = await startOrthanc({ productUrl: `${t.url}/dicom-web`, productToken: token });
      }, 60_000);
      afterAll(async () => {
        await orthanc?.stop();
        await t?.close();
      });

      it('accepts a JPEG-LS study Orthanc pushes, queues it, and Orthanc reads it back over QIDO-RS and WADO-RS', async () => {
        const study = synthStudy({ seed: `orthanc-${provider}`, slices: SLICES, size: 64, bleed: 'none' });
        const jls = toJpegLs(study.files.map((f) => f.bytes));
        let orthancStudy = '';
        for (const file of jls) {
          const r = await orthanc.call('POST', '/instances', file, { 'content-type': 'application/dicom' });
          expect(r.status).toBe(200);
          orthancStudy = (JSON.parse(r.body.toString()) as { ParentStudy: string }).ParentStudy;
        }

        const pushed = await orthanc.call('POST', '/dicom-web/servers/ich/stow', {
          Resources: [orthancStudy],
          Synchronous: true,
        });
        expect(pushed.status, pushed.body.toString()).toBe(200);

        const row = await t.prisma.study.findUniqueOrThrow({
          where: { studyInstanceUid: study.studyInstanceUid },
          include: { series: { include: { instances: { orderBy: { sliceIndex: 'asc' } } } } },
        });
        const instances = row.series[0]?.instances ?? [];
        expect(instances.map((i) => i.sopInstanceUid)).toEqual(study.files.map((f) => f.sopInstanceUid));
        expect(new Set(instances.map((i) => i.transferSyntaxUid))).toEqual(new Set([JPEG_LS_LOSSLESS]));
        const until = Date.now() + 10_000;
        let status = row.status;
        while (status !== 'QUEUED' && Date.now() < until) {
          await new Promise((r) => setTimeout(r, 100));
          status = (await t.prisma.study.findUniqueOrThrow({ where: { id: row.id } })).status;
        }
        expect(status).toBe('QUEUED');
        expect(await t.prisma.inferenceJob.count({ where: { studyId: row.id } })).toBe(1);

        // The product decodes the JPEG-LS frames losslessly.
        const sop = study.files[2]?.sopInstanceUid as string;
        const frame = await fetch(
          `${t.url}/dicom-web/studies/${study.studyInstanceUid}/series/${study.seriesInstanceUid}/instances/${sop}/frames/1`,
          { headers: { authorization: `Bearer ${token}`, accept: 'application/octet-stream' } },
        );
        expect(frame.status).toBe(200);
        const values = new Int16Array(new Uint8Array(await frame.arrayBuffer()).buffer.slice(0));
        expect(Array.from(values)).toEqual(Array.from(study.files[2]?.hu as Int16Array, (v) => v + 1024));

        // Orthanc as the DICOMweb client: QIDO-RS through its proxy, then WADO-RS retrieval into an emptied Orthanc.
        const qido = await orthanc.call('POST', '/dicom-web/servers/ich/get', {
          Uri: '/studies',
          Arguments: { StudyInstanceUID: study.studyInstanceUid },
        });
        expect(qido.status, qido.body.toString()).toBe(200);
        const found = JSON.parse(qido.body.toString()) as Array<Record<string, { Value?: unknown[] }>>;
        expect(found.map((s) => s['0020000D']?.Value?.[0])).toEqual([study.studyInstanceUid]);
        expect((await orthanc.call('DELETE', `/studies/${orthancStudy}`)).status).toBe(200);
        const retrieved = await orthanc.call('POST', '/dicom-web/servers/ich/retrieve', {
          Resources: [{ Study: study.studyInstanceUid }],
          Synchronous: true,
        });
        expect(retrieved.status, retrieved.body.toString()).toBe(200);
        const back = JSON.parse(
          (await orthanc.call('GET', `/studies/${orthancStudy}/instances`)).body.toString(),
        ) as unknown[];
        expect(back).toHaveLength(SLICES);
        const reads = await t.prisma.auditEvent.count({ where: { action: 'dicomweb.retrieve', studyId: row.id } });
        expect(reads).toBeGreaterThanOrEqual(1);
      }, 120_000);
    });
  },
);
