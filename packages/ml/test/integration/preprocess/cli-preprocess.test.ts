import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { type SynthFile, type SynthSyntax, synthStudy } from '@ich/ml/node';
import { PNG } from 'pngjs';
import { afterAll, describe, expect, it } from 'vitest';
import { PYTHON, scratch, tool } from './helpers.js';

/** `ich-ml preprocess` checked against pydicom + numpy doing the modality rescale on the same files. */
const BIN = fileURLToPath(new URL('../../../bin/ich-ml.js', import.meta.url));
const REFERENCE = fileURLToPath(new URL('./fixtures/pydicom_hu.py', import.meta.url));
const tmp = scratch('cli');
afterAll(() => tmp.remove());

function cli(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', timeout: 60_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

function writeSlice(name: string, file: SynthFile): string {
  const path = tmp.path(name);
  writeFileSync(path, file.bytes);
  return path;
}

function float32(path: string): Float32Array {
  const b = readFileSync(path);
  return new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.length));
}

const CASES: { syntax: SynthSyntax; encoding: 'signed' | 'unsigned' | 'rsna-quirk' }[] = [
  { syntax: 'explicit-le', encoding: 'signed' },
  { syntax: 'implicit-le', encoding: 'unsigned' },
  { syntax: 'explicit-be', encoding: 'signed' },
  { syntax: 'deflated', encoding: 'signed' },
  { syntax: 'rle', encoding: 'unsigned' },
  { syntax: 'explicit-le', encoding: 'rsna-quirk' },
];

describe('ich-ml preprocess', () => {
  it.each(CASES)('$syntax/$encoding: --json and --hu-out agree with pydicom', ({ syntax, encoding }) => {
    const study = synthStudy({
      seed: `cli-${syntax}-${encoding}`,
      slices: 6,
      size: 64,
      bleed: 'subdural',
      transferSyntax: syntax,
      encoding,
    });
    const file = study.files[3] as SynthFile;
    const path = writeSlice(`${syntax}-${encoding}.dcm`, file);
    const huOut = tmp.path(`${syntax}-${encoding}.f32`);
    const r = cli(['preprocess', path, '--json', '--hu-out', huOut]);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const report = JSON.parse(r.stdout) as Record<string, unknown> & { hu: { min: number; max: number; mean: number } };
    expect(report).toMatchObject({
      sopInstanceUid: file.sopInstanceUid,
      modality: 'CT',
      rows: 64,
      columns: 64,
      rescaleSlope: 1,
    });

    const refOut = tmp.path(`${syntax}-${encoding}.ref.f32`);
    const ref = JSON.parse(tool(PYTHON, [REFERENCE, path, refOut, '--rsna-fix'])) as {
      min: number;
      max: number;
      mean: number;
      intercept: number;
    };
    expect(report.transferSyntaxUid).toBe(
      tool(PYTHON, [
        '-c',
        `import pydicom;print(pydicom.dcmread(${JSON.stringify(path)}).file_meta.TransferSyntaxUID)`,
      ]).trim(),
    );
    expect(report.rescaleIntercept).toBe(ref.intercept);
    expect(report.hu.min).toBe(ref.min);
    expect(report.hu.max).toBe(ref.max);
    expect(report.hu.mean).toBeCloseTo(ref.mean, 3);
    expect(Array.from(float32(huOut))).toEqual(Array.from(float32(refOut)));
    // And both equal the phantom's ground truth.
    expect(Array.from(float32(huOut))).toEqual(Array.from(file.hu));
    expect(report.rsnaQuirkApplied).toBe(encoding === 'rsna-quirk');
  });

  it('--png writes the three windows as an RGB picture', () => {
    const study = synthStudy({ seed: 'cli-png', slices: 6, size: 64, bleed: 'none' });
    const file = study.files[3] as SynthFile;
    const path = writeSlice('png.dcm', file);
    const png = tmp.path('out.png');
    const r = cli(['preprocess', path, '--png', png]);
    expect(r.status).toBe(0);
    const image = PNG.sync.read(readFileSync(png));
    expect([image.width, image.height]).toEqual([64, 64]);
    // A brain pixel (HU h) shows brain/subdural/soft-tissue windows in R/G/B.
    let checked = 0;
    for (let p = 0; p < 64 * 64; p += 1) {
      const h = file.hu[p] as number;
      const expected = [(h - 0) / 80, (h + 20) / 200, (h + 150) / 380].map((v) =>
        Math.round(Math.max(0, Math.min(1, v)) * 255),
      );
      // ±1: float32 window arithmetic may round the other way at exactly .5.
      const got = [image.data[p * 4], image.data[p * 4 + 1], image.data[p * 4 + 2]] as number[];
      got.forEach((g, c) => {
        expect(Math.abs(g - (expected[c] as number)), `pixel ${p} channel ${c}`).toBeLessThanOrEqual(1);
      });
      checked += 1;
    }
    expect(checked).toBe(4096);
  });

  it.each([
    ['a text file', 'not dicom at all\n'.repeat(20), 'NOT_DICOM'],
    ['an empty file', '', 'NOT_DICOM'],
  ])('exits 2 with one coded line for %s', (_label, content, code) => {
    const path = tmp.path(`bad-${code}-${content.length}.dcm`);
    writeFileSync(path, content);
    const r = cli(['preprocess', path, '--json']);
    expect(r.status).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(new RegExp(`^error: ${code}: [^\\n]+\\n$`));
  });

  it('exits 2 with TRUNCATED for a cut file, and with BAD_USER_INPUT for a missing one or a bad flag', () => {
    const study = synthStudy({ seed: 'cli-cut', slices: 2, size: 64 });
    const bytes = (study.files[0] as SynthFile).bytes;
    const cut = tmp.path('cut.dcm');
    writeFileSync(cut, bytes.subarray(0, bytes.length - 1000));
    const truncated = cli(['preprocess', cut, '--json']);
    expect(truncated.status).toBe(2);
    expect(truncated.stderr).toMatch(/^error: TRUNCATED: [^\n]+\n$/);
    const missing = cli(['preprocess', tmp.path('nope.dcm')]);
    expect(missing.status).toBe(2);
    expect(missing.stderr).toMatch(/^error: BAD_USER_INPUT: [^\n]+\n$/);
    const flag = cli(['preprocess', cut, '--bogus']);
    expect(flag.status).toBe(2);
    expect(flag.stderr).toMatch(/^error: BAD_USER_INPUT: .*bogus[^\n]*\n$/);
  });
});

describe('ich-ml synth', () => {
  it('writes studies, labels.csv and manifest.json that agree with each other, with progress on stderr', () => {
    const out = tmp.path('synth');
    const r = cli([
      'synth',
      '--out',
      out,
      '--studies',
      '2',
      '--slices',
      '6',
      '--size',
      '32',
      '--seed',
      '11',
      '--bleed',
      'epidural',
      '--json',
    ]);
    expect(r.status).toBe(0);
    expect(r.stderr).toMatch(/study 2\/2/);
    const summary = JSON.parse(r.stdout) as { manifest: string; labels: string };
    const csv = readFileSync(summary.labels, 'utf8').trim().split('\n');
    expect(csv[0]).toBe(
      'study,file,studyInstanceUid,seriesInstanceUid,sopInstanceUid,instanceNumber,any,epidural,intraparenchymal,intraventricular,subarachnoid,subdural',
    );
    expect(csv).toHaveLength(13);
    const manifest = JSON.parse(readFileSync(summary.manifest, 'utf8')) as {
      studies: { folder: string; labels: Record<string, number> }[];
    };
    expect(manifest.studies.map((s) => s.folder)).toEqual(['study-001', 'study-002']);
    expect(manifest.studies.every((s) => s.labels.epidural === 1)).toBe(true);
    const dump = tool('dcmdump', ['-q', '+P', '0010,0020', `${out}/study-001/0003.dcm`]);
    expect(dump).toMatch(/PatientID/);
    const bad = cli(['synth', '--out', out, '--bleed', 'migraine']);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/^error: BAD_USER_INPUT: .*migraine/);
  });
});
