import { AppError, err, ok, type Result } from '@ich/errors';
import type { StoredArray } from '../dicom/types.js';
import { storedFromBytes } from './native.js';

/**
 * DICOM RLE Lossless (PS3.5 Annex G): a 64-byte header with the segment count and offsets, then one PackBits
 * segment per byte plane, most significant byte first. Decoding is linear in the input, so a hostile frame
 * cannot make it hang; every length is checked so it cannot read or write out of bounds.
 */
export function decodeRleFrame(
  frame: Uint8Array,
  rows: number,
  columns: number,
  bitsAllocated: number,
  signed: boolean,
): Result<StoredArray> {
  if (frame.length < 64)
    return err(new AppError('TRUNCATED', `RLE frame of ${frame.length} bytes is shorter than its 64-byte header`));
  const view = new DataView(frame.buffer, frame.byteOffset, frame.length);
  const segments = view.getUint32(0, true);
  const bytesPerSample = bitsAllocated / 8;
  if (segments !== bytesPerSample) {
    return err(
      new AppError(
        'DECODE_FAILED',
        `RLE frame has ${segments} segments; ${bitsAllocated}-bit single-sample images need ${bytesPerSample}`,
      ),
    );
  }
  const pixels = rows * columns;
  // Planes are interleaved into little-endian samples: segment 0 holds the most significant bytes.
  const out = new Uint8Array(pixels * bytesPerSample);
  for (let s = 0; s < segments; s += 1) {
    const start = view.getUint32(4 + 4 * s, true);
    const end = s + 1 < segments ? view.getUint32(8 + 4 * s, true) : frame.length;
    if (start < 64 || start > frame.length || end > frame.length || end < start) {
      return err(new AppError('DECODE_FAILED', `RLE segment ${s} offsets ${start}..${end} are outside the frame`));
    }
    const plane = bytesPerSample - 1 - s;
    const written = unpackBits(frame, start, end, out, plane, bytesPerSample, pixels);
    if (written < pixels)
      return err(new AppError('TRUNCATED', `RLE segment ${s} decodes to ${written} of ${pixels} bytes`));
  }
  const values = storedFromBytes(out, bitsAllocated, signed, false);
  if (!values) return err(new AppError('UNSUPPORTED_PIXEL_FORMAT', `BitsAllocated ${bitsAllocated}`));
  return ok(values);
}

/** PackBits into every `stride`-th byte of `out` starting at `plane`; returns how many bytes were produced. */
function unpackBits(
  src: Uint8Array,
  start: number,
  end: number,
  out: Uint8Array,
  plane: number,
  stride: number,
  count: number,
): number {
  let i = start;
  let n = 0;
  while (i < end && n < count) {
    const header = src[i++] as number;
    if (header < 128) {
      const run = Math.min(header + 1, end - i, count - n);
      for (let k = 0; k < run; k += 1) out[(n + k) * stride + plane] = src[i + k] as number;
      i += header + 1;
      n += run;
    } else if (header > 128) {
      if (i >= end) break;
      const value = src[i++] as number;
      const run = Math.min(257 - header, count - n);
      for (let k = 0; k < run; k += 1) out[(n + k) * stride + plane] = value;
      n += run;
    }
    // 128 is a no-op by definition.
  }
  return n;
}
