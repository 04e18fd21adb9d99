import { synthStudy } from '@ich/ml/node';
import dcmjs from 'dcmjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLocalStudyEvents } from '../../../src/events/study-events.js';
import { StableStudySweep } from '../../../src/ingest/stable-sweep.js';
import { createUser } from '../../factories/index.js';
import { PROVIDERS, startApi, type TestApi } from '../api/harness.js';
import { splitMultipart, stowBody, tokenWith } from './helpers.js';

type Json = Record<string, { vr: string; Value?: unknown[]; BulkDataURI?: string }>;

const FAILED_SOP_SEQUENCE = '00081198';
const REFERENCED_SOP_SEQUENCE = '00081199';
const FAILURE_REASON = '00081197';

describe.each(PROVIDERS)('DICOMweb on %s', (provider) => {
  let t: TestApi;
  let session = '';
  let writer = '';
  let reader = '';

  beforeAll(async () => {
    t = await startApi(provider, { env: { STABLE_SECONDS: '0.3' } });
    const admin = await createUser(t.prisma, { role: 'ADMIN' });
    session = await t.login(admin.user.email, admin.password);
    writer = await tokenWith(t, session, ['write:uploads']);
    reader = await tokenWith(t, session, ['read:studies']);
  });
  afterAll(async () => {
    await t?.close();
  });

  async function stow(files: Uint8Array[], headers: Record<string, string>, path = '/dicom-web/studies') {
    const { body, contentType } = stowBody(files);
    const r = await fetch(`${t.url}${path}`, {
      method: 'POST',
      body,
      headers: { 'content-type': contentType, accept: 'application/dicom+json', ...headers },
    });
    const text = await r.text();
    return { status: r.status, headers: r.headers, json: (text ? JSON.parse(text) : null) as Json };
  }
  const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
  const basic = (token: string) => ({ authorization: `Basic ${Buffer.from(`orthanc:${token}`).toString('base64')}` });

  async function get(path: string, headers: Record<string, string>) {
    const r = await fetch(`${t.url}/dicom-web${path}`, { headers });
    return { status: r.status, headers: r.headers, body: Buffer.from(await r.arrayBuffer()) };
  }

  async function waitFor<T>(read: () => Promise<T>, done: (v: T) => boolean, ms = 5000): Promise<T> {
    const until = Date.now() + ms;
    for (;;) {
      const v = await read();
      if (done(v) || Date.now() > until) return v;
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  it('stores over STOW-RS (Bearer and Basic), queues the study once it is quiet, and reads it back over QIDO and WADO', async () => {
    const study = synthStudy({ seed: `stow-${provider}`, slices: 4, size: 64, bleed: 'none' });
    const [f0, f1, f2, f3] = study.files.map((f) => f.bytes) as [Uint8Array, Uint8Array, Uint8Array, Uint8Array];
    const first = await stow([f2, f0], bearer(writer));
    expect(first.status).toBe(200);
    expect(first.json[REFERENCED_SOP_SEQUENCE]?.Value).toHaveLength(2);
    expect(first.json[FAILED_SOP_SEQUENCE]).toBeUndefined();
    const second = await stow([f3, f1, f0], basic(writer), `/dicom-web/studies/${study.studyInstanceUid}`);
    expect(second.status).toBe(200);
    expect(second.json[REFERENCED_SOP_SEQUENCE]?.Value).toHaveLength(3);

    const row = await t.prisma.study.findUniqueOrThrow({ where: { studyInstanceUid: study.studyInstanceUid } });
    const queued = await waitFor(
      () => t.prisma.study.findUniqueOrThrow({ where: { id: row.id } }),
      (s) => s.status === 'QUEUED' && s.lastInstanceAt === null,
    );
    expect(queued).toMatchObject({ status: 'QUEUED', instanceCount: 4, lastInstanceAt: null });
    expect(await t.prisma.inferenceJob.count({ where: { studyId: row.id } })).toBe(1);
    const imports = await t.prisma.auditEvent.count({ where: { action: 'study.import', studyId: row.id } });
    expect(imports).toBe(2);

    // QIDO-RS
    const studies = await get(`/studies?PatientID=${study.patientId}&includefield=all`, basic(reader));
    expect(studies.status).toBe(200);
    expect(studies.headers.get('content-type')).toMatch(/application\/dicom\+json/);
    const found = JSON.parse(studies.body.toString()) as Json[];
    expect(found).toHaveLength(1);
    expect(found[0]?.['0020000D']?.Value).toEqual([study.studyInstanceUid]);
    expect(found[0]?.['00100010']?.Value).toEqual([{ Alphabetic: study.patientName }]);
    expect(found[0]?.['00201208']?.Value).toEqual([4]);
    const wildcard = JSON.parse(
      (
        await get(`/studies?PatientName=${encodeURIComponent('SYNTHETIC^*')}&limit=1000`, bearer(reader))
      ).body.toString(),
    ) as Json[];
    expect(wildcard.map((s) => s['0020000D']?.Value?.[0])).toContain(study.studyInstanceUid);
    const series = JSON.parse(
      (await get(`/studies/${study.studyInstanceUid}/series`, bearer(reader))).body.toString(),
    ) as Json[];
    expect(series.map((s) => s['0020000E']?.Value?.[0])).toEqual([study.seriesInstanceUid]);
    const base = `/studies/${study.studyInstanceUid}/series/${study.seriesInstanceUid}`;
    const instances = JSON.parse((await get(`${base}/instances`, bearer(reader))).body.toString()) as Json[];
    expect(instances.map((i) => i['00080018']?.Value?.[0])).toEqual(study.files.map((f) => f.sopInstanceUid));
    // includefield: what the database does not hold is read from the stored headers; defaults keep the DB's values.
    const withBodyPart = JSON.parse(
      (await get(`${base}/instances?includefield=BodyPartExamined,00180050`, bearer(reader))).body.toString(),
    ) as Json[];
    expect(withBodyPart.map((i) => i['00180015']?.Value)).toEqual(study.files.map(() => ['HEAD']));
    expect(withBodyPart.every((i) => i['00180050']?.Value?.length === 1)).toBe(true);
    expect(instances[0]?.['00180015']).toBeUndefined();
    const seriesAll = JSON.parse(
      (await get(`/studies/${study.studyInstanceUid}/series?includefield=all`, bearer(reader))).body.toString(),
    ) as Json[];
    expect(seriesAll[0]?.['00180015']?.Value).toEqual(['HEAD']);
    expect(seriesAll[0]?.['00201209']?.Value).toEqual([4]);
    expect(seriesAll[0]?.['00200032']).toBeUndefined();
    const studyWanted = await get(`/studies?PatientID=${study.patientId}&includefield=Manufacturer,NoSuchKeyword`, {
      ...bearer(reader),
    });
    expect(JSON.parse(studyWanted.body.toString())[0]?.['00080070']?.Value).toEqual(['ICH SYNTHETIC PHANTOM']);
    expect(studyWanted.headers.get('warning')).toMatch(/includefield=NoSuchKeyword/);
    const paged = JSON.parse(
      (await get(`${base}/instances?limit=2&offset=1`, bearer(reader))).body.toString(),
    ) as Json[];
    expect(paged.map((i) => i['00080018']?.Value?.[0])).toEqual(study.files.slice(1, 3).map((f) => f.sopInstanceUid));

    // WADO-RS: instances are the stored bytes.
    const sop = study.files[1]?.sopInstanceUid as string;
    const retrieved = await get(`${base}/instances/${sop}`, {
      ...bearer(reader),
      accept: 'multipart/related; type="application/dicom"; transfer-syntax=*',
    });
    expect(retrieved.status).toBe(200);
    const parts = splitMultipart(retrieved.body, retrieved.headers.get('content-type') ?? '');
    expect(parts).toHaveLength(1);
    expect(Buffer.compare(parts[0]?.data as Buffer, Buffer.from(f1))).toBe(0);
    const whole = await get(`/studies/${study.studyInstanceUid}`, bearer(reader));
    expect(splitMultipart(whole.body, whole.headers.get('content-type') ?? '')).toHaveLength(4);

    // Metadata: DICOM JSON with the pixel data as a bulk data URI.
    const metadata = JSON.parse(
      (await get(`${base}/instances/${sop}/metadata`, bearer(reader))).body.toString(),
    ) as Json[];
    expect(metadata[0]?.['00100010']?.Value).toEqual([{ Alphabetic: study.patientName }]);
    expect(metadata[0]?.['7FE00010']?.BulkDataURI).toMatch(new RegExp(`/instances/${sop}/frames/1$`));

    // Frames: decoded little-endian stored values (signed 16-bit, HU + 1024).
    const frames = await get(`${base}/instances/${sop}/frames/1`, {
      ...bearer(reader),
      accept: 'multipart/related; type="application/octet-stream"',
    });
    expect(frames.status).toBe(200);
    const [frame] = splitMultipart(frames.body, frames.headers.get('content-type') ?? '');
    const values = new Int16Array(new Uint8Array(frame?.data as Buffer).buffer.slice(0));
    const hu = study.files[1]?.hu as Int16Array;
    expect(values.length).toBe(hu.length);
    expect(Array.from(values.subarray(0, 500))).toEqual(Array.from(hu.subarray(0, 500), (v) => v + 1024));
    const cookie = await get(`${base}/instances/${sop}/frames/1`, {
      cookie: `ich_session=${session}`,
      accept: 'application/octet-stream',
    });
    expect(cookie.status).toBe(200);
    expect(cookie.headers.get('content-type')).toMatch(/^application\/octet-stream/);
    expect(cookie.body.length).toBe(hu.length * 2);
    expect((await get(`${base}/instances/${sop}/frames/1`, { ...bearer(reader), accept: 'image/jls' })).status).toBe(
      406,
    );
    const reads = await t.prisma.auditEvent.findMany({ where: { action: 'dicomweb.retrieve', studyId: row.id } });
    expect(reads.map((r) => JSON.parse(r.details).what).sort()).toEqual([
      'frames',
      'frames',
      'instances',
      'instances',
      'metadata',
    ]);
    expect(await t.prisma.auditEvent.count({ where: { action: 'dicomweb.search' } })).toBeGreaterThanOrEqual(4);
  });

  it('decodes RLE frames to the same pixels', async () => {
    const study = synthStudy({ seed: `rle-${provider}`, slices: 1, size: 64, bleed: 'none', transferSyntax: 'rle' });
    expect((await stow([study.files[0]?.bytes as Uint8Array], bearer(writer))).status).toBe(200);
    const sop = study.files[0]?.sopInstanceUid as string;
    const r = await get(
      `/studies/${study.studyInstanceUid}/series/${study.seriesInstanceUid}/instances/${sop}/frames/1`,
      {
        ...bearer(reader),
        accept: 'application/octet-stream',
      },
    );
    expect(r.status).toBe(200);
    const values = new Int16Array(new Uint8Array(r.body).buffer.slice(0));
    expect(Array.from(values)).toEqual(Array.from(study.files[0]?.hu as Int16Array, (v) => v + 1024));
  });

  /** The STOW-RS JSON form: instances read by dcmjs into the DICOM JSON model, Pixel Data sent as bulk parts. */
  async function stowJson(
    files: Uint8Array[],
    headers: Record<string, string>,
    bulkType: (n: number) => string | null = () => 'application/octet-stream',
  ) {
    const boundary = `json-${provider}-${Date.now()}`;
    const datasets: unknown[] = [];
    const parts: Buffer[] = [];
    for (const [n, file] of files.entries()) {
      const bytes = Buffer.from(file);
      const read = dcmjs.data.DicomMessage.readFile(
        bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length),
      );
      const dataset: Record<string, unknown> = {};
      for (const [tag, element] of Object.entries(read.dict as Record<string, { vr: string; Value?: unknown[] }>)) {
        if (tag === '7FE00010') continue;
        dataset[tag] = { vr: element.vr, ...(element.Value ? { Value: element.Value } : {}) };
      }
      const uri = `http://client.example/bulk/${n}`;
      dataset['7FE00010'] = { vr: 'OW', BulkDataURI: uri };
      datasets.push(dataset);
      const type = bulkType(n);
      if (type === null) continue;
      const pixels = Buffer.from((read.dict['7FE00010'] as { Value: ArrayBuffer[] }).Value[0] as ArrayBuffer);
      parts.push(Buffer.from(`\r\n--${boundary}\r\nContent-Type: ${type}\r\nContent-Location: ${uri}\r\n\r\n`), pixels);
    }
    const body = Buffer.concat([
      Buffer.from(`--${boundary}\r\nContent-Type: application/dicom+json\r\n\r\n${JSON.stringify(datasets)}`),
      ...parts,
      Buffer.from(`\r\n--${boundary}--\r\n`),
    ]);
    const r = await fetch(`${t.url}/dicom-web/studies`, {
      method: 'POST',
      body,
      headers: {
        'content-type': `multipart/related; type="application/dicom+json"; boundary=${boundary}`,
        accept: 'application/dicom+json',
        ...headers,
      },
    });
    const text = await r.text();
    return { status: r.status, json: (text ? JSON.parse(text) : null) as Json };
  }

  it('stores the JSON metadata + bulk data form, decoding to the same pixels as the file itself', async () => {
    const study = synthStudy({ seed: `stow-json-${provider}`, slices: 2, size: 48, bleed: 'none' });
    const answer = await stowJson(
      study.files.map((f) => f.bytes),
      bearer(writer),
    );
    expect(answer.status).toBe(200);
    expect(answer.json[REFERENCED_SOP_SEQUENCE]?.Value).toHaveLength(2);
    const sop = study.files[1]?.sopInstanceUid as string;
    const frame = await get(
      `/studies/${study.studyInstanceUid}/series/${study.seriesInstanceUid}/instances/${sop}/frames/1`,
      {
        ...bearer(reader),
        accept: 'application/octet-stream',
      },
    );
    expect(frame.status).toBe(200);
    const values = new Int16Array(new Uint8Array(frame.body).buffer.slice(0));
    expect(Array.from(values)).toEqual(Array.from(study.files[1]?.hu as Int16Array, (v) => v + 1024));
    const row = await t.prisma.instance.findUniqueOrThrow({ where: { sopInstanceUid: sop } });
    expect(row.transferSyntaxUid).toBe('1.2.840.10008.1.2.1');
  });

  it('refuses, per instance, compressed bulk data and bulk data that no part holds', async () => {
    const study = synthStudy({ seed: `stow-json-bad-${provider}`, slices: 3, size: 32, bleed: 'none' });
    const answer = await stowJson(
      study.files.map((f) => f.bytes),
      bearer(writer),
      (n) => (n === 0 ? 'image/jls' : n === 1 ? null : 'application/octet-stream'),
    );
    expect(answer.status).toBe(202);
    expect(answer.json[REFERENCED_SOP_SEQUENCE]?.Value).toHaveLength(1);
    const failed = answer.json[FAILED_SOP_SEQUENCE]?.Value as Json[];
    expect(failed.map((f) => [f['00081155']?.Value?.[0], f[FAILURE_REASON]?.Value?.[0]])).toEqual([
      [study.files[0]?.sopInstanceUid, 0xc122],
      [study.files[1]?.sopInstanceUid, 0xc000],
    ]);
  });

  it('answers 202 with failure reasons for bad parts, 409 when nothing is stored', async () => {
    const study = synthStudy({ seed: `stow-bad-${provider}`, slices: 2, size: 32, bleed: 'none' });
    const good = study.files[0]?.bytes as Uint8Array;
    const truncated = (study.files[1] as (typeof study.files)[number]).bytes.subarray(0, 600);
    const mixed = await stow([good, Buffer.from('not dicom at all'), truncated], bearer(writer));
    expect(mixed.status).toBe(202);
    expect(mixed.json[REFERENCED_SOP_SEQUENCE]?.Value).toHaveLength(1);
    const failed = mixed.json[FAILED_SOP_SEQUENCE]?.Value as Json[];
    expect(failed.map((f) => f[FAILURE_REASON]?.Value?.[0])).toEqual([0xc000, 0xc000]);
    const other = synthStudy({ seed: `stow-other-${provider}`, slices: 1, size: 32, bleed: 'none' });
    const wrongStudy = await stow(
      [other.files[0]?.bytes as Uint8Array],
      bearer(writer),
      `/dicom-web/studies/${study.studyInstanceUid}`,
    );
    expect(wrongStudy.status).toBe(409);
    expect((wrongStudy.json[FAILED_SOP_SEQUENCE]?.Value as Json[] | undefined)?.[0]?.[FAILURE_REASON]?.Value).toEqual([
      0xa900,
    ]);
    expect(await t.prisma.study.count({ where: { studyInstanceUid: other.studyInstanceUid } })).toBe(0);
    // The same instance again is a success (PACS resend); other bytes under its UID are a conflict.
    expect((await stow([good], bearer(writer))).status).toBe(200);
    const altered = Buffer.from(good);
    altered[altered.length - 1] = (altered[altered.length - 1] as number) ^ 0xff;
    const conflict = await stow([altered], bearer(writer));
    expect(conflict.status).toBe(409);
    expect((conflict.json[FAILED_SOP_SEQUENCE]?.Value as Json[] | undefined)?.[0]?.[FAILURE_REASON]?.Value).toEqual([
      0x0111,
    ]);
  });

  it('refuses stores without a token, with the cookie alone, or without write:uploads, and reads without credentials', async () => {
    const study = synthStudy({ seed: `stow-auth-${provider}`, slices: 1, size: 32, bleed: 'none' });
    const files = [study.files[0]?.bytes as Uint8Array];
    const anonymous = await stow(files, {});
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers.get('www-authenticate')).toMatch(/^Basic/);
    expect((await stow(files, { cookie: `ich_session=${session}` })).status).toBe(401);
    expect((await stow(files, bearer(reader))).status).toBe(403);
    expect((await stow(files, basic('icht_not-a-token'))).status).toBe(401);
    expect(await t.prisma.study.count({ where: { studyInstanceUid: study.studyInstanceUid } })).toBe(0);
    expect((await get('/studies', {})).status).toBe(401);
    expect((await get('/studies', bearer(writer))).status).toBe(403);
    expect((await get('/studies', basic(reader))).status).toBe(200);
  });

  it('removes the temporary files of a STOW-RS request the client abandons mid-body', async () => {
    const { request } = await import('node:http');
    const { readdirSync } = await import('node:fs');
    const study = synthStudy({ seed: `stow-abort-${provider}`, slices: 2, size: 256, bleed: 'none' });
    const { body, contentType } = stowBody(study.files.map((f) => f.bytes));
    const req = request(`${t.url}/dicom-web/studies`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${writer}`,
        'content-type': contentType,
        'content-length': String(body.length),
      },
    });
    req.on('error', () => {});
    // The whole first instance and part of the second, then the client goes away.
    req.write(body.subarray(0, Math.floor(body.length * 0.75)));
    await new Promise((r) => setTimeout(r, 300));
    req.destroy();
    const tmp = `${t.storageDir}/tmp`;
    const until = Date.now() + 5000;
    while (readdirSync(tmp).length > 0 && Date.now() < until) await new Promise((r) => setTimeout(r, 50));
    expect(readdirSync(tmp)).toEqual([]);
    expect(await t.prisma.study.count({ where: { studyInstanceUid: study.studyInstanceUid } })).toBe(0);
  });

  it('queues a quiet study exactly once when several API processes sweep at the same time', async () => {
    // Earlier tests' studies are finalized by the running sweep first, so only this study is due below.
    await waitFor(
      () => t.prisma.study.count({ where: { lastInstanceAt: { not: null } } }),
      (n) => n === 0,
    );
    await t.api.stableSweep.stop();
    try {
      const study = synthStudy({ seed: `sweep-race-${provider}`, slices: 2, size: 32, bleed: 'none' });
      expect(
        (
          await stow(
            study.files.map((f) => f.bytes),
            bearer(writer),
          )
        ).status,
      ).toBe(200);
      const sweeps = [0, 1, 2].map(
        () => new StableStudySweep({ prisma: t.prisma, events: createLocalStudyEvents(), stableMs: 0 }),
      );
      const counts = await Promise.all(sweeps.map((s) => s.sweep(new Date(Date.now() + 1000))));
      expect(counts.reduce((a, b) => a + b, 0)).toBe(1);
      const row = await t.prisma.study.findUniqueOrThrow({ where: { studyInstanceUid: study.studyInstanceUid } });
      expect(row.status).toBe('QUEUED');
      expect(await t.prisma.inferenceJob.count({ where: { studyId: row.id } })).toBe(1);
    } finally {
      t.api.stableSweep.start();
    }
  });
});
