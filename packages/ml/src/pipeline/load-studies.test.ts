import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { synthStudy } from '../synth/study.js';
import { filesByStudy, loadStudies, readDicomFile } from './load-studies.js';

// What a folder can hold besides plain files: every slice is either loaded or reported, never dropped in silence.
describe('loadStudies: links and special files', () => {
  const study = synthStudy({ seed: 'links', slices: 9, size: 32, bleed: 'none' });
  let root = '';
  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'ich-links-'));
    await mkdir(join(root, 'store'));
    await mkdir(join(root, 'study'));
    for (const f of study.files) await writeFile(join(root, 'store', f.name), f.bytes);
    // The study folder holds one real slice and eight links to slices kept elsewhere (a PACS export's layout).
    const [first, ...rest] = study.files;
    await writeFile(join(root, 'study', first!.name), first!.bytes);
    for (const f of rest) await symlink(join(root, 'store', f.name), join(root, 'study', f.name));
    // A link back up the tree: a loop, and a second way to reach every slice; each folder and file counts once.
    await symlink(root, join(root, 'study', 'loop'));
    await symlink(join(root, 'missing.dcm'), join(root, 'study', 'broken.dcm'));
    execFileSync('mkfifo', [join(root, 'study', 'pipe.dcm')]);
  });
  afterAll(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('follows file links, reads a looped folder once, and reports broken links and FIFOs', async () => {
    const { studies, rejected } = await loadStudies([join(root, 'study')]);
    expect(studies).toHaveLength(1);
    const slices = studies[0]!.series.flatMap((s) => s.slices.map((x) => x.sopInstanceUid));
    expect(slices.sort()).toEqual(study.files.map((f) => f.sopInstanceUid).sort());
    const reasons = Object.fromEntries(
      rejected.map((r) => [r.path.slice(root.length), `${r.error.code} ${r.error.message}`]),
    );
    expect(reasons).toEqual({
      '/study/broken.dcm': expect.stringMatching(/^NOT_FOUND cannot read .*ENOENT/),
      '/study/pipe.dcm': expect.stringMatching(/^BAD_USER_INPUT .* is a FIFO, not a regular file/),
    });
  });

  it('refuses devices named directly instead of reading them without end', async () => {
    const { studies, rejected } = await loadStudies(['/dev/zero', join(root, 'study', 'pipe.dcm')]);
    expect(studies).toEqual([]);
    expect(rejected.map((r) => r.error.message)).toEqual([
      '/dev/zero is a character device, not a regular file; it was not read',
      `${join(root, 'study', 'pipe.dcm')} is a FIFO, not a regular file; it was not read`,
    ]);
    const direct = await readDicomFile('/dev/zero');
    expect(direct.ok).toBe(false);
    const tooBig = await readDicomFile(join(root, 'store', study.files[0]!.name), 100);
    expect(tooBig).toMatchObject({ ok: false, error: { code: 'FILE_TOO_LARGE' } });
  });
});

// Memory bounds: every loaded slice's HU values stay until inference, so what one run keeps is bounded.
describe('loadStudies: memory bounds', () => {
  const study = synthStudy({ seed: 'bounds', slices: 9, size: 64, bleed: 'none' });
  let root = '';
  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'ich-bounds-'));
    for (const f of study.files) await writeFile(join(root, f.name), f.bytes);
  });
  afterAll(async () => {
    await rm(root, { recursive: true, force: true });
  });
  const codes = (rejected: ReadonlyArray<{ error: { code: string } }>) => rejected.map((r) => r.error.code);

  it('keeps at most maxLoadedPixels over all slices and rejects the rest as FILE_TOO_LARGE', async () => {
    const { studies, rejected } = await loadStudies([root], { maxLoadedPixels: 5 * 64 * 64 });
    expect(studies.flatMap((s) => s.series.flatMap((series) => series.slices))).toHaveLength(5);
    expect(codes(rejected)).toEqual(Array(4).fill('FILE_TOO_LARGE'));
  });

  it('keeps at most maxSlicesPerStudy slices of one study', async () => {
    const { studies, rejected } = await loadStudies([root], { maxSlicesPerStudy: 3 });
    expect(studies.flatMap((s) => s.series.flatMap((series) => series.slices))).toHaveLength(3);
    expect(codes(rejected)).toEqual(Array(6).fill('FILE_TOO_LARGE'));
  });

  it('refuses a frame that claims more than maxSlicePixels before decoding it', async () => {
    const { studies, rejected } = await loadStudies([root], { maxSlicePixels: 32 * 32 });
    expect(studies).toEqual([]);
    expect(codes(rejected)).toEqual(Array(9).fill('FILE_TOO_LARGE'));
    expect(rejected[0]?.error.message).toMatch(/claims 64×64 pixels/);
  });

  it('refuses a sparse file over the size limit without reading it', async () => {
    const big = join(root, '..', `${study.files[0]!.name}.huge`);
    execFileSync('truncate', ['-s', '3G', big]);
    try {
      const before = process.memoryUsage().rss;
      const read = await readDicomFile(big);
      expect(read.ok).toBe(false);
      if (!read.ok) expect(read.error.code).toBe('FILE_TOO_LARGE');
      expect(process.memoryUsage().rss - before).toBeLessThan(64 * 1024 * 1024);
    } finally {
      await rm(big, { force: true });
    }
  });
});

describe('filesByStudy', () => {
  const a = synthStudy({ seed: 'group-a', slices: 4, size: 32, bleed: 'none' });
  const b = synthStudy({ seed: 'group-b', slices: 3, size: 32, bleed: 'none' });
  let root = '';
  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'ich-groups-'));
    // Study a is split over two folders and one folder mixes both studies: headers decide, not folders.
    for (const dir of ['one', 'two']) await mkdir(join(root, dir));
    for (const [n, f] of a.files.entries()) await writeFile(join(root, n < 2 ? 'one' : 'two', f.name), f.bytes);
    for (const f of b.files) await writeFile(join(root, 'two', `b-${f.name}`), f.bytes);
    await writeFile(join(root, 'two', 'junk.dcm'), 'not a DICOM file');
  });
  afterAll(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('groups files by the StudyInstanceUID in their headers; unreadable files form their own group', async () => {
    const { groups, rejected } = await filesByStudy([root]);
    expect(rejected).toEqual([]);
    expect([...groups.keys()].sort()).toEqual(['', a.studyInstanceUid, b.studyInstanceUid].sort());
    expect(groups.get(a.studyInstanceUid)).toHaveLength(4);
    expect(groups.get(b.studyInstanceUid)).toHaveLength(3);
    expect(groups.get('')).toEqual([join(root, 'two', 'junk.dcm')]);
    // Each group then loads as exactly one study, so a per-call memory bound is a per-study bound.
    const loaded = await loadStudies(groups.get(a.studyInstanceUid)!);
    expect(loaded.studies.map((s) => s.studyInstanceUid)).toEqual([a.studyInstanceUid]);
  });
});
