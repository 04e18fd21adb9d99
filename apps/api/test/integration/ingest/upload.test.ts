import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { synthStudy } from '@ich/ml/node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createUser } from '../../factories/index.js';
import { PROVIDERS, startApi, type TestApi } from '../api/harness.js';
import { makeZip, stowBody, tokenWith, upload } from './helpers.js';

const SLICES = 8;

/** A shuffled copy: upload order must not decide slice order. */
function shuffled<T>(items: readonly T[]): T[] {
  return items
    .map((v, i) => ({ v, k: (i * 7919) % items.length }))
    .sort((a, b) => a.k - b.k)
    .map((x) => x.v);
}

describe.each(PROVIDERS)('POST /api/uploads on %s', (provider) => {
  let t: TestApi;
  let session = '';
  let clinicianSession = '';

  beforeAll(async () => {
    t = await startApi(provider, { env: { MAX_UPLOAD_MB: '24' } });
    const admin = await createUser(t.prisma, { role: 'ADMIN' });
    const clinician = await createUser(t.prisma, { role: 'CLINICIAN' });
    session = await t.login(admin.user.email, admin.password);
    clinicianSession = await t.login(clinician.user.email, clinician.password);
  });
  afterAll(async () => {
    await t?.close();
  });

  it('stores a synthetic study in slice order with one job, and the same upload again changes nothing', async () => {
    const study = synthStudy({ seed: `upload-${provider}`, slices: SLICES, size: 64, bleed: 'none' });
    const order = shuffled(study.files);
    const files = order.map((f) => ({ name: f.name, data: f.bytes }));
    const perFile = (status: string) => order.map((f) => ({ file: f.name, sopInstanceUid: f.sopInstanceUid, status }));
    const events: Array<{ kind: string; studyId: string; status: string }> = [];
    const unsubscribe = t.api.events.subscribe((e) => events.push(e));
    const first = await upload(t, files, { token: clinicianSession });
    expect(first.status).toBe(200);
    expect(first.body.rejected).toEqual([]);
    expect(first.body.studies).toEqual([
      {
        id: expect.any(String),
        studyInstanceUid: study.studyInstanceUid,
        accepted: SLICES,
        duplicates: 0,
        rejected: [],
        files: perFile('ACCEPTED'),
      },
    ]);
    const id = first.body.studies?.[0]?.id as string;

    const instances = await t.prisma.instance.findMany({
      where: { series: { studyId: id } },
      orderBy: { sliceIndex: 'asc' },
    });
    // synth numbers files feet → head (z ascending), which is the anatomical order along the axial normal.
    expect(instances.map((i) => i.sopInstanceUid)).toEqual(study.files.map((f) => f.sopInstanceUid));
    expect(instances.map((i) => i.sliceIndex)).toEqual([...Array(SLICES).keys()]);
    const positions = instances.map((i) => i.position as number);
    expect(positions).toEqual([...positions].sort((a, b) => a - b));
    for (const i of instances) {
      const bytes = readFileSync(path.join(t.storageDir, i.storageKey));
      expect(createHash('sha256').update(bytes).digest('hex')).toBe(i.contentHash);
      expect(i.sopClassUid).toBe('1.2.840.10008.5.1.4.1.1.2');
    }
    const row = await t.prisma.study.findUniqueOrThrow({ where: { id }, include: { series: true } });
    expect(row).toMatchObject({
      status: 'QUEUED',
      instanceCount: SLICES,
      notEligibleReason: null,
      lastInstanceAt: null,
    });
    expect(row.series.map((s) => s.orientation)).toEqual(['AXIAL']);
    expect(await t.prisma.inferenceJob.count({ where: { studyId: id } })).toBe(1);
    const imports = await t.prisma.auditEvent.findMany({ where: { action: 'study.import', studyId: id } });
    expect(imports).toHaveLength(1);
    expect(JSON.parse(imports[0]?.details ?? '{}')).toMatchObject({ via: 'upload', accepted: SLICES });

    const before = {
      instances: await t.prisma.instance.count(),
      jobs: await t.prisma.inferenceJob.count(),
      studies: await t.prisma.study.count(),
      objects: countObjects(t.storageDir),
    };
    expect(events.map((e) => [e.kind, e.studyId, e.status])).toEqual([['ARRIVED', id, 'QUEUED']]);
    const again = await upload(t, files, { token: session });
    unsubscribe();
    expect(events).toHaveLength(1);
    expect(again.status).toBe(200);
    expect(again.body.studies).toEqual([
      {
        id,
        studyInstanceUid: study.studyInstanceUid,
        accepted: 0,
        duplicates: SLICES,
        rejected: [],
        files: perFile('DUPLICATE'),
      },
    ]);
    expect({
      instances: await t.prisma.instance.count(),
      jobs: await t.prisma.inferenceJob.count(),
      studies: await t.prisma.study.count(),
      objects: countObjects(t.storageDir),
    }).toEqual(before);
    expect(readdirSync(path.join(t.storageDir, 'tmp'))).toEqual([]);
  });

  it('keeps every good file of a mixed upload and reports each bad one with its code', async () => {
    const study = synthStudy({ seed: `mixed-${provider}`, slices: 4, size: 64, bleed: 'none' });
    const [a, b, c, d] = study.files as [(typeof study.files)[number], ...(typeof study.files)[number][]];
    const truncated = (d as typeof a).bytes.subarray(0, (d as typeof a).bytes.length - 1000);
    const zip = makeZip([
      { name: 'ok/c.dcm', data: (c as typeof a).bytes },
      { name: '../x.dcm', data: (b as typeof a).bytes },
      { name: '/etc/passwd.dcm', data: (b as typeof a).bytes },
      { name: 'link.dcm', data: Buffer.from('/etc/passwd'), mode: 0o120777 },
      { name: 'inner.zip', data: makeZip([{ name: 'y.dcm', data: (b as typeof a).bytes }]) },
    ]);
    const bomb = makeZip([{ name: 'bomb.dcm', data: new Uint8Array(16 * 1024 * 1024) }]);
    const r = await upload(
      t,
      [
        { name: 'a.dcm', data: a.bytes },
        { name: 'b.dcm', data: (b as typeof a).bytes },
        { name: 'truncated.dcm', data: truncated },
        { name: 'notes.txt', data: Buffer.from('this is not DICOM\n'.repeat(20)) },
        { name: 'archive.zip', data: zip },
        { name: 'bomb.zip', data: bomb },
      ],
      { token: session },
    );
    expect(r.status).toBe(200);
    expect(r.body.studies?.map((s) => [s.studyInstanceUid, s.accepted, s.duplicates])).toEqual([
      [study.studyInstanceUid, 3, 0],
    ]);
    // Per file, in request order; files that name no study (truncated, not DICOM, refused entries) are only in `rejected`.
    expect(r.body.studies?.[0]?.files).toEqual([
      { file: 'a.dcm', sopInstanceUid: a.sopInstanceUid, status: 'ACCEPTED' },
      { file: 'b.dcm', sopInstanceUid: (b as typeof a).sopInstanceUid, status: 'ACCEPTED' },
      { file: 'archive.zip/ok/c.dcm', sopInstanceUid: (c as typeof a).sopInstanceUid, status: 'ACCEPTED' },
    ]);
    const codes = Object.fromEntries((r.body.rejected ?? []).map((x) => [x.file, x.code]));
    expect(codes).toEqual({
      'truncated.dcm': 'TRUNCATED',
      'notes.txt': 'NOT_DICOM',
      'archive.zip/../x.dcm': 'BAD_USER_INPUT',
      'archive.zip//etc/passwd.dcm': 'BAD_USER_INPUT',
      'archive.zip/link.dcm': 'BAD_USER_INPUT',
      'archive.zip/inner.zip': 'BAD_USER_INPUT',
      'bomb.zip/bomb.dcm': 'PAYLOAD_TOO_LARGE',
    });
    const stored = await t.prisma.instance.findMany({
      where: { series: { study: { studyInstanceUid: study.studyInstanceUid } } },
    });
    expect(stored.map((i) => i.sopInstanceUid).sort()).toEqual(
      [a, b, c].map((f) => (f as typeof a).sopInstanceUid).sort(),
    );
    const again = await upload(
      t,
      [
        { name: 'a.dcm', data: a.bytes },
        { name: 'truncated.dcm', data: truncated },
      ],
      { token: session },
    );
    expect(again.status).toBe(200);
    expect(again.body.studies?.[0]?.files).toEqual([
      { file: 'a.dcm', sopInstanceUid: a.sopInstanceUid, status: 'DUPLICATE' },
    ]);
    expect(again.body.rejected?.map((x) => [x.file, x.code])).toEqual([['truncated.dcm', 'TRUNCATED']]);
  });

  it('records a study sent by parallel uploads once, with one job', async () => {
    const study = synthStudy({ seed: `parallel-${provider}`, slices: 6, size: 32, bleed: 'none' });
    const files = study.files.map((f) => ({ name: f.name, data: f.bytes }));
    // The study exists (two middle slices) before the parallel batches add slices around and between them.
    expect(
      (
        await upload(
          t,
          [files[4], files[1]].filter((f) => f !== undefined),
          { token: session },
        )
      ).status,
    ).toBe(200);
    const answers = await Promise.all([
      upload(t, files, { token: session }),
      upload(t, files.slice(0, 3), { token: session }),
      upload(t, files.slice(3), { token: clinicianSession }),
    ]);
    expect(answers.map((a) => a.status)).toEqual([200, 200, 200]);
    const accepted = answers.reduce((n, a) => n + (a.body.studies?.[0]?.accepted ?? 0), 0);
    expect(accepted).toBe(4);
    const row = await t.prisma.study.findUniqueOrThrow({ where: { studyInstanceUid: study.studyInstanceUid } });
    expect(row.instanceCount).toBe(6);
    const instances = await t.prisma.instance.findMany({
      where: { series: { studyId: row.id } },
      orderBy: { sliceIndex: 'asc' },
    });
    expect(instances.map((i) => i.sopInstanceUid)).toEqual(study.files.map((f) => f.sopInstanceUid));
    expect(instances.map((i) => i.sliceIndex)).toEqual([0, 1, 2, 3, 4, 5]);
    expect(await t.prisma.inferenceJob.count({ where: { studyId: row.id } })).toBe(1);
  });

  it('refuses other bytes under a known SOPInstanceUID as a conflict and keeps the stored instance', async () => {
    const study = synthStudy({ seed: `conflict-${provider}`, slices: 2, size: 64, bleed: 'none' });
    const original = study.files[0]?.bytes as Uint8Array;
    expect((await upload(t, [{ name: 'one.dcm', data: original }], { token: session })).status).toBe(200);
    const altered = Buffer.from(original);
    altered[altered.length - 2] = (altered[altered.length - 2] as number) ^ 0xff;
    const r = await upload(
      t,
      [
        { name: 'altered.dcm', data: altered },
        { name: 'two.dcm', data: study.files[1]?.bytes as Uint8Array },
      ],
      { token: session },
    );
    expect(r.status).toBe(200);
    expect(r.body.studies?.[0]?.accepted).toBe(1);
    expect(r.body.studies?.[0]?.rejected.map((x) => [x.file, x.code])).toEqual([['altered.dcm', 'CONFLICT']]);
    expect(r.body.studies?.[0]?.files.map((x) => [x.file, x.status, x.code])).toEqual([
      ['altered.dcm', 'REJECTED', 'CONFLICT'],
      ['two.dcm', 'ACCEPTED', undefined],
    ]);
    expect(r.body.studies?.[0]?.files[0]?.message).toMatch(/stored instance is kept/);
    const row = await t.prisma.instance.findUniqueOrThrow({
      where: { sopInstanceUid: study.files[0]?.sopInstanceUid as string },
    });
    expect(row.contentHash).toBe(createHash('sha256').update(original).digest('hex'));
  });

  it('stores a study with no axial CT series but marks it not eligible, with the reason, and queues nothing', async () => {
    const study = synthStudy({ seed: `coronal-${provider}`, slices: 2, size: 64, bleed: 'none' });
    // Rewrite ImageOrientationPatient to coronal: same byte length ("1\0\0\0\1\0" → "1\0\0\0\0\-1" would not be).
    const coronal = study.files.map((f) => {
      const text = Buffer.from(f.bytes).toString('latin1').replace('1\\0\\0\\0\\1\\0', '1\\0\\0\\0\\0\\1');
      return { name: f.name, data: Buffer.from(text, 'latin1') };
    });
    const r = await upload(t, coronal, { token: session });
    expect(r.status).toBe(200);
    const id = r.body.studies?.[0]?.id as string;
    const row = await t.prisma.study.findUniqueOrThrow({ where: { id } });
    expect(row.status).toBe('NOT_ELIGIBLE');
    expect(row.priority).toBe(-1);
    expect(row.notEligibleReason).toMatch(/no axial CT series.*coronal/);
    expect(await t.prisma.inferenceJob.count({ where: { studyId: id } })).toBe(0);
    const g = await t.gql<{ study: { status: string; notEligibleReason: string } }>(
      'query($id: ID!) { study(id: $id) { status notEligibleReason } }',
      { id },
      { token: session },
    );
    expect(g.data?.study).toEqual({ status: 'NOT_ELIGIBLE', notEligibleReason: row.notEligibleReason });
  });

  it('removes the temporary files of an upload the client abandons mid-body', async () => {
    const { request } = await import('node:http');
    const study = synthStudy({ seed: `abort-${provider}`, slices: 1, size: 256, bleed: 'none' });
    const boundary = 'abandoned';
    const req = request(`${t.url}/api/uploads`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${session}`,
        'content-type': `multipart/form-data; boundary=${boundary}`,
        'content-length': '10000000',
      },
    });
    req.on('error', () => {});
    req.write(`--${boundary}\r\nContent-Disposition: form-data; name="files"; filename="a.dcm"\r\n\r\n`);
    req.write(Buffer.from((study.files[0] as (typeof study.files)[number]).bytes.subarray(0, 60_000)));
    await new Promise((r) => setTimeout(r, 300));
    req.destroy();
    const tmp = path.join(t.storageDir, 'tmp');
    const until = Date.now() + 5000;
    while (readdirSync(tmp).length > 0 && Date.now() < until) await new Promise((r) => setTimeout(r, 50));
    expect(readdirSync(tmp)).toEqual([]);
    expect(await t.prisma.study.count({ where: { studyInstanceUid: study.studyInstanceUid } })).toBe(0);
    expect((await fetch(`${t.url}/healthz`)).status).toBe(200);
  });

  it('answers 401 without credentials and 403 to a token without write:uploads, storing nothing', async () => {
    const study = synthStudy({ seed: `auth-${provider}`, slices: 1, size: 32, bleed: 'none' });
    const files = [{ name: 'a.dcm', data: study.files[0]?.bytes as Uint8Array }];
    expect((await upload(t, files)).status).toBe(401);
    const readOnly = await tokenWith(t, session, ['read:studies']);
    const refused = await upload(t, files, { token: readOnly });
    expect(refused.status).toBe(403);
    expect(refused.body.error?.code).toBe('FORBIDDEN');
    expect(await t.prisma.study.count({ where: { studyInstanceUid: study.studyInstanceUid } })).toBe(0);
    const writer = await tokenWith(t, clinicianSession, ['write:uploads']);
    expect((await upload(t, files, { token: writer })).status).toBe(200);
  });
});

describe.each(PROVIDERS)('an upload into a full disk on %s', (provider) => {
  let t: TestApi | undefined;
  let mountPoint = '';
  let mounted = false;

  beforeAll(async () => {
    mountPoint = mkdtempSync(path.join(tmpdir(), 'ich-full-disk-'));
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=512k', 'tmpfs', mountPoint]);
    mounted = true;
    t = await startApi(provider, { env: { STORAGE_DIR: mountPoint } });
  });
  afterAll(async () => {
    await t?.close();
    if (mounted) execFileSync('umount', [mountPoint]);
    rmSync(mountPoint, { recursive: true, force: true });
  });

  it('fails with STORAGE_FULL and records nothing', async () => {
    const api = t as TestApi;
    const admin = await createUser(api.prisma, { role: 'ADMIN' });
    const token = await api.login(admin.user.email, admin.password);
    const study = synthStudy({ seed: `full-${provider}`, slices: 8, size: 256, bleed: 'none' });
    const r = await upload(
      api,
      study.files.map((f) => ({ name: f.name, data: f.bytes })),
      { token },
    );
    expect(r.status).toBe(507);
    expect(r.body.error?.code).toBe('STORAGE_FULL');
    expect(await api.prisma.study.count()).toBe(0);
    expect(await api.prisma.instance.count()).toBe(0);
    expect(await api.prisma.inferenceJob.count()).toBe(0);
    expect(readdirSync(path.join(mountPoint, 'tmp'))).toEqual([]);
  });

  it('fails a STOW-RS request the same way (its parts are stored on intake threads)', async () => {
    const api = t as TestApi;
    const admin = await createUser(api.prisma, { role: 'ADMIN' });
    const token = await tokenWith(api, await api.login(admin.user.email, admin.password), ['write:uploads']);
    const study = synthStudy({ seed: `full-stow-${provider}`, slices: 8, size: 256, bleed: 'none' });
    const { body, contentType } = stowBody(study.files.map((f) => f.bytes));
    const r = await fetch(`${api.url}/dicom-web/studies`, {
      method: 'POST',
      body,
      headers: { 'content-type': contentType, accept: 'application/dicom+json', authorization: `Bearer ${token}` },
    });
    expect(r.status).toBe(507);
    expect(((await r.json()) as { error?: { code?: string } }).error?.code).toBe('STORAGE_FULL');
    expect(await api.prisma.instance.count()).toBe(0);
    expect(await api.prisma.study.count()).toBe(0);
    expect(readdirSync(path.join(mountPoint, 'tmp'))).toEqual([]);
  });
});

function countObjects(root: string): number {
  let n = 0;
  const walk = (dir: string) => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      if (e.isDirectory()) walk(path.join(dir, e.name));
      else n += 1;
    }
  };
  walk(path.join(root, 'objects'));
  return n;
}
