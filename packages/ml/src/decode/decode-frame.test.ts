import { afterAll, describe, expect, it } from 'vitest';
import { dicomFixture } from '../../test/dicom/dicom-fixture.js';
import { parseDicom } from '../dicom/parse.js';
import { encodeRleFrame } from '../synth/rle-encode.js';
import { synthStudy } from '../synth/study.js';
import { decodeFrame } from './decode-frame.js';
import { closeSharedDecodePool } from './pool.js';

afterAll(closeSharedDecodePool);

describe('decodeFrame', () => {
  it('decodes native frames on the calling thread and RLE frames on the worker pool, to the same values', async () => {
    const native = synthStudy({ seed: 'df', slices: 2, size: 32, transferSyntax: 'explicit-be' }).files[1];
    const rle = synthStudy({ seed: 'df', slices: 2, size: 32, transferSyntax: 'rle' }).files[1];
    const a = parseDicom(native?.bytes ?? new Uint8Array());
    const b = parseDicom(rle?.bytes ?? new Uint8Array());
    if (!a.ok || !b.ok) throw new Error('synthetic files must parse');
    const x = await decodeFrame(a.value, 0);
    const y = await decodeFrame(b.value, 0, { timeoutMs: 10_000 });
    expect(x.ok && y.ok).toBe(true);
    if (!x.ok || !y.ok) return;
    expect(Array.from(y.value.values)).toEqual(Array.from(x.value.values));
    expect(Array.from(x.value.values, (v) => v - 1024)).toEqual(Array.from(native?.hu ?? []));
  });

  it('refuses a frame index outside the image', async () => {
    const file = synthStudy({ seed: 'df', slices: 1, size: 16 }).files[0];
    const parsed = parseDicom(file?.bytes ?? new Uint8Array());
    if (!parsed.ok) throw parsed.error;
    const r = await decodeFrame(parsed.value, 1);
    expect(!r.ok && r.error.code).toBe('BAD_USER_INPUT');
  });

  it('reads each frame of multi-frame images, native and encapsulated (Basic Offset Table)', async () => {
    const frames = [
      Int16Array.from({ length: 16 }, (_, i) => i - 8),
      Int16Array.from({ length: 16 }, (_, i) => 100 * i),
    ];
    const image = { NumberOfFrames: 2, PixelData: Int16Array.from([...(frames[0] ?? []), ...(frames[1] ?? [])]) };
    const native = parseDicom(dicomFixture(image));
    const rle = parseDicom(
      dicomFixture(image, {
        syntax: 'encapsulated',
        transferSyntaxUid: '1.2.840.10008.1.2.5',
        frames: frames.map((f) => encodeRleFrame(f, 4, 4)),
      }),
    );
    for (const parsed of [native, rle]) {
      if (!parsed.ok) throw parsed.error;
      for (const k of [0, 1]) {
        const r = await decodeFrame(parsed.value, k);
        expect(r.ok && Array.from(r.value.values)).toEqual(Array.from(frames[k] ?? []));
      }
    }
  });
});
