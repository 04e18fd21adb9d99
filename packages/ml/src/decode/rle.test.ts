import { describe, expect, it } from 'vitest';
import { decodeRleFrame } from './rle.js';

/** Builds an RLE frame from hand-written PackBits segments (PS3.5 G.3.1 encoding rules). */
function frame(segments: number[][]): Uint8Array {
  const header = new Uint8Array(64);
  const view = new DataView(header.buffer);
  view.setUint32(0, segments.length, true);
  let offset = 64;
  segments.forEach((s, i) => {
    view.setUint32(4 + 4 * i, offset, true);
    offset += s.length;
  });
  return Uint8Array.from([...header, ...segments.flat()]);
}

describe('decodeRleFrame', () => {
  it('decodes literal and replicate runs of an 8-bit frame', () => {
    // 2 literal bytes (header 1), then 4 copies of 9 (header 257 − 4 = 253), then a no-op (128).
    const r = decodeRleFrame(frame([[1, 5, 6, 253, 9, 128]]), 2, 3, 8, false);
    expect(r.ok && Array.from(r.value)).toEqual([5, 6, 9, 9, 9, 9]);
  });

  it('puts the first segment in the most significant byte of 16-bit samples', () => {
    const r = decodeRleFrame(
      frame([
        [255, 0x12],
        [0, 0x34, 0, 0x56],
      ]),
      1,
      2,
      16,
      false,
    );
    expect(r.ok && Array.from(r.value)).toEqual([0x1234, 0x1256]);
    const signed = decodeRleFrame(
      frame([
        [255, 0xff],
        [255, 0xfe],
      ]),
      1,
      2,
      16,
      true,
    );
    expect(signed.ok && Array.from(signed.value)).toEqual([-2, -2]);
  });

  it('reports short segments as TRUNCATED and bad headers as DECODE_FAILED', () => {
    const short = decodeRleFrame(frame([[1, 5, 6]]), 2, 2, 8, false);
    expect(!short.ok && short.error.code).toBe('TRUNCATED');
    const segments = decodeRleFrame(frame([[255, 1]]), 1, 2, 16, false);
    expect(!segments.ok && segments.error.code).toBe('DECODE_FAILED');
    const bad = frame([
      [255, 1],
      [255, 2],
    ]);
    new DataView(bad.buffer).setUint32(8, 10_000, true);
    const offsets = decodeRleFrame(bad, 1, 2, 16, false);
    expect(!offsets.ok && offsets.error.code).toBe('DECODE_FAILED');
    const tiny = decodeRleFrame(new Uint8Array(10), 1, 1, 8, false);
    expect(!tiny.ok && tiny.error.code).toBe('TRUNCATED');
  });
});
