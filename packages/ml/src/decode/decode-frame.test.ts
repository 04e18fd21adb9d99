import { afterAll, describe, expect, it } from 'vitest';
import { parseDicom } from '../dicom/parse.js';
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
});
