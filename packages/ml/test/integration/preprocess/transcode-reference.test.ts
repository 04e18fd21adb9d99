import { closeSharedDecodePool, decodeToHounsfield, parseDicom, type SynthFile, synthStudy } from '@ich/ml/node';
import { afterAll, describe, expect, it } from 'vitest';
import { dicomFixture } from '../../dicom/dicom-fixture.js';
import { scratch, transcode } from './helpers.js';

/**
 * Decoded HU must equal the phantom's known values for every lossless syntax, where the compressed files are
 * produced by independent encoders (dcmtk, gdcm), and our own writer's output must read the same in dcmtk.
 */
const tmp = scratch('transcode');
afterAll(async () => {
  tmp.remove();
  await closeSharedDecodePool();
});

type Transcoder = { name: string; uid: string; command: string; args: (src: string, dst: string) => string[] };

const LOSSLESS: Transcoder[] = [
  { name: 'implicit-le (dcmconv)', uid: '1.2.840.10008.1.2', command: 'dcmconv', args: (s, d) => ['+ti', s, d] },
  { name: 'explicit-be (dcmconv)', uid: '1.2.840.10008.1.2.2', command: 'dcmconv', args: (s, d) => ['+tb', s, d] },
  { name: 'deflated (dcmconv)', uid: '1.2.840.10008.1.2.1.99', command: 'dcmconv', args: (s, d) => ['+td', s, d] },
  { name: 'RLE (dcmcrle)', uid: '1.2.840.10008.1.2.5', command: 'dcmcrle', args: (s, d) => [s, d] },
  {
    name: 'JPEG lossless .57 (dcmcjpeg +el)',
    uid: '1.2.840.10008.1.2.4.57',
    command: 'dcmcjpeg',
    args: (s, d) => ['+el', s, d],
  },
  {
    name: 'JPEG lossless SV1 .70 (dcmcjpeg +e1)',
    uid: '1.2.840.10008.1.2.4.70',
    command: 'dcmcjpeg',
    args: (s, d) => ['+e1', s, d],
  },
  { name: 'JPEG-LS lossless (dcmcjpls)', uid: '1.2.840.10008.1.2.4.80', command: 'dcmcjpls', args: (s, d) => [s, d] },
  {
    name: 'JPEG 2000 lossless (gdcmconv)',
    uid: '1.2.840.10008.1.2.4.90',
    command: 'gdcmconv',
    args: (s, d) => ['--j2k', s, d],
  },
];

const ENCODINGS = ['signed', 'unsigned', 'rsna-quirk'] as const;

async function hu(bytes: Uint8Array): Promise<Float32Array> {
  const r = await decodeToHounsfield(bytes, { timeoutMs: 20_000 });
  if (!r.ok) throw r.error;
  return r.value.hu;
}

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i += 1) m = Math.max(m, Math.abs((a[i] as number) - (b[i] as number)));
  return m;
}

describe.each(ENCODINGS)('lossless syntaxes, %s stored values', (encoding) => {
  const study = synthStudy({
    seed: `transcode-${encoding}`,
    slices: 12,
    size: 96,
    bleed: 'intraparenchymal',
    encoding,
  });
  const slice = study.files.find((f) => f.labels.any === 1) as SynthFile;

  it.each(LOSSLESS)('$name decodes to the known HU exactly', async (t) => {
    const bytes = transcode(tmp.dir, `${encoding}-${t.uid}`, slice.bytes, t.command, t.args);
    const parsed = parseDicom(bytes);
    expect(parsed.ok && parsed.value.attrs.transferSyntaxUid).toBe(t.uid);
    expect(Array.from(await hu(bytes))).toEqual(Array.from(slice.hu));
  });

  it.each(['implicit-le', 'explicit-be', 'deflated', 'rle'] as const)(
    'our %s writer is read identically by dcmtk',
    async (syntax) => {
      const ours = synthStudy({
        seed: `transcode-${encoding}`,
        slices: 12,
        size: 96,
        bleed: 'intraparenchymal',
        encoding,
        transferSyntax: syntax,
      });
      const file = ours.files[slice.instanceNumber - 1] as SynthFile;
      // dcmtk decodes our file back to explicit little endian (dcmdrle for RLE); the pixels must be the phantom's.
      const back =
        syntax === 'rle'
          ? transcode(tmp.dir, `${encoding}-ours-${syntax}`, file.bytes, 'dcmdrle', (s, d) => [s, d])
          : transcode(tmp.dir, `${encoding}-ours-${syntax}`, file.bytes, 'dcmconv', (s, d) => ['+te', s, d]);
      expect(Array.from(await hu(back))).toEqual(Array.from(slice.hu));
      expect(Array.from(await hu(file.bytes))).toEqual(Array.from(slice.hu));
    },
  );
});

describe('lossy syntaxes against the reference decoders', () => {
  it('JPEG 2000 (lossy, .91) matches gdcm/OpenJPEG decoding within 1 HU', async () => {
    const study = synthStudy({ seed: 'j2k-lossy', slices: 8, size: 96, bleed: 'subdural' });
    const slice = study.files[4] as SynthFile;
    const lossy = transcode(tmp.dir, 'j2k-lossy', slice.bytes, 'gdcmconv', (s, d) => [
      '--j2k',
      '--lossy',
      '-q',
      '40',
      s,
      d,
    ]);
    expect(
      parseDicom(lossy).ok &&
        (parseDicom(lossy) as { value: { attrs: { transferSyntaxUid: string } } }).value.attrs.transferSyntaxUid,
    ).toBe('1.2.840.10008.1.2.4.91');
    const reference = transcode(tmp.dir, 'j2k-lossy-ref', lossy, 'gdcmconv', (s, d) => ['--raw', s, d]);
    const ours = await hu(lossy);
    expect(maxAbsDiff(ours, await hu(reference))).toBeLessThanOrEqual(1);
    // It is lossy: it must differ from the original somewhere, or this test would prove nothing about lossy decoding.
    expect(maxAbsDiff(ours, slice.hu)).toBeGreaterThan(0);
  });

  it('8-bit JPEG baseline (.50) matches dcmtk dcmdjpeg decoding within 2 grey levels', async () => {
    // Baseline JPEG carries 8-bit samples only: store the brain-window rendering of a phantom slice.
    const study = synthStudy({ seed: 'baseline', slices: 8, size: 96, bleed: 'epidural' });
    const source = study.files[4] as SynthFile;
    const samples = new Uint8Array(source.hu.length);
    source.hu.forEach((v, i) => {
      samples[i] = Math.max(0, Math.min(255, Math.round(((v - 0) / 80) * 255)));
    });
    // Unsigned, no rescale: the values read back are the samples themselves.
    const native = dicomFixture({
      SOPClassUID: '1.2.840.10008.5.1.4.1.1.7',
      SOPInstanceUID: '2.25.1234',
      Modality: 'OT',
      Rows: 96,
      Columns: 96,
      BitsAllocated: 8,
      BitsStored: 8,
      HighBit: 7,
      PixelRepresentation: 0,
      PixelData: samples,
    });
    const jpeg = transcode(tmp.dir, 'baseline', native, 'dcmcjpeg', (s, d) => ['+eb', s, d]);
    const parsed = parseDicom(jpeg);
    expect(parsed.ok && parsed.value.attrs.transferSyntaxUid).toBe('1.2.840.10008.1.2.4.50');
    const reference = transcode(tmp.dir, 'baseline-ref', jpeg, 'dcmdjpeg', (s, d) => [s, d]);
    const ours = await hu(jpeg);
    expect(maxAbsDiff(ours, await hu(reference))).toBeLessThanOrEqual(2);
    expect(maxAbsDiff(ours, samples)).toBeGreaterThan(0);
  });

  it('refuses 12-bit JPEG extended (.51) with UNSUPPORTED_TRANSFER_SYNTAX', async () => {
    const study = synthStudy({ seed: 'extended', slices: 2, size: 64, encoding: 'unsigned' });
    const bytes = transcode(tmp.dir, 'extended', (study.files[0] as SynthFile).bytes, 'dcmcjpeg', (s, d) => [
      '+ee',
      s,
      d,
    ]);
    const r = await decodeToHounsfield(bytes);
    expect(!r.ok && r.error.code).toBe('UNSUPPORTED_TRANSFER_SYNTAX');
    expect(!r.ok && r.error.message).toMatch(/1\.2\.840\.10008\.1\.2\.4\.51/);
  });
});
