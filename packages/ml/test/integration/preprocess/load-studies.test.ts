import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildBatch, closeSharedDecodePool, loadStudies, type SynthFile, synthStudy } from '@ich/ml/node';
import { afterAll, describe, expect, it } from 'vitest';
import { scratch, transcode } from './helpers.js';

const tmp = scratch('load');
afterAll(async () => {
  tmp.remove();
  await closeSharedDecodePool();
});

describe('loadStudies', () => {
  it('loads folders recursively into studies with series in anatomical order, rejecting bad files with codes', async () => {
    const a = synthStudy({ seed: 'load-a', slices: 10, size: 64, bleed: 'intraventricular' });
    const b = synthStudy({ seed: 'load-b', slices: 6, size: 64, bleed: 'none', transferSyntax: 'rle' });
    const dirA = join(tmp.dir, 'in', 'nested', 'a');
    mkdirSync(dirA, { recursive: true });
    // Shuffled, opaque file names: order must come from ImagePositionPatient, not from names.
    a.files.forEach((f, i) => {
      writeFileSync(join(dirA, `img-${(i * 7) % 10}-${f.sopInstanceUid.slice(-6)}`), f.bytes);
    });
    // One slice of study a arrives JPEG 2000 compressed: mixed syntaxes within a series are fine.
    writeFileSync(
      join(dirA, 'img-j2k'),
      transcode(tmp.dir, 'a-j2k', (a.files[9] as SynthFile).bytes, 'gdcmconv', (s, d) => ['--j2k', s, d]),
    );
    const dirB = join(tmp.dir, 'in', 'b');
    mkdirSync(dirB, { recursive: true });
    for (const f of b.files) writeFileSync(join(dirB, f.name), f.bytes);
    copyFileSync(join(dirB, (b.files[0] as SynthFile).name), join(dirB, 'copy-of-first.dcm'));
    writeFileSync(join(dirB, 'junk.bin'), 'not dicom');
    writeFileSync(join(dirB, 'labels.csv'), 'sidecar files are skipped');

    const progress: number[] = [];
    const { studies, rejected } = await loadStudies([join(tmp.dir, 'in'), join(tmp.dir, 'missing')], {
      onProgress: (done) => progress.push(done),
    });
    expect(rejected.map((r) => [r.path.split('/').at(-1), r.error.code]).sort()).toEqual([
      ['junk.bin', 'NOT_DICOM'],
      ['missing', 'NOT_FOUND'],
    ]);
    expect(progress.at(-1)).toBe(10 + 1 + 6 + 1 + 1);

    const byUid = new Map(studies.map((s) => [s.studyInstanceUid, s]));
    const studyA = byUid.get(a.studyInstanceUid);
    expect(studyA?.patientId).toBe(a.patientId);
    expect(studyA?.series).toHaveLength(1);
    const seriesA = studyA?.series[0];
    // The J2K copy duplicates slice 10's SOP Instance UID and is reported; slices come out feet to head.
    expect(seriesA?.slices.map((s) => s.sopInstanceUid)).toEqual(a.files.map((f) => f.sopInstanceUid));
    expect(seriesA?.issues.map((i) => i.kind)).toEqual(['duplicate-instance']);
    expect(seriesA?.spacing).toBe(5);
    seriesA?.slices.forEach((s, i) => {
      expect(Array.from(s.hu)).toEqual(Array.from((a.files[i] as SynthFile).hu));
    });

    const seriesB = byUid.get(b.studyInstanceUid)?.series[0];
    expect(seriesB?.slices).toHaveLength(6);
    expect(seriesB?.issues.map((i) => i.kind)).toEqual(['duplicate-instance']);

    const batch = buildBatch(seriesA?.slices ?? [], 0, 4, { size: 32, context: true });
    expect(batch.length).toBe(4 * 32 * 32 * 3);
  });

  it('rejects non-CT images with NOT_CT unless told otherwise', async () => {
    const study = synthStudy({ seed: 'mr', slices: 2, size: 32 });
    const bytes = new Uint8Array((study.files[0] as SynthFile).bytes);
    // Rewrite Modality "CT" to "MR" in place (same length), as an MR file would say.
    const text = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length);
    const at = text.indexOf(Buffer.from([0x08, 0x00, 0x60, 0x00, 0x43, 0x53, 0x02, 0x00]));
    bytes.set([0x4d, 0x52], at + 8);
    const path = join(tmp.dir, 'mr.dcm');
    writeFileSync(path, bytes);
    const strict = await loadStudies([path]);
    expect(strict.rejected.map((r) => r.error.code)).toEqual(['NOT_CT']);
    const lenient = await loadStudies([path], { requireCt: false });
    expect(lenient.studies[0]?.series[0]?.slices[0]?.attrs.modality).toBe('MR');
  });
});
