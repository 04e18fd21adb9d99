import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { synthStudy } from '../synth/study.js';
import { loadStudies, readDicomFile } from './load-studies.js';

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
    expect(tooBig).toMatchObject({ ok: false, error: { code: 'BAD_DICOM' } });
  });
});
